import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointError,
  decodeSafetensors,
  disposeTree,
  encodeSafetensors,
  type NamedArray,
  type SafetensorsFile,
  treeLeaves,
} from "@slimming/tensor-utils";
import { defaultCifarResnetCfg } from "./cfg.ts";
import { type CifarResnetParams, initCifarResnet } from "./params.ts";
import {
  cifarResnetFromStateDict,
  cifarResnetMetadata,
  cifarResnetToStateDict,
} from "./state_dict.ts";
import { randomCifarResnet } from "./testing.ts";

await tf.setBackend("cpu");

const BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

/** `CifarResNet(depth=8).state_dict().keys()` of tests/tools/cifar_resnet_ref.py, in order. */
const REFERENCE_KEYS_8 = [
  "conv1.weight",
  ...BN.map((t) => `bn1.${t}`),
  ...[1, 2, 3].flatMap((s) => {
    const k = `layer${s}.0`;
    return [
      `${k}.conv1.weight`,
      ...BN.map((t) => `${k}.bn1.${t}`),
      `${k}.conv2.weight`,
      ...BN.map((t) => `${k}.bn2.${t}`),
      ...(s > 1 ? [`${k}.downsample.0.weight`, ...BN.map((t) => `${k}.downsample.1.${t}`)] : []),
    ];
  }),
  "fc.weight",
  "fc.bias",
];

async function fileOf(params: CifarResnetParams, tracked = 0): Promise<SafetensorsFile> {
  const dict = await cifarResnetToStateDict(params, { numBatchesTracked: tracked });
  return decodeSafetensors(encodeSafetensors(dict, cifarResnetMetadata(params)));
}

Deno.test("cifarResnetToStateDict: PyTorch's names in order, OIHW layouts, metadata", async () => {
  const params = initCifarResnet({ depth: 8, seed: 1 });
  const dict = await cifarResnetToStateDict(params, { numBatchesTracked: 7 });
  assert.deepEqual(Object.keys(dict), REFERENCE_KEYS_8);
  assert.deepEqual(dict["conv1.weight"].shape, [16, 3, 3, 3]);
  assert.deepEqual(dict["layer2.0.conv1.weight"].shape, [32, 16, 3, 3]);
  assert.deepEqual(dict["layer3.0.downsample.0.weight"].shape, [64, 32, 1, 1]);
  assert.deepEqual(dict["fc.weight"].shape, [10, 64]);
  const tracked = dict["layer2.0.downsample.1.num_batches_tracked"];
  assert.equal(tracked.dtype, "I64");
  assert.equal(new DataView((tracked.data as Uint8Array).buffer).getBigInt64(0, true), 7n);
  // OIHW: element [o, i, h, w] of the file is HWIO [h, w, i, o] of the tree.
  const hwio = params.residualBlocks[0].conv2.arraySync();
  const oihw = dict["layer1.0.conv2.weight"].data as Float32Array;
  assert.equal(oihw[((5 * 16 + 2) * 3 + 1) * 3 + 0], hwio[1][0][2][5]);
  const fcW = params.fc.weight.arraySync();
  assert.equal((dict["fc.weight"].data as Float32Array)[3 * 64 + 40], fcW[40][3]);
  assert.deepEqual(cifarResnetMetadata(params, { epoch: "3" }), {
    format: "pt",
    arch: "cifar-resnet",
    depth: "8",
    planes: "[16,32,64]",
    cfg: JSON.stringify(defaultCifarResnetCfg(8)),
    epoch: "3",
  });
  disposeTree(params);
});

Deno.test("cifarResnetFromStateDict: round trip of a pruned-like model", async () => {
  const spec = { depth: 14, planes: [2, 4, 8] as const, cfg: [1, 2, 3, 4, 5, 6] };
  const params = randomCifarResnet(spec, 2, "distinct", 5);
  const back = cifarResnetFromStateDict(await fileOf(params));
  assert.deepEqual(back.cfg, spec.cfg);
  assert.deepEqual(back.planes, [2, 4, 8]);
  assert.equal(back.depth, 14);
  assert.deepEqual(back.fc.weight.shape, [8, 5]);
  const a = treeLeaves(params).map((t) => Array.from(t.dataSync()));
  const b = treeLeaves(back).map((t) => Array.from(t.dataSync()));
  assert.deepEqual(b, a);
  disposeTree(back);
  disposeTree(params);
});

Deno.test("cifarResnetFromStateDict: one-line CheckpointErrors, nothing leaked", async () => {
  const params = initCifarResnet({ depth: 8, width: 0.125, seed: 3 });
  const file = await fileOf(params);
  const withMeta = (m: Record<string, string | undefined>): SafetensorsFile => ({
    tensors: file.tensors,
    metadata: Object.fromEntries(
      Object.entries({ ...file.metadata, ...m }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
  });
  const withTensors = (change: (t: Record<string, NamedArray>) => void): SafetensorsFile => {
    const tensors = { ...file.tensors };
    change(tensors);
    return { tensors, metadata: file.metadata };
  };
  const cases: Array<[SafetensorsFile, RegExp]> = [
    [withMeta({ arch: undefined }), /no arch \(a VGG checkpoint\?\) in the metadata/],
    [withMeta({ arch: "resnet" }), /arch "resnet" in the metadata, not cifar-resnet/],
    [withMeta({ depth: "9" }), /depth must be 6n\+2/],
    [withMeta({ cfg: undefined }), /no cfg in the header metadata/],
    [withMeta({ planes: undefined }), /no planes in the header metadata/],
    [withMeta({ cfg: "[1,2" }), /cfg in the metadata is not JSON/],
    [withMeta({ cfg: "[1,2]" }), /needs 3 entries/],
    [withMeta({ planes: "[2,4]" }), /planes must be 3 positive integers/],
    [withMeta({ depth: "14" }), /needs 6 entries/],
    [
      withTensors((t) => delete t["layer2.0.downsample.1.running_var"]),
      /missing tensor layer2\.0\.downsample\.1\.running_var/,
    ],
    [withTensors((t) => (t["extra\nname"] = t["fc.bias"])), /unexpected tensor extra\\nname/],
    [
      withTensors((t) => (t["layer1.0.conv2.weight"] = t["conv1.weight"])),
      /layer1\.0\.conv2\.weight has shape \[2,3,3,3\], the cfg needs \[2,2,3,3\]/,
    ],
    [
      withTensors((t) => (t["fc.bias"] = { dtype: "I32", shape: [10], data: new Int32Array(10) })),
      /fc\.bias is I32, not F32/,
    ],
  ];
  const before = tf.memory().numTensors;
  for (const [bad, message] of cases) {
    assert.throws(() => cifarResnetFromStateDict(bad, { source: "x.safetensors" }), (e: Error) => {
      assert.ok(e instanceof CheckpointError, `${message}: ${e}`);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith("x.safetensors: ") && !e.message.includes("\n"), e.message);
      return true;
    });
  }
  assert.equal(tf.memory().numTensors, before, "a failed load frees what it made");
  assert.throws(
    () => cifarResnetFromStateDict(file, { expectedCfg: [1, 1, 1] }),
    /is not the expected/,
  );
  disposeTree(params);
});
