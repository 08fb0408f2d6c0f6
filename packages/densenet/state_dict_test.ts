import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointError,
  decodeSafetensors,
  disposeTree,
  encodeSafetensors,
  f32,
  type NamedArray,
  type SafetensorsFile,
  treeLeaves,
} from "@slimming/tensor-utils";
import type { DensenetSpec } from "./cfg.ts";
import {
  bnKeys,
  densenetGammaKeys,
  densenetMetadata,
  fromStateDict,
  toStateDict,
} from "./state_dict.ts";
import { forward } from "./forward.ts";
import { randomDensenet, randomImages } from "./testing.ts";

await tf.setBackend("cpu");

const SPEC: DensenetSpec = { depth: 10, growthRate: 3, cfg: [4, 7, 5, 10, 12, 9, 13, 1, 6] };

function assertCheckpointError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

async function encoded(spec = SPEC) {
  const params = randomDensenet(spec, 3);
  const dict = await toStateDict(params, { numBatchesTracked: 77 });
  const bytes = encodeSafetensors(dict, densenetMetadata(spec, { epoch: "2" }));
  return { params, dict, file: decodeSafetensors(bytes) };
}

Deno.test("state_dict: the reference's names, layouts and select.indexes", async () => {
  const { params, dict } = await encoded();
  const keys = bnKeys(10);
  assert.deepEqual(keys, [
    "dense1.0.bn1",
    "dense1.1.bn1",
    "trans1.bn1",
    "dense2.0.bn1",
    "dense2.1.bn1",
    "trans2.bn1",
    "dense3.0.bn1",
    "dense3.1.bn1",
    "bn",
  ]);
  assert.deepEqual(densenetGammaKeys(10)[8], "bn.weight");
  const expected = ["conv1.weight", "fc.weight", "fc.bias"];
  for (const k of keys) {
    const m = k.replace(/\.?bn1?$/, "");
    const prefix = m === "" ? "" : `${m}.`;
    for (const s of ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]) {
      expected.push(`${k}.${s}`);
    }
    expected.push(`${prefix}select.indexes`);
    if (m !== "") expected.push(`${m}.conv1.weight`);
  }
  assert.deepEqual(Object.keys(dict).sort(), expected.sort());
  assert.deepEqual(dict["conv1.weight"].shape, [6, 3, 3, 3]);
  assert.deepEqual(dict["dense2.1.conv1.weight"].shape, [3, 12, 3, 3]);
  assert.deepEqual(dict["trans2.conv1.weight"].shape, [18, 9, 1, 1]);
  assert.deepEqual(dict["trans2.bn1.weight"].shape, [18]);
  assert.deepEqual(dict["fc.weight"].shape, [10, 6]);
  const oihw = tf.tidy(() => tf.transpose(params.dense[1][1].conv.weight, [3, 2, 0, 1]));
  assert.deepEqual(dict["dense2.1.conv1.weight"].data, oihw.dataSync());
  const fcT = tf.tidy(() => tf.transpose(params.fc.weight));
  assert.deepEqual(dict["fc.weight"].data, fcT.dataSync());
  const indexes = Array.from(dict["dense3.1.select.indexes"].data as Float32Array);
  assert.equal(indexes.length, 21);
  assert.deepEqual(indexes.flatMap((v, c) => (v === 1 ? [c] : [])), params.dense[2][1].selected);
  assert.equal(indexes.filter((v) => v === 0).length, 20);
  assert.equal(dict["trans1.bn1.num_batches_tracked"].dtype, "I64");
  assert.deepEqual(dict["bn.running_var"].data, params.final.bn.runningVar.dataSync());
  tf.dispose([oihw, fcT]);
  disposeTree(params);
});

Deno.test("fromStateDict(toStateDict(p)) gives back p: same leaves, selections and logits", async () => {
  const { params, file } = await encoded();
  const back = fromStateDict(file);
  assert.deepEqual(back.cfg, SPEC.cfg);
  assert.equal(back.growthRate, 3);
  const a = treeLeaves(params);
  const b = treeLeaves(back);
  assert.equal(a.length, b.length);
  a.forEach((t, i) => assert.deepEqual(t.dataSync(), b[i].dataSync()));
  assert.deepEqual(back.trans[1].selected, params.trans[1].selected);
  const x = randomImages(2, 5);
  const [la, lb] = [forward(params, x, { training: false }), forward(back, x, { training: false })];
  assert.deepEqual(la.logits.dataSync(), lb.logits.dataSync());
  tf.dispose([x, la.logits, lb.logits]);
  disposeTree([params, back]);
});

Deno.test("fromStateDict: one-line CheckpointErrors for arch, spec, shapes, indexes", async () => {
  const { params, dict } = await encoded();
  const meta = densenetMetadata(SPEC);
  const file = (d: Record<string, NamedArray>, m: Record<string, string> = meta): SafetensorsFile =>
    decodeSafetensors(encodeSafetensors(d, m));
  const before = tf.memory().numTensors;
  assertCheckpointError(
    () => fromStateDict(file(dict, { ...meta, arch: "vgg" }), { source: "a.st" }),
    /^a\.st: a vgg checkpoint, not a densenet one$/,
  );
  const { arch: _, ...noArch } = meta;
  assertCheckpointError(() => fromStateDict(file(dict, noArch)), /a vgg checkpoint/);
  assertCheckpointError(
    () => fromStateDict(file(dict, { ...meta, depth: "11" })),
    /DenseNet depth must be 3n\+4/,
  );
  assertCheckpointError(
    () => fromStateDict(file(dict, { ...meta, cfg: "[4, 7" })),
    /cfg in the metadata is not JSON/,
  );
  assertCheckpointError(
    () => fromStateDict(file(dict), { expectedCfg: [1, 2] }),
    /is not the expected \[1,2\]/,
  );
  const wrongCfg = { ...meta, cfg: JSON.stringify([5, 7, 5, 10, 12, 9, 13, 1, 6]) };
  assertCheckpointError(
    () => fromStateDict(file(dict, wrongCfg)),
    /dense1\.0\.select\.indexes selects 4 channels, the cfg says 5/,
  );
  const { ["trans1.conv1.weight"]: _t, ...missing } = dict;
  assertCheckpointError(() => fromStateDict(file(missing)), /missing tensor trans1\.conv1\.weight/);
  const reshaped = { ...dict, "dense1.1.conv1.weight": f32([3, 6, 3, 3], new Float32Array(162)) };
  assertCheckpointError(
    () => fromStateDict(file(reshaped)),
    /dense1\.1\.conv1\.weight has shape \[3,6,3,3\], the cfg needs \[3,7,3,3\]/,
  );
  const badIndexes = new Float32Array(dict["select.indexes"].data as Float32Array);
  badIndexes[badIndexes.indexOf(1)] = 0.5;
  assertCheckpointError(
    () => fromStateDict(file({ ...dict, "select.indexes": f32([24], badIndexes) })),
    /select\.indexes holds 0\.5, not 0 or 1/,
  );
  assertCheckpointError(
    () => fromStateDict(file({ ...dict, "extra\nname": f32([1], new Float32Array(1)) })),
    /unexpected tensor extra\\nname for a depth-10 DenseNet/,
  );
  assert.equal(tf.memory().numTensors, before);
  disposeTree(params);
});
