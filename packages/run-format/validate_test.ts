import assert from "node:assert/strict";
import fc from "fast-check";
import { DataError } from "@slimming/tensor-utils/core";
import { ARCH_NAMES } from "@slimming/architectures/info";
import { parseLabInfo, parsePruneSummary, parseRunConfig } from "./validate.ts";

const LAB = { stages: [], lambdas: [0], ratios: [0.5] };
const PRUNE = { ratio: 0.5, threshold: 0.1, kept: [1], channelsBefore: [2] };

Deno.test("records name a registered architecture or none (an untagged one is an old VGG's)", () => {
  fc.assert(
    fc.property(fc.constantFrom(undefined, ...ARCH_NAMES), (arch) => {
      const tag = arch === undefined ? {} : { arch };
      assert.equal(parseLabInfo({ ...LAB, ...tag }, "lab.json").arch, arch);
      assert.equal(parseRunConfig({ cfg: [8], ...tag }, "config.json").arch, arch);
      assert.equal(parsePruneSummary({ ...PRUNE, ...tag }, "prune.json").arch, arch);
    }),
  );
});

Deno.test("an unknown architecture in a record is a one-line DataError naming the file", () => {
  for (
    const parse of [
      () => parseLabInfo({ ...LAB, arch: "lenet" }, "a/lab.json"),
      () => parseRunConfig({ arch: "lenet" }, "a/lab.json"),
      () => parsePruneSummary({ ...PRUNE, arch: "lenet" }, "a/lab.json"),
    ]
  ) {
    assert.throws(
      parse,
      (e: Error) =>
        e instanceof DataError &&
        e.message === `a/lab.json: "arch" should be one of ${ARCH_NAMES.join(", ")}`,
    );
  }
});
