/**
 * `--arch resnet`, `--arch densenet` and `--arch cifar-resnet` through the command line on a
 * tiny synthetic run:
 * train with the sparsity term, prune with channel selection and recalibration, fine-tune,
 * eval, resume and export; the checkpoints name their architecture and the prune record
 * names each BN layer.
 */
import assert from "node:assert/strict";
import { decodeOnnxModel } from "@slimming/export";
import { readSafetensors } from "@slimming/tensor-utils";
import type { EpochRecord, PruneSummary, RunConfig } from "@slimming/run-format";
import { architecture } from "@slimming/architectures";
import { resnetBnNames } from "@slimming/resnet/cfg";
import { densenetBnLabels } from "@slimming/densenet/cfg";
import { cifarResnetBnLabels } from "@slimming/cifar-resnet/cfg";
import { runCli, syntheticArchive } from "./cli_helpers.ts";

const ARCHS = [
  { arch: "resnet", flags: ["--depth", "11", "--width", "0.25"], names: resnetBnNames(11) },
  {
    arch: "densenet",
    flags: ["--depth", "7", "--growth-rate", "4"],
    names: densenetBnLabels(7),
  },
  {
    arch: "cifar-resnet",
    flags: ["--depth", "8", "--width", "0.25"],
    names: cifarResnetBnLabels(8),
  },
] as const;

for (const { arch, flags, names } of ARCHS) {
  Deno.test(`--arch ${arch}: train, prune 0.5 with recalibration, fine-tune, eval, resume, export`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `slimming-${arch}-` });
    try {
      const archive = await syntheticArchive(dir, 4, 3);
      const common = ["--data", archive, "--quiet", "--batch-size", "20"];
      const run = `${dir}/run`;
      const train = ["train", "--arch", arch, ...flags, "--lambda", "1e-3", "--out", run];
      const trained = await runCli([...train, "--epochs", "1", ...common]);
      assert.equal(trained.code, 0, trained.stderr);
      const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`)) as RunConfig;
      assert.equal(config.arch, arch);
      // Resuming loads the checkpoint back through its architecture and checks its spec.
      const resumed = await runCli([...train, "--epochs", "1", "--resume", ...common]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const history = JSON.parse(await Deno.readTextFile(`${run}/history.json`)) as EpochRecord[];
      assert.deepEqual(history.map((e) => e.epoch), [1]);
      const other = await runCli([
        ...train,
        "--epochs",
        "1",
        "--resume",
        "--width",
        "0.5",
        ...common,
      ]);
      assert.equal(other.code, 2, other.stderr);
      const ckpt = await readSafetensors(`${run}/last.safetensors`);
      assert.equal(ckpt.metadata.arch, arch);

      const pruned = await runCli([
        "prune",
        "--ratio=0.5",
        "--checkpoint",
        `${run}/last.safetensors`,
        "--recalibrate",
        "40",
        "--out",
        `${dir}/p50`,
        "--data",
        archive,
      ]);
      assert.equal(pruned.code, 0, pruned.stderr);
      const summary = JSON.parse(
        await Deno.readTextFile(`${dir}/p50/prune.json`),
      ) as PruneSummary;
      assert.equal(summary.arch, arch);
      assert.deepEqual(summary.layerNames, [...names]);
      assert.equal(summary.kept.length, names.length);
      assert.ok(summary.kept.every((k) => k >= 1), "no layer emptied");
      assert.ok(summary.paramsAfter < summary.paramsBefore);
      assert.ok(summary.recalibratedTestAcc !== undefined && summary.maskedTestAcc !== undefined);
      const slim = await readSafetensors(`${dir}/p50/pruned.safetensors`);
      const cfg = JSON.parse(slim.metadata.cfg) as number[];
      assert.deepEqual(cfg, summary.cfg);
      const descriptor = architecture(arch);
      const counted = descriptor.countParams(descriptor.specFromMetadata(slim.metadata, "x"), 10);
      assert.equal(summary.paramsAfter, counted);

      const tuned = await runCli([
        "finetune",
        "--checkpoint",
        `${dir}/p50/recalibrated.safetensors`,
        "--epochs",
        "1",
        "--out",
        `${dir}/ft`,
        ...common,
      ]);
      assert.equal(tuned.code, 0, tuned.stderr);
      const evaluated = await runCli([
        "eval",
        "--checkpoint",
        `${dir}/ft/best.safetensors`,
        "--data",
        archive,
      ]);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      const out = JSON.parse(evaluated.stdout);
      assert.equal(out.params, summary.paramsAfter);

      const exported = await runCli([
        "export",
        "--checkpoint",
        `${dir}/ft/best.safetensors`,
        "--format",
        "onnx",
        "--out",
        `${dir}/x`,
      ]);
      assert.equal(exported.code, 0, exported.stderr);
      const model = decodeOnnxModel(await Deno.readFile(`${dir}/x/model.onnx`));
      const meta = Object.fromEntries(
        model.metadataProps!.map((p) => [p.key, JSON.parse(p.value!)]),
      );
      assert.equal(meta.arch, arch);
      assert.deepEqual(meta.cfg, summary.cfg);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
