/**
 * Headless Debian `chromium` driven over the DevTools protocol (a websocket), for the browser
 * test: open a page, evaluate an expression until it yields a value.
 *
 * @module
 */

/** The chromium binary on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The launch flags: headless, no sandbox (root in CI), no network beyond localhost. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A rectangle of the page in CSS pixels. */
export interface Clip {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A headless chromium showing one page. */
export interface Browser {
  /** Evaluates `expression` in the page (JSON result) every 200 ms until it is not null. */
  waitFor<T>(expression: string, timeoutMs: number): Promise<T>;
  /** A PNG of the whole page, or of `clip` (CSS pixels from the page's top left). */
  screenshot(clip?: Clip): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function devtoolsPort(profile: string, child: Deno.ChildProcess): Promise<number> {
  for (let i = 0; i < 300; i++) {
    try {
      const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`);
      return Number(text.split("\n")[0]);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error("chromium did not open its DevTools port in 30 s");
}

/** Starts `chromium` headless on `url` with a fresh profile. */
export async function openPage(binary: string, url: string): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  const child = new Deno.Command(binary, {
    args: [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "--window-size=1100,900",
      url,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const port = await devtoolsPort(profile, child);
  let target: { type: string; url: string; webSocketDebuggerUrl: string } | undefined;
  for (let i = 0; i < 100 && !target; i++) {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    target = list.find((t: { type: string; url: string }) => t.type === "page" && t.url === url);
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) throw new Error(`chromium shows no page for ${url}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map<number, (value: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  };
  const send = (method: string, params: Record<string, unknown>) =>
    new Promise<{ result?: Record<string, unknown> }>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (value: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = (expression: string) =>
    send("Runtime.evaluate", { expression, returnByValue: true }) as Promise<
      { result?: { result?: { value?: unknown } } }
    >;
  return {
    async waitFor<T>(expression: string, timeoutMs: number): Promise<T> {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const value = (await evaluate(expression)).result?.result?.value;
        if (value !== undefined && value !== null) return value as T;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for ${expression}`);
    },
    async screenshot(clip?: Clip): Promise<Uint8Array> {
      const shot = await send("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
        ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
      });
      const data = String(shot.result?.data ?? "");
      return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    },
    async close() {
      socket.close();
      child.kill();
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
