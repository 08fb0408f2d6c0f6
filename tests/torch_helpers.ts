/**
 * The shared opening of the PyTorch agreement tests: where python lives, whether it has
 * torch, running a twin script in `tests/tools/` on a JSON job, and the relative comparison
 * every agreement test makes.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Debian's python3 (with `python3-torch`). */
export const PYTHON = "/usr/bin/python3";

/** Whether `python3 -c "import torch"` works here (the agreement tests are skipped if not). */
export const haveTorch: boolean = await new Deno.Command(PYTHON, {
  args: ["-c", "import torch"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success).catch(() => false);

/** The default agreement tolerance: 1e-5 relative to the compared tensor's largest magnitude. */
export const TOL = 1e-5;

/**
 * Runs `tests/tools/<script>` with `args`; fails the test with python's stderr if it fails,
 * else returns its stdout parsed as JSON.
 */
export async function runTorchScript<T>(script: string, args: readonly string[]): Promise<T> {
  const path = new URL(`./tools/${script}`, import.meta.url).pathname;
  const out = await new Deno.Command(PYTHON, {
    args: [path, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Writes `job` as JSON into `dir` and runs the twin `script` on it. */
export async function runTwin<T>(script: string, dir: string, job: unknown): Promise<T> {
  const jobPath = `${dir}/job-${crypto.randomUUID()}.json`;
  await Deno.writeTextFile(jobPath, JSON.stringify(job));
  return await runTorchScript<T>(script, [jobPath]);
}

/**
 * max |ours - theirs| <= tol * max |theirs| (relative to the tensor's scale; a scale under
 * `floor` counts as `floor`, so an all-zero tensor is compared absolutely).
 */
export function assertClose(
  ours: ArrayLike<number>,
  theirs: ArrayLike<number>,
  what: string,
  { tol = TOL, floor = 0 }: { tol?: number; floor?: number } = {},
): void {
  assert.equal(ours.length, theirs.length, `${what}: lengths`);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < theirs.length; i++) {
    scale = Math.max(scale, Math.abs(theirs[i]));
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
  }
  assert.ok(
    diff <= tol * Math.max(scale, floor),
    `${what}: max difference ${diff} at scale ${scale}`,
  );
}
