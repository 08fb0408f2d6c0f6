import assert from "node:assert/strict";
import { composeMasks, mergePassReports, planPrune } from "@slimming/slimming";
import { countFlops, countParams, vggCounts } from "./mod.ts";

const CFG = [8, "M", 6, "M", 4, "M", 4, "M", 2] as const;

function gammas(seed: number, widths: readonly number[]): Float32Array[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return widths.map((n) => Float32Array.from({ length: n }, next));
}

Deno.test("mergePassReports: first pass's before, last pass's after, guards of every pass", () => {
  const first = planPrune([...CFG], gammas(1, [8, 6, 4, 4, 2]), 0.5, {
    minChannels: 2,
    counts: vggCounts,
  });
  const second = planPrune(first.cfg, gammas(2, first.kept), 0.5, {
    minChannels: 2,
    counts: vggCounts,
  });
  const merged = mergePassReports([first, second], 0.5);
  assert.equal(merged.ratio, 0.5);
  assert.deepEqual(merged.cfgBefore, [...CFG]);
  assert.deepEqual(merged.channelsBefore, [8, 6, 4, 4, 2]);
  assert.deepEqual(merged.cfg, second.cfg);
  assert.deepEqual(merged.kept, second.kept);
  assert.equal(merged.threshold, second.threshold);
  assert.equal(merged.paramsBefore, countParams([...CFG]));
  assert.equal(merged.flopsBefore, countFlops([...CFG]));
  assert.equal(merged.paramsAfter, countParams(second.cfg));
  assert.equal(merged.flopsAfter, countFlops(second.cfg));
  assert.equal(merged.total, 24);
  assert.equal(merged.pruned, 24 - second.kept.reduce((a, b) => a + b, 0));
  const union = [...new Set([...first.guardedLayers, ...second.guardedLayers])].sort((a, b) =>
    a - b
  );
  assert.deepEqual(merged.guardedLayers, union);
  assert.ok(merged.guardedLayers.length > 0, "the fixture must exercise the guard");
});

Deno.test("mergePassReports: sorted union of guarded layers; one pass is itself", () => {
  const a = planPrune([...CFG], gammas(3, [8, 6, 4, 4, 2]), 0.3, { counts: vggCounts });
  assert.deepEqual(mergePassReports([a], 0.3), a);
  const withGuards = (g: number[]) => ({ ...a, guardedLayers: g });
  assert.deepEqual(
    mergePassReports([withGuards([3, 1]), withGuards([0, 3])], 0.3).guardedLayers,
    [0, 1, 3],
  );
  assert.throws(() => mergePassReports([], 0.3), RangeError);
});

Deno.test("composeMasks: narrowed layers map through the first pass, whole ones intersect", () => {
  const earlier = [[true, false, true, true], [true, false, true], [true, true]];
  const later = [[false, true, true], [true, false, false], [true, false]];
  assert.deepEqual(composeMasks(earlier, later), [
    [false, false, true, true],
    [true, false, false],
    [true, false],
  ]);
  assert.deepEqual(earlier[0], [true, false, true, true], "inputs unchanged");
  assert.throws(() => composeMasks(earlier, later.slice(1)), RangeError);
  assert.throws(() => composeMasks([[true, false, true]], [[true]]), RangeError);
});
