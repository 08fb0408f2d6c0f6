/**
 * `deno task export` through the CLI: both formats from a VGG checkpoint and from pruned
 * ResNet and DenseNet checkpoints (their exported logits equal ours), and bad input (unknown
 * format, a file that is not a model, an unknown arch, an output folder that is not empty) as
 * one error line, exit 2 and nothing written.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { decodeOnnxModel } from "@slimming/export";
import { disposeTree, encodeSafetensors } from "@slimming/tensor-utils";
import { checkpointMetadata, toStateDict } from "@slimming/vgg";
import {
  forward as resnetForward,
  resnetCheckpointMetadata,
  toStateDict as resnetStateDict,
} from "@slimming/resnet";
import {
  densenetMetadata,
  forward as densenetForward,
  toStateDict as densenetStateDict,
} from "@slimming/densenet";
import { nhwcToNchw, randomImages } from "@slimming/export/testing";
import { randomBnVgg, SMALL_CFG } from "@slimming/vgg/testing";
import { runCli } from "./cli_helpers.ts";
import {
  forwardLogits,
  maxAbsDiff,
  onnxLogitsOf,
  randomDensenetModel,
  randomResnet,
  tfjsLogits,
} from "./export_helpers.ts";

async function writeCheckpoint(path: string): Promise<void> {
  const params = await randomBnVgg(SMALL_CFG, 3);
  await Deno.writeFile(
    path,
    encodeSafetensors(await toStateDict(params), checkpointMetadata(params.cfg)),
  );
  disposeTree(params);
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("export writes a tfjs folder and an ONNX model from a checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "export-cli-" });
  await writeCheckpoint(`${dir}/model.safetensors`);
  const tfjs = await runCli([
    "export",
    "--checkpoint",
    `${dir}/model.safetensors`,
    "--format",
    "tfjs",
    "--out",
    `${dir}/tfjs`,
  ]);
  assert.equal(tfjs.code, 0, tfjs.stderr);
  assert.deepEqual(await listing(`${dir}/tfjs`), ["group1-shard1of1.bin", "model.json"]);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/tfjs/model.json`));
  assert.equal(json.format, "layers-model");
  assert.deepEqual(json.userDefinedMetadata.cfg, SMALL_CFG);
  const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
  assert.ok(!classes.includes("BatchNormalization"), "fold-bn is on by default");

  const onnx = await runCli([
    "export",
    "--checkpoint",
    `${dir}/model.safetensors`,
    "--format",
    "onnx",
    "--fold-bn=false",
    "--out",
    `${dir}/onnx`,
  ]);
  assert.equal(onnx.code, 0, onnx.stderr);
  const model = decodeOnnxModel(await Deno.readFile(`${dir}/onnx/model.onnx`));
  assert.equal(model.graph!.node!.filter((n) => n.opType === "BatchNormalization").length, 8);
  assert.equal(JSON.parse(model.metadataProps!.find((p) => p.key === "foldBn")!.value!), false);
  assert.deepEqual(await listing(dir), ["model.safetensors", "onnx", "tfjs"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("export writes a pruned ResNet (tfjs, ONNX) and a pruned DenseNet (ONNX) whose logits equal ours", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "export-cli-arch-" });
  const n = 4;
  const images = randomImages(n, 9);
  const nchw = nhwcToNchw(images, n);
  try {
    const resnet = await randomResnet(11, 0.25, 0.5, 7);
    const resnetOurs = await forwardLogits(resnetForward, resnet, images, n);
    await Deno.writeFile(
      `${dir}/resnet.safetensors`,
      encodeSafetensors(await resnetStateDict(resnet), resnetCheckpointMetadata(resnet)),
    );
    const resnetCfg = [...resnet.cfg];
    disposeTree(resnet);
    const densenet = randomDensenetModel(7, 4, 0.5, 8);
    const densenetOurs = await forwardLogits(densenetForward, densenet, images, n);
    await Deno.writeFile(
      `${dir}/densenet.safetensors`,
      encodeSafetensors(await densenetStateDict(densenet), densenetMetadata(densenet)),
    );
    disposeTree(densenet);
    const exported = async (name: string, format: string) => {
      const result = await runCli([
        "export",
        "--checkpoint",
        `${dir}/${name}.safetensors`,
        "--format",
        format,
        "--out",
        `${dir}/${name}-${format}`,
      ]);
      assert.equal(result.code, 0, result.stderr);
      return `${dir}/${name}-${format}`;
    };

    const onnxDir = await exported("resnet", "onnx");
    const model = decodeOnnxModel(await Deno.readFile(`${onnxDir}/model.onnx`));
    const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, JSON.parse(p.value!)]));
    assert.equal(meta.arch, "resnet");
    assert.equal(meta.depth, 11);
    assert.deepEqual(meta.cfg, resnetCfg);
    assert.ok(model.graph!.node!.some((node) => node.opType === "Gather"), "selections kept");
    const tfjsDir = await exported("resnet", "tfjs");
    const json = JSON.parse(await Deno.readTextFile(`${tfjsDir}/model.json`));
    assert.equal(json.userDefinedMetadata.arch, "resnet");
    assert.deepEqual(json.userDefinedMetadata.cfg, resnetCfg);
    const tfjsDiff = maxAbsDiff(await tfjsLogits(tfjsDir, images, n), resnetOurs);
    assert.ok(tfjsDiff <= 1e-4, `ResNet tfjs: max abs diff ${tfjsDiff}`);

    const denseDir = await exported("densenet", "onnx");
    const [resnetOnnx, densenetOnnx] = await onnxLogitsOf([
      { dir: onnxDir, nchw, n },
      { dir: denseDir, nchw, n },
    ]);
    const onnxDiff = maxAbsDiff(resnetOnnx, resnetOurs);
    assert.ok(onnxDiff <= 1e-4, `ResNet ONNX: max abs diff ${onnxDiff}`);
    const denseDiff = maxAbsDiff(densenetOnnx, densenetOurs);
    assert.ok(denseDiff <= 1e-4, `DenseNet ONNX: max abs diff ${denseDiff}`);
    console.log(
      `max abs diff: ResNet onnx ${onnxDiff}, tfjs ${tfjsDiff}; DenseNet onnx ${denseDiff}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export: bad input is one error line, exit 2 and nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "export-cli-bad-" });
  await writeCheckpoint(`${dir}/model.safetensors`);
  await Deno.writeFile(
    `${dir}/momentum.safetensors`,
    encodeSafetensors({}, { hasMomentum: "0" }),
  );
  await Deno.writeTextFile(`${dir}/notes.txt`, "not a model\n");
  await Deno.writeFile(`${dir}/lenet.safetensors`, encodeSafetensors({}, { arch: "lenet" }));
  await Deno.mkdir(`${dir}/full`);
  await Deno.writeTextFile(`${dir}/full/keep.txt`, "mine\n");
  const cases: Array<[string[], RegExp]> = [
    [
      ["--checkpoint", `${dir}/model.safetensors`, "--format", "coreml", "--out", `${dir}/a`],
      /unknown format "coreml"/,
    ],
    [
      ["--checkpoint", `${dir}/momentum.safetensors`, "--format", "onnx", "--out", `${dir}/b`],
      /no cfg/,
    ],
    [["--checkpoint", `${dir}/notes.txt`, "--format", "tfjs", "--out", `${dir}/c`], /notes\.txt/],
    [
      ["--checkpoint", `${dir}/lenet.safetensors`, "--format", "onnx", "--out", `${dir}/e`],
      /arch "lenet"/,
    ],
    [
      ["--checkpoint", `${dir}/model.safetensors`, "--format", "tfjs", "--out", `${dir}/full`],
      /not empty/,
    ],
    [[
      "--checkpoint",
      `${dir}/model.safetensors`,
      "--format",
      "onnx",
      "--fold-bn=maybe",
      "--out",
      `${dir}/d`,
    ], /fold-bn/],
  ];
  const before = await listing(dir);
  for (const [args, message] of cases) {
    const result = await runCli(["export", ...args]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    const lines = result.stderr.trim().split("\n").filter((l) => !/warning|^\s*[│╭╰]/i.test(l));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], message);
    assert.deepEqual(await listing(dir), before, `${args.join(" ")} wrote something`);
  }
  assert.deepEqual(await listing(`${dir}/full`), ["keep.txt"]);
  await Deno.remove(dir, { recursive: true });
});
