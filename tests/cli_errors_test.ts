/**
 * Bad input through the real CLI: a one-line `error:` message, exit code 2 (3 for a
 * diverged run), no stack trace, and nothing written or overwritten.
 */
import assert from "node:assert/strict";
import { writeCifarArchive } from "@slimming/cifar";
import { syntheticCifar } from "@slimming/cifar";
import { encodeSafetensors } from "@slimming/tensor-utils";
import { fileHash, runCli, syntheticArchive, TINY_CFG } from "./cli_helpers.ts";

function assertUserError(
  result: { code: number; stderr: string },
  code: number,
  pattern: RegExp,
): void {
  const errors = result.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(result.code, code, `exit code ${result.code}, stderr:\n${result.stderr}`);
  assert.equal(errors.length, 1, `one error line expected:\n${result.stderr}`);
  assert.match(errors[0], pattern);
  assert.ok(!/^\s+at /m.test(result.stderr), `stack trace printed:\n${result.stderr}`);
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "slimming-cli-" });
}

Deno.test("bad options: one-line errors with exit code 2", async () => {
  const dir = await tempDir();
  const cases: Array<[string[], RegExp]> = [
    [["train", "--lambda", "-1", "--out", `${dir}/a`], /--lambda must be a number >= 0/],
    [["train", "--depth", "17", "--out", `${dir}/a`], /--depth must be one of 11, 13, 16, 19/],
    [["train", "--ratio", "0.5", "--out", `${dir}/a`], /train: .*ratio/],
    [["train", "--lambda", "1e-4x", "--out", `${dir}/a`], /--lambda must be/],
    [
      ["train", "--backend", "tpu", "--out", `${dir}/a`, "--data", `${dir}/none.tar.gz`],
      /unknown backend "tpu"/,
    ],
    [
      ["prune", "--ratio", "1", "--checkpoint", `${dir}/x`, "--out", `${dir}/p`],
      /--ratio must be a number in \[0, 1\)/,
    ],
    [
      ["prune", "--ratio", "NaN", "--checkpoint", `${dir}/x`, "--out", `${dir}/p`],
      /--ratio must be/,
    ],
    [
      ["prune", "--ratio", "-0.1", "--checkpoint", `${dir}/x`, "--out", `${dir}/p`],
      /--ratio must be/,
    ],
    [
      [
        "prune",
        "--ratio",
        "0.9",
        "--checkpoint",
        `${dir}/missing.safetensors`,
        "--out",
        `${dir}/p`,
      ],
      /no such file/,
    ],
    [["lab", "--profile", "huge"], /--profile must be one of/],
    [["eval"], /--checkpoint is required/],
    [["nonsense"], /unknown command "nonsense"/],
  ];
  await Promise.all(
    cases.map(async ([args, pattern]) => assertUserError(await runCli(args), 2, pattern)),
  );
  for await (const entry of Deno.readDir(dir)) assert.fail(`${entry.name} was written`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hostile data files: truncated, bad gzip, label > 9 are one-line errors naming the file", async () => {
  const dir = await tempDir();
  const good = await syntheticArchive(dir, 2, 1);
  const bytes = await Deno.readFile(good);
  await Deno.writeFile(`${dir}/truncated.tar.gz`, bytes.subarray(0, bytes.length >> 1));
  await Deno.writeFile(
    `${dir}/notgzip.tar.gz`,
    new TextEncoder().encode("this is not a gzip archive at all"),
  );
  const data = syntheticCifar({ trainPerClass: 2, testPerClass: 1, seed: 1 });
  data.train.labels[0] = 12;
  await writeCifarArchive(`${dir}/label.tar.gz`, data);
  const cases: Array<[string, RegExp]> = [
    ["truncated.tar.gz", /truncated\.tar\.gz/],
    ["notgzip.tar.gz", /notgzip\.tar\.gz/],
    ["label.tar.gz", /label/],
  ];
  await Promise.all(cases.map(async ([file, pattern]) => {
    const result = await runCli([
      "train",
      "--cfg",
      TINY_CFG,
      "--epochs",
      "1",
      "--data",
      `${dir}/${file}`,
      "--out",
      `${dir}/run-${file}`,
    ]);
    assertUserError(result, 2, pattern);
  }));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hostile checkpoints and resume of another cfg: exit 2, nothing overwritten", async () => {
  const dir = await tempDir();
  const archive = await syntheticArchive(dir, 4, 2);
  const train = [
    "train",
    "--cfg",
    TINY_CFG,
    "--epochs",
    "1",
    "--batch-size",
    "16",
    "--data",
    archive,
    "--quiet",
  ];
  const ok = await runCli([...train, "--out", `${dir}/run`]);
  assert.equal(ok.code, 0, ok.stderr);
  const before = await fileHash(`${dir}/run/last.safetensors`);
  // --resume with another cfg
  const other = await runCli([
    ...train.map((a) => (a === TINY_CFG ? "4,M,8,M,8,M,8,M,8" : a)),
    "--epochs",
    "2",
    "--resume",
    "--out",
    `${dir}/run`,
  ]);
  assertUserError(other, 2, /holds a run of cfg/);
  assert.equal(await fileHash(`${dir}/run/last.safetensors`), before);
  // a garbage checkpoint, one with a header length past the end, one without cfg metadata
  await Deno.writeFile(`${dir}/garbage.safetensors`, new Uint8Array(100).fill(7));
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  await Deno.writeFile(`${dir}/huge.safetensors`, huge);
  await Deno.writeFile(`${dir}/nocfg.safetensors`, encodeSafetensors({}, {}));
  for (
    const [file, pattern] of [
      ["garbage", /not a valid safetensors file/],
      ["huge", /header of \d+ bytes/],
      ["nocfg", /no cfg/],
    ] as const
  ) {
    const result = await runCli([
      "prune",
      "--ratio",
      "0.5",
      "--checkpoint",
      `${dir}/${file}.safetensors`,
      "--out",
      `${dir}/p-${file}`,
      "--data",
      archive,
    ]);
    assertUserError(result, 2, pattern);
    await assert.rejects(Deno.stat(`${dir}/p-${file}`));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a diverging run exits 3 naming epoch and batch and keeps its last good checkpoint", async () => {
  const dir = await tempDir();
  const archive = await syntheticArchive(dir, 4, 2);
  const result = await runCli([
    "train",
    "--cfg",
    TINY_CFG,
    "--epochs",
    "2",
    "--lr",
    "1e30",
    "--batch-size",
    "8",
    "--data",
    archive,
    "--out",
    `${dir}/run`,
  ]);
  assertUserError(
    result,
    3,
    /diverged: loss (NaN|Infinity|-Infinity) at epoch \d+, batch \d+\/\d+/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "a write that fails (full disk) is a one-line error, exit 2",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await tempDir();
    const archive = await syntheticArchive(dir, 4, 2);
    const mount = `${dir}/full`;
    await Deno.mkdir(mount);
    const mounted = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=48k", "tmpfs", mount],
      stderr: "null",
    })
      .output().then((o) => o.success).catch(() => false);
    if (!mounted) {
      console.log("skipped: cannot mount a tmpfs here (needs root)");
      await Deno.remove(dir, { recursive: true });
      return;
    }
    try {
      const result = await runCli([
        "train",
        "--cfg",
        TINY_CFG,
        "--epochs",
        "1",
        "--data",
        archive,
        "--out",
        `${mount}/run`,
      ]);
      assertUserError(result, 2, /cannot write .*full\/run/);
    } finally {
      await new Deno.Command("umount", { args: [mount] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
