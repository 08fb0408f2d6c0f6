/**
 * Runs the WebAssembly build of the kernels on several threads: one instance on the main
 * thread and one per Deno Worker, all over the same shared WebAssembly.Memory. The C code's
 * `parallel_for(fn, args, n)` is imported from here: it splits [0, n) into contiguous
 * ranges, posts them to the workers through a control block (Atomics.notify), runs the
 * first range itself and waits for the rest.
 *
 * @module
 */

/** Control block layout: one slot of Int32 fields per worker. */
const SLOT = 16;
const SEQ = 0, FN = 1, ARGS = 2, BEGIN = 3, END = 4, TID = 5, DONE = 6;
/** FN value that tells a worker to stop. */
const STOP = -1;
const STACK_BYTES = 1 << 20;
const SPIN = 20000;
const WATCHDOG_MS = 120_000;
const STARTUP_MS = 30_000;

/** The exports of `slim_kernels.wasm` this module uses. */
export interface WasmKernelExports {
  readonly slim_alloc: (bytes: number) => number;
  readonly slim_release: () => void;
  readonly slim_mark: () => void;
  readonly slim_run_range: (
    fn: number,
    args: number,
    begin: number,
    end: number,
    tid: number,
  ) => void;
  readonly __stack_pointer: WebAssembly.Global;
  readonly [name: string]: unknown;
}

/** A started pool: the main instance's exports, the memory, and a way to stop the workers. */
export interface WasmPool {
  readonly exports: WasmKernelExports;
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  terminate(): void;
}

/** Compiles `bytes` and starts `threads - 1` workers sharing one memory with the main instance. */
export async function startWasmPool(
  bytes: Uint8Array<ArrayBuffer>,
  threads: number,
): Promise<WasmPool> {
  const module = await WebAssembly.compile(bytes);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const control = new Int32Array(new SharedArrayBuffer(threads * SLOT * 4));
  const main: { exports?: WasmKernelExports } = {};
  const parallelFor = (fn: number, args: number, n: number) => {
    const used = Math.max(1, Math.min(threads, n));
    const seqs: number[] = [];
    for (let t = 1; t < used; t++) {
      const base = t * SLOT;
      control[base + FN] = fn;
      control[base + ARGS] = args;
      control[base + BEGIN] = Math.floor((n * t) / used);
      control[base + END] = Math.floor((n * (t + 1)) / used);
      control[base + TID] = t;
      seqs[t] = Atomics.add(control, base + SEQ, 1) + 1;
      Atomics.notify(control, base + SEQ);
    }
    main.exports!.slim_run_range(fn, args, 0, Math.floor(n / used), 0);
    for (let t = 1; t < used; t++) {
      const at = t * SLOT + DONE;
      let spins = 0;
      let done: number;
      while ((done = Atomics.load(control, at)) !== seqs[t]) {
        if (++spins > SPIN) {
          if (Atomics.wait(control, at, done, WATCHDOG_MS) === "timed-out") {
            throw new Error(`kernel worker ${t} did not answer within ${WATCHDOG_MS / 1000} s`);
          }
        }
      }
    }
  };
  const instance = await WebAssembly.instantiate(module, {
    env: { memory, num_threads: () => threads, parallel_for: parallelFor },
  });
  const exports = instance.exports as unknown as WasmKernelExports;
  main.exports = exports;
  const stacks: number[] = [];
  for (let t = 1; t < threads; t++) stacks[t] = exports.slim_alloc(STACK_BYTES) + STACK_BYTES;
  exports.slim_mark();
  const workers: Worker[] = [];
  const started = Promise.all(
    Array.from({ length: threads - 1 }, (_, i) => {
      const worker = new Worker(new URL("./wasm_worker.ts", import.meta.url), { type: "module" });
      workers.push(worker);
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`kernel worker did not start within ${STARTUP_MS / 1000} s`)),
          STARTUP_MS,
        );
        worker.onmessage = () => {
          clearTimeout(timer);
          resolve();
        };
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`kernel worker failed: ${e.message}`));
        };
        worker.postMessage({
          bytes,
          memory,
          control: control.buffer,
          slot: i + 1,
          threads,
          stackTop: stacks[i + 1],
        });
      });
    }),
  );
  try {
    await started;
  } catch (error) {
    for (const worker of workers) worker.terminate();
    throw error;
  }
  return {
    exports,
    memory,
    threads,
    terminate() {
      // Ask each worker to leave its loop and close itself first: a worker blocked in
      // Atomics.wait may otherwise keep the process from exiting.
      for (let t = 1; t < threads; t++) {
        control[t * SLOT + FN] = STOP;
        Atomics.add(control, t * SLOT + SEQ, 1);
        Atomics.notify(control, t * SLOT + SEQ);
      }
      for (const worker of workers) worker.terminate();
    },
  };
}

/** Worker side (see `wasm_worker.ts`): instantiate, then serve ranges until terminated. */
export function serveWasmRanges(message: {
  bytes: Uint8Array<ArrayBuffer>;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  threads: number;
  stackTop: number;
}, ready: () => void): void {
  const module = new WebAssembly.Module(message.bytes);
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory: message.memory,
      num_threads: () => message.threads,
      parallel_for: () => {
        throw new Error("nested parallel_for");
      },
    },
  });
  const exports = instance.exports as unknown as WasmKernelExports;
  exports.__stack_pointer.value = message.stackTop;
  const control = new Int32Array(message.control);
  const base = message.slot * SLOT;
  let seen = Atomics.load(control, base + SEQ);
  ready();
  while (true) {
    let spins = 0;
    while (Atomics.load(control, base + SEQ) === seen) {
      if (++spins > SPIN) Atomics.wait(control, base + SEQ, seen);
    }
    seen = Atomics.load(control, base + SEQ);
    if (control[base + FN] === STOP) break;
    exports.slim_run_range(
      control[base + FN],
      control[base + ARGS],
      control[base + BEGIN],
      control[base + END],
      control[base + TID],
    );
    Atomics.store(control, base + DONE, seen);
    Atomics.notify(control, base + DONE);
  }
}
