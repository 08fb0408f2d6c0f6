import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CheckpointError, disposeTree, UsageError } from "@slimming/tensor-utils";
import {
  ARCH_NAMES,
  architecture,
  architectureOf,
  architectureOfMetadata,
  type ArchName,
  DEFAULT_ARCH,
  requireCapability,
  sameSpec,
} from "./mod.ts";

await tf.setBackend("cpu");

/** A small model of the first architectures; any other is tried at its default depth, width 1/4. */
const SMALL: Partial<Record<ArchName, { depth: number; width: number }>> = {
  vgg: { depth: 11, width: 0.125 },
  resnet: { depth: 11, width: 0.25 },
  densenet: { depth: 7, width: 0.5 },
};

Deno.test("each descriptor's trees and checkpoints carry its tag, which the registry looks up", () => {
  for (const name of ARCH_NAMES) {
    const arch = architecture(name);
    assert.equal(arch.name, name);
    assert.equal(arch.ops.arch, name);
    const spec = arch.specFor(SMALL[name] ?? { width: 0.25 });
    const params = arch.init(spec, { seed: 1, numClasses: 10 });
    try {
      assert.equal(params.arch, name);
      assert.equal(architectureOf(params), arch);
      const metadata = arch.metadata(params, { epoch: "1" });
      assert.equal(metadata.arch, name);
      assert.equal(architectureOfMetadata(metadata, "a.st"), arch);
      assert.ok(sameSpec(arch.specFromMetadata(metadata, "a.st"), arch.specOf(params)));
      assert.equal(arch.numClasses(params), 10);
    } finally {
      disposeTree(params);
    }
  }
});

Deno.test("an untagged checkpoint is an old VGG's; an unknown tag or an untagged tree is an error", () => {
  assert.equal(architectureOfMetadata({ cfg: "[8]" }, "old.st").name, "vgg");
  assert.throws(() => architectureOfMetadata({ arch: "lenet" }, "a.st"), CheckpointError);
  assert.throws(
    () => architectureOf({ features: [] } as unknown as Parameters<typeof architectureOf>[0]),
    UsageError,
  );
});

Deno.test("requireCapability passes what a descriptor declares", () => {
  for (const name of ARCH_NAMES) {
    const arch = architecture(name);
    for (const capability of ["roundTo", "multiPass", "recalibration"] as const) {
      if (arch.capabilities[capability]) requireCapability(arch, capability);
      else assert.throws(() => requireCapability(arch, capability), UsageError);
    }
  }
});

Deno.test("every architecture that declares an export format has an export graph, but VGG", () => {
  for (const name of ARCH_NAMES) {
    const arch = architecture(name);
    if (name === DEFAULT_ARCH || arch.capabilities.exportFormats.length === 0) continue;
    assert.equal(typeof arch.exportGraph, "function", name);
  }
});
