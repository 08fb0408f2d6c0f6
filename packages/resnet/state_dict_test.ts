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
import { defaultResnetCfg } from "./cfg.ts";
import { initResnet, type ResnetParams } from "./params.ts";
import { fromStateDict, resnetCheckpointMetadata, toStateDict } from "./state_dict.ts";
import { randomResnetParams } from "./testing.ts";

await tf.setBackend("cpu");

/** `resnet(depth=11).state_dict().keys()` of the reference under PyTorch 1.13, in order. */
const REFERENCE_KEYS_11 = [
  "conv1.weight",
  ...[1, 2, 3].flatMap((s) => {
    const k = `layer${s}.0`;
    const bn = (b: string) =>
      ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map((t) =>
        `${k}.${b}.${t}`
      );
    return [
      ...bn("bn1"),
      `${k}.select.indexes`,
      `${k}.conv1.weight`,
      ...bn("bn2"),
      `${k}.conv2.weight`,
      ...bn("bn3"),
      `${k}.conv3.weight`,
      `${k}.downsample.0.weight`,
    ];
  }),
  ...["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map((t) => `bn.${t}`),
  "select.indexes",
  "fc.weight",
  "fc.bias",
];

async function fileOf(params: ResnetParams, tracked = 0): Promise<SafetensorsFile> {
  const bytes = encodeSafetensors(
    await toStateDict(params, { numBatchesTracked: tracked }),
    resnetCheckpointMetadata(params),
  );
  return decodeSafetensors(bytes);
}

Deno.test("toStateDict: the reference's names, layouts and metadata", async () => {
  const params = initResnet({ depth: 11, seed: 1 });
  const dict = await toStateDict(params, { numBatchesTracked: 7 });
  assert.deepEqual(Object.keys(dict).sort(), [...REFERENCE_KEYS_11].sort());
  assert.deepEqual(dict["conv1.weight"].shape, [16, 3, 3, 3]);
  assert.deepEqual(dict["layer2.0.conv2.weight"].shape, [32, 32, 3, 3]);
  assert.deepEqual(dict["layer2.0.downsample.0.weight"].shape, [128, 64, 1, 1]);
  assert.deepEqual(dict["fc.weight"].shape, [10, 256]);
  assert.deepEqual(Array.from(dict["select.indexes"].data as Float32Array), new Array(256).fill(1));
  const tracked = dict["bn.num_batches_tracked"];
  assert.equal(tracked.dtype, "I64");
  assert.equal(new DataView((tracked.data as Uint8Array).buffer).getBigInt64(0, true), 7n);
  // OIHW: element [o, i, h, w] of the file is HWIO [h, w, i, o] of the tree.
  const hwio = params.blocks[0].conv2.arraySync();
  const oihw = dict["layer1.0.conv2.weight"].data as Float32Array;
  assert.equal(oihw[((5 * 16 + 2) * 3 + 1) * 3 + 0], hwio[1][0][2][5]);
  const fcW = params.fc.weight.arraySync();
  assert.equal((dict["fc.weight"].data as Float32Array)[3 * 256 + 100], fcW[100][3]);
  assert.deepEqual(resnetCheckpointMetadata(params), {
    format: "pt",
    arch: "resnet",
    depth: "11",
    planes: "[16,32,64]",
    cfg: JSON.stringify(defaultResnetCfg(11)),
  });
  disposeTree(params);
});

Deno.test("fromStateDict: round trip of a model with narrowed selections", async () => {
  const shape = { depth: 20, planes: [2, 4, 8] as const, cfg: defaultResnetCfg(20, 0.125) };
  const params = randomResnetParams(shape, 2);
  const pruned: ResnetParams = {
    ...params,
    cfg: params.cfg.map((v, i) => (i === 3 ? 2 : i === 18 ? 5 : v)),
    blocks: params.blocks.map((b, i) =>
      i === 1 ? { ...b, select: [1, 6], conv1: tf.slice(b.conv1, [0, 0, 0, 0], [1, 1, 2, -1]) } : b
    ),
    select: [0, 3, 4, 9, 15],
    fc: { ...params.fc, weight: tf.slice(params.fc.weight, [0, 0], [5, -1]) },
  };
  const back = fromStateDict(await fileOf(pruned));
  assert.deepEqual(back.cfg, pruned.cfg);
  assert.deepEqual(back.planes, [2, 4, 8]);
  assert.equal(back.depth, 20);
  assert.deepEqual(back.blocks[1].select, [1, 6]);
  assert.deepEqual(back.select, [0, 3, 4, 9, 15]);
  const a = treeLeaves(pruned).map((t) => Array.from(t.dataSync()));
  const b = treeLeaves(back).map((t) => Array.from(t.dataSync()));
  assert.deepEqual(b, a);
  disposeTree(back);
  tf.dispose([pruned.blocks[1].conv1, pruned.fc.weight]);
  disposeTree(params);
});

Deno.test("fromStateDict: one-line CheckpointErrors for wrong arch, cfg, shapes, tensors", async () => {
  const params = initResnet({ depth: 11, width: 0.125, seed: 3 });
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
    [withMeta({ arch: undefined }), /no arch \(a VGG checkpoint\?\) in the metadata, not resnet/],
    [withMeta({ arch: "densenet" }), /arch "densenet" in the metadata, not resnet/],
    [withMeta({ depth: "12" }), /depth must be 9n\+2/],
    [withMeta({ cfg: undefined }), /no depth or cfg/],
    [withMeta({ cfg: "[1,2" }), /cfg in the metadata is not JSON/],
    [withMeta({ cfg: "[1,2,3]" }), /needs 10 entries/],
    [withMeta({ planes: "[2,4]" }), /planes in the metadata/],
    [withMeta({ depth: "20" }), /needs 19 entries/],
    [
      withTensors((t) => delete t["layer2.0.bn3.running_var"]),
      /missing tensor layer2\.0\.bn3\.running_var/,
    ],
    [withTensors((t) => (t["extra\nname"] = t["fc.bias"])), /unexpected tensor extra\\nname/],
    [
      withTensors((t) => (t["layer1.0.conv2.weight"] = t["layer1.0.conv1.weight"])),
      /layer1\.0\.conv2\.weight has shape \[2,2,1,1\], the cfg needs \[2,2,3,3\]/,
    ],
    [
      withTensors((
        t,
      ) => (t["select.indexes"] = { ...t["select.indexes"], data: new Float32Array(32) })),
      /select\.indexes selects 0 channels, the cfg says 32/,
    ],
    [
      withTensors((
        t,
      ) => (t["select.indexes"] = { ...t["select.indexes"], data: new Float32Array(32).fill(2) })),
      /select\.indexes holds 2, not 0 or 1/,
    ],
    [
      withTensors((t) => (t["fc.bias"] = { dtype: "I32", shape: [10], data: new Int32Array(10) })),
      /fc\.bias is I32, not F32/,
    ],
  ];
  const before = tf.memory().numTensors;
  for (const [bad, message] of cases) {
    assert.throws(() => fromStateDict(bad, { source: "x.safetensors" }), (e: Error) => {
      assert.ok(e instanceof CheckpointError, `${message}: ${e}`);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith("x.safetensors: ") && !e.message.includes("\n"), e.message);
      return true;
    });
  }
  assert.equal(tf.memory().numTensors, before, "a failed load frees what it made");
  assert.throws(
    () => fromStateDict(file, { expectedCfg: defaultResnetCfg(11) }),
    /is not the expected/,
  );
  disposeTree(params);
});
