/**
 * Finding the WebGPU adapter: whether one exists, what it is, and whether it is a software
 * rasteriser (Mesa's llvmpipe, SwiftShader, WARP), which `--backend auto` never picks.
 *
 * @module
 */

/** What {@linkcode probeWebgpu} found. */
export interface WebgpuProbe {
  /** Vendor, architecture and description as the adapter reports them. */
  readonly description: string;
  /** A software (CPU) implementation rather than a GPU. */
  readonly software: boolean;
}

interface AdapterLike {
  readonly info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
  readonly isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render|warp/i;

/**
 * Mesa's Vulkan loader prints `error: XDG_RUNTIME_DIR is invalid or not set` on every start
 * when the variable is unset or names a folder the user cannot use. Point it at a private
 * temporary folder in that case (before the first adapter request).
 */
export function ensureRuntimeDir(): void {
  const current = Deno.env.get("XDG_RUNTIME_DIR");
  if (current) {
    try {
      const stat = Deno.statSync(current);
      const uid = Deno.uid();
      if (stat.isDirectory && (uid === null || stat.uid === uid) && (stat.mode! & 0o077) === 0) {
        return;
      }
    } catch {
      // missing: replace it
    }
  }
  Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "slimming-xdg-" }));
}

/** Whether an adapter with these strings is a software rasteriser. */
export function isSoftwareAdapter(description: string, fallback = false): boolean {
  return fallback || SOFTWARE.test(description);
}

let probed: Promise<WebgpuProbe | string> | undefined;

/**
 * The WebGPU adapter this process would use, or a one-line reason why there is none.
 * Cached: the first call decides.
 */
export function probeWebgpu(): Promise<WebgpuProbe | string> {
  probed ??= (async () => {
    const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
    if (!gpu) return "this Deno has no WebGPU (navigator.gpu)";
    ensureRuntimeDir();
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" })
      .catch(() => null);
    if (!adapter) return "no WebGPU adapter";
    const info = adapter.info ?? {};
    const description = info.description ||
      [info.vendor, info.architecture, info.device].filter((s) => s).join(" ") ||
      "unknown adapter";
    const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
    return { description, software: isSoftwareAdapter(description, fallback) };
  })();
  return probed;
}
