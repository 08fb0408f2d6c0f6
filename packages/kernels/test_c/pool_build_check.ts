/**
 * One check for native_threading_test.ts, which runs some kernel test files in a subprocess
 * with `SLIMMING_THREADS=pool` and this file beside them: it fails unless the native backend
 * of that run is the library built with our own thread pool, so the run cannot pass on
 * another build or without the native backend. (Not named `*_test.ts`: the suite runs it only
 * through that subprocess.)
 *
 * @module
 */
import { disposeBackends, useBackend } from "../select.ts";

Deno.test("the native backend of this run is the pool build", async () => {
  const info = await useBackend("native", { threads: 2 });
  disposeBackends();
  if (
    Deno.env.get("SLIMMING_THREADS") !== "pool" || !info.description.includes("own thread pool")
  ) {
    throw new Error(`expected the pool build with SLIMMING_THREADS=pool, got ${info.description}`);
  }
});
