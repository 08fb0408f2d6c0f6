/**
 * The C sources of the kernels (`src/`): one file per kernel family and a shared internal
 * header. Both builds compile every `.c` file, in name order; the native build's cache key
 * covers every file.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** The folder of the C sources. */
export const SOURCE_DIR: URL = new URL("./src/", import.meta.url);

/** One source file: its name in `src/`, path and text. */
export interface KernelSource {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

/** Every `.c` and `.h` file of `src/`, sorted by name. */
export async function readKernelSources(): Promise<KernelSource[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(SOURCE_DIR)) {
    if (entry.isFile && /\.[ch]$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(names.map(async (name) => {
    const url = new URL(name, SOURCE_DIR);
    return { name, path: fromFileUrl(url), text: await Deno.readTextFile(url) };
  }));
}

/** Paths of the files a build compiles (the `.c` files, in name order). */
export function compiledPaths(sources: readonly KernelSource[]): string[] {
  return sources.filter((s) => s.name.endsWith(".c")).map((s) => s.path);
}

/** One text naming and holding every source, for a build's cache key. */
export function sourcesDigestText(sources: readonly KernelSource[]): string {
  return sources.map((s) => `// ${s.name} (${s.text.length})\n${s.text}`).join("\n");
}
