/**
 * `deno task prune --round-to 8` and `--passes 2` through the CLI on a tiny pre-activation
 * ResNet and a tiny DenseNet checkpoint: every rounded BN a multiple of 8 (or all its
 * channels), the masked model measured, both counts recorded, `sweep --round-to 8` keeping
 * the same counts; two passes with a fine-tune
 * between them, each layer's losses within the per-pass cap, the slim checkpoint's cfg the
 * kept counts.
 */
import assert from "node:assert/strict";
import { disposeTree, encodeSafetensors, readSafetensors } from "@slimming/tensor-utils";
import type { PruneSummary, SweepSummary } from "@slimming/run-format";
import {
  defaultResnetCfg,
  resnetCheckpointMetadata,
  resnetPlanes,
  toStateDict as resnetToStateDict,
} from "@slimming/resnet";
import { randomResnetParams } from "@slimming/resnet/testing";
import {
  defaultDensenetCfg,
  densenetMetadata,
  toStateDict as densenetToStateDict,
} from "@slimming/densenet";
import { randomDensenet } from "@slimming/densenet/testing";
import { runCli, syntheticArchive } from "./cli_helpers.ts";

/** A checkpoint file's bytes for a tiny model of each architecture. */
const CHECKPOINTS: Record<string, () => Promise<Uint8Array>> = {
  resnet: async () => {
    const planes = resnetPlanes(0.5);
    const params = randomResnetParams({ depth: 11, planes, cfg: defaultResnetCfg(11, 0.5) }, 3);
    const bytes = encodeSafetensors(
      await resnetToStateDict(params),
      resnetCheckpointMetadata(params),
    );
    disposeTree(params);
    return bytes;
  },
  densenet: async () => {
    const params = randomDensenet({ depth: 10, growthRate: 6, cfg: defaultDensenetCfg(10, 6) }, 3);
    const bytes = encodeSafetensors(await densenetToStateDict(params), densenetMetadata(params));
    disposeTree(params);
    return bytes;
  },
};

async function summaryOf(dir: string): Promise<PruneSummary> {
  return JSON.parse(await Deno.readTextFile(`${dir}/prune.json`)) as PruneSummary;
}

async function slimCfg(dir: string): Promise<number[]> {
  return JSON.parse((await readSafetensors(`${dir}/pruned.safetensors`)).metadata.cfg);
}

for (const [arch, checkpoint] of Object.entries(CHECKPOINTS)) {
  Deno.test(`prune a ${arch} with --round-to 8, and in 2 passes`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `prune-${arch}-round-` });
    try {
      const archive = await syntheticArchive(dir, 2, 5);
      await Deno.writeFile(`${dir}/model.safetensors`, await checkpoint());
      const common = ["prune", "--checkpoint", `${dir}/model.safetensors`, "--data", archive];

      const plain = await runCli([...common, "--ratio=0.7", "--out", `${dir}/p70`]);
      assert.equal(plain.code, 0, plain.stderr);
      const rounded = await runCli([
        ...common,
        "--ratio=0.7",
        "--round-to",
        "8",
        "--out",
        `${dir}/r8`,
      ]);
      assert.equal(rounded.code, 0, rounded.stderr);
      const a = await summaryOf(`${dir}/p70`);
      const b = await summaryOf(`${dir}/r8`);
      assert.equal(b.arch, arch);
      assert.equal(b.roundTo, 8);
      assert.deepEqual(b.keptBeforeRounding, a.kept);
      b.kept.forEach((k, i) => {
        assert.ok(k % 8 === 0 || k === b.channelsBefore[i], `layer ${i}: ${k}`);
        assert.ok(k >= a.kept[i] && k - a.kept[i] < 8 && k >= 1);
      });
      assert.ok(b.kept.some((k, i) => k > a.kept[i]), "nothing was rounded");
      assert.ok(b.maskedTestAcc !== undefined, "the masked model of a rounded prune is measured");
      assert.deepEqual(await slimCfg(`${dir}/r8`), b.kept);
      assert.match(rounded.stdout, /rounded up from \d+/);

      // sweep rounds the same way: its point at 0.7 is the rounded prune's.
      const sweep = await runCli([
        "sweep",
        "--checkpoint",
        `${dir}/model.safetensors`,
        "--data",
        archive,
        "--ratios",
        "0.7",
        "--round-to",
        "8",
        "--out",
        `${dir}/sweep`,
      ]);
      assert.equal(sweep.code, 0, sweep.stderr);
      const swept = JSON.parse(await Deno.readTextFile(`${dir}/sweep/sweep.json`)) as SweepSummary;
      assert.equal(swept.roundTo, 8);
      assert.deepEqual(swept.points[0].kept, b.kept);

      const passes = await runCli([
        ...common,
        "--ratio=0.5",
        "--passes",
        "2",
        "--pass-epochs",
        "1",
        "--max-layer-ratio",
        "0.5",
        "--out",
        `${dir}/multi`,
      ]);
      assert.equal(passes.code, 0, passes.stderr);
      const multi = await summaryOf(`${dir}/multi`);
      assert.equal(multi.arch, arch);
      assert.equal("maskedTestAcc" in multi, false, "no masked model after fine-tuned passes");
      // At most half of a layer per pass: at least a quarter (rounded up twice) remains.
      multi.kept.forEach((k, i) => {
        const floor = Math.ceil(Math.ceil(multi.channelsBefore[i] / 2) / 2);
        assert.ok(k >= floor && k <= multi.channelsBefore[i], `layer ${i}: ${k}`);
      });
      assert.ok(multi.paramsAfter < multi.paramsBefore);
      assert.deepEqual(await slimCfg(`${dir}/multi`), multi.kept);
      await Deno.stat(`${dir}/multi/pass-1/last.safetensors`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
