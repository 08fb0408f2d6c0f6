import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  CheckpointError,
  decodeSafetensors,
  disposeTree,
  encodeSafetensors,
  type NamedArray,
  type SafetensorsFile,
  treeLeaves,
} from "@slimming/tensor-utils";
import { type Cfg, type CfgItem, convChannels } from "./cfg.ts";
import {
  checkpointMetadata,
  featureIndices,
  fromStateDict,
  gammaKeys,
  toStateDict,
} from "./state_dict.ts";
import { initVgg, type VggParams } from "./params.ts";
import { arbStagedCfg, randomParams } from "./testing.ts";

await tf.setBackend("cpu");

/** Asserts `fn` throws a one-line CheckpointError matching `pattern`. */
function assertCheckpointError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

const SD_CFG: CfgItem[] = [4, "M", 6, "M", 5, "M", 3, "M", 2];

async function encodedModel(cfg: Cfg = SD_CFG, seed = 11): Promise<{
  params: VggParams;
  dict: Record<string, NamedArray>;
  file: SafetensorsFile;
}> {
  // Non-trivial BN values so that a swapped gamma/beta/mean/var would show.
  const params = randomParams(cfg, seed);
  const dict = await toStateDict(params, { numBatchesTracked: 1234 });
  const file = decodeSafetensors(encodeSafetensors(dict, checkpointMetadata(cfg, { epoch: "3" })));
  return { params, dict, file };
}

Deno.test("state_dict: PyTorch names, indices and layouts (OIHW, [out, in])", async () => {
  const { params, dict } = await encodedModel();
  assert.deepEqual(featureIndices(SD_CFG), [
    { conv: 0, bn: 1 },
    { conv: 4, bn: 5 },
    { conv: 8, bn: 9 },
    { conv: 12, bn: 13 },
    { conv: 16, bn: 17 },
  ]);
  assert.deepEqual(gammaKeys(SD_CFG), [1, 5, 9, 13, 17].map((i) => `feature.${i}.weight`));
  const expectedKeys: string[] = ["classifier.bias", "classifier.weight"];
  let inChannels = 3;
  for (const [layer, out] of convChannels(SD_CFG).entries()) {
    const conv = [0, 4, 8, 12, 16][layer];
    expectedKeys.push(`feature.${conv}.weight`);
    for (const k of ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]) {
      expectedKeys.push(`feature.${conv + 1}.${k}`);
    }
    const w = dict[`feature.${conv}.weight`];
    assert.equal(w.dtype, "F32");
    assert.deepEqual(w.shape, [out, inChannels, 3, 3]);
    const oihw = tf.tidy(() => tf.transpose(params.features[layer].conv.weight, [3, 2, 0, 1]));
    assert.deepEqual(w.data, await oihw.data());
    oihw.dispose();
    const bn = params.features[layer].bn;
    assert.deepEqual(dict[`feature.${conv + 1}.weight`].data, await bn.gamma.data());
    assert.deepEqual(dict[`feature.${conv + 1}.bias`].data, await bn.beta.data());
    assert.deepEqual(dict[`feature.${conv + 1}.running_mean`].data, await bn.runningMean.data());
    assert.deepEqual(dict[`feature.${conv + 1}.running_var`].data, await bn.runningVar.data());
    const tracked = dict[`feature.${conv + 1}.num_batches_tracked`];
    assert.equal(tracked.dtype, "I64");
    assert.deepEqual(tracked.shape, []);
    assert.equal(new DataView(tracked.data.buffer).getBigInt64(0, true), 1234n);
    inChannels = out;
  }
  assert.deepEqual(Object.keys(dict).sort(), expectedKeys.sort());
  assert.deepEqual(dict["classifier.weight"].shape, [10, 2]);
  const head = tf.tidy(() => tf.transpose(params.classifier.weight));
  assert.deepEqual(dict["classifier.weight"].data, await head.data());
  head.dispose();
  assert.deepEqual(dict["classifier.bias"].shape, [10]);
  disposeTree(params);
});

Deno.test("state_dict: toStateDict -> safetensors -> fromStateDict is exact", async () => {
  await fc.assert(
    fc.asyncProperty(arbStagedCfg, fc.nat(), async (cfg, seed) => {
      const { params, file } = await encodedModel(cfg, seed);
      const back = fromStateDict(file, { expectedCfg: cfg });
      assert.deepEqual(back.cfg, cfg);
      const a = treeLeaves(params), b = treeLeaves(back);
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) {
        assert.deepEqual(b[i].shape, a[i].shape, `leaf ${i}`);
        assert.deepEqual(await b[i].data(), await a[i].data(), `leaf ${i}`);
      }
      disposeTree(params);
      disposeTree(back);
    }),
    { numRuns: 15 },
  );
});

Deno.test("state_dict: fromStateDict accepts without num_batches_tracked and other head sizes", async () => {
  const { params, file } = await encodedModel();
  const tensors = Object.fromEntries(
    Object.entries(file.tensors).filter(([k]) => !k.endsWith("num_batches_tracked")),
  );
  const back = fromStateDict({ tensors, metadata: file.metadata });
  assert.equal(back.features.length, 5);
  disposeTree(back);
  disposeTree(params);
  const hundred = initVgg({ cfg: SD_CFG, numClasses: 100, seed: 1 });
  const dict = await toStateDict(hundred);
  const loaded = fromStateDict({ tensors: dict, metadata: checkpointMetadata(SD_CFG) });
  assert.deepEqual(loaded.classifier.weight.shape, [2, 100]);
  assertCheckpointError(
    () =>
      fromStateDict({ tensors: dict, metadata: checkpointMetadata(SD_CFG) }, { numClasses: 10 }),
    /classifier\.weight has shape \[100,2\], the cfg needs \[10,2\]/,
  );
  disposeTree(loaded);
  disposeTree(hundred);
});

Deno.test("state_dict: fromStateDict rejects bad checkpoints with one-line errors and no leaks", async () => {
  const { params, file } = await encodedModel();
  disposeTree(params);
  const withTensors = (edit: (t: Record<string, NamedArray>) => void): SafetensorsFile => {
    const tensors = { ...file.tensors };
    edit(tensors);
    return { tensors, metadata: file.metadata };
  };
  const withMetadata = (metadata: Record<string, string>): SafetensorsFile => ({
    tensors: file.tensors,
    metadata,
  });
  const f32 = (shape: number[]): NamedArray => ({
    dtype: "F32",
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
  });
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      "missing conv weight",
      () => fromStateDict(withTensors((t) => delete t["feature.4.weight"]), { source: "m.st" }),
      /^m\.st: missing tensor feature\.4\.weight$/,
    ],
    [
      "missing running var",
      () => fromStateDict(withTensors((t) => delete t["feature.13.running_var"])),
      /missing tensor feature\.13\.running_var/,
    ],
    [
      "missing classifier bias",
      () => fromStateDict(withTensors((t) => delete t["classifier.bias"])),
      /missing tensor classifier\.bias/,
    ],
    [
      "wrong conv shape",
      () => fromStateDict(withTensors((t) => (t["feature.8.weight"] = f32([5, 6, 1, 9])))),
      /feature\.8\.weight has shape \[5,6,1,9\], the cfg needs \[5,6,3,3\]/,
    ],
    [
      "wrong gamma shape",
      () => fromStateDict(withTensors((t) => (t["feature.5.weight"] = f32([7])))),
      /feature\.5\.weight has shape \[7\], the cfg needs \[6\]/,
    ],
    [
      "wrong dtype",
      () =>
        fromStateDict(
          withTensors((t) =>
            t["feature.1.bias"] = { dtype: "F64", shape: [4], data: new Float64Array(4) }
          ),
        ),
      /feature\.1\.bias is F64, not F32/,
    ],
    [
      "extra tensor",
      () => fromStateDict(withTensors((t) => (t["feature.20.weight"] = f32([2])))),
      /unexpected tensor feature\.20\.weight/,
    ],
    [
      "extra tensor with a line break in its name",
      () => fromStateDict(withTensors((t) => (t["evil\nname"] = f32([2])))),
      /unexpected tensor evil/,
    ],
    [
      "no cfg",
      () => fromStateDict(withMetadata({ format: "pt" })),
      /no cfg in the header metadata/,
    ],
    [
      "cfg not JSON",
      () => fromStateDict(withMetadata({ cfg: "[4, M" })),
      /cfg in the metadata is not JSON/,
    ],
    [
      "cfg with 3 pools",
      () => fromStateDict(withMetadata({ cfg: '[4,"M",6,"M",5,"M",3]' })),
      /3 max-pools/,
    ],
    [
      "cfg not a list",
      () => fromStateDict(withMetadata({ cfg: '{"a":1}' })),
      /cfg must be a non-empty list/,
    ],
    [
      "cfg with a string",
      () => fromStateDict(withMetadata({ cfg: '["4","M","M","M","M"]' })),
      /positive integers/,
    ],
    [
      "cfg of another model",
      () =>
        fromStateDict(withMetadata({ cfg: JSON.stringify([4, "M", 6, "M", 5, "M", 3, "M", 3]) })),
      /feature\.16\.weight has shape \[2,3,3,3\], the cfg needs \[3,3,3,3\]/,
    ],
    [
      "expectedCfg mismatch",
      () => fromStateDict(file, { expectedCfg: [4, "M", 6, "M", 5, "M", 3, "M", 3] }),
      /its cfg \[4,"M",6,"M",5,"M",3,"M",2\] is not the expected \[4,"M",6,"M",5,"M",3,"M",3\]/,
    ],
  ];
  for (const [name, fn, pattern] of cases) {
    const before = tf.memory().numTensors;
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof CheckpointError, `${name}: ${error}`);
      assert.ok(!/[\n\r]/.test(error.message), `${name}: ${error.message}`);
      assert.match(error.message, pattern, name);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
  }
  // And the unedited file loads.
  const ok = fromStateDict(file, { expectedCfg: SD_CFG });
  assert.deepEqual(ok.cfg, SD_CFG);
  disposeTree(ok);
});
