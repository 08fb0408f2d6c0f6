import assert from "node:assert/strict";
import { CIFAR100_SPEC, CIFAR10_SPEC } from "@slimming/cifar";
import { CheckpointError, encodeSafetensors, f32 } from "@slimming/tensor-utils/core";
import {
  checkCheckpointDataset,
  checkClassCount,
  checkpointSpec,
  headClassCount,
} from "./dataset_guard.ts";

const head = (name: string, n: number) => ({ [name]: { shape: [n] } });

Deno.test("headClassCount reads VGG's classifier and ResNet/DenseNet's fc head", () => {
  assert.equal(headClassCount(head("classifier.bias", 100)), 100);
  assert.equal(headClassCount(head("fc.bias", 10)), 10);
  assert.equal(headClassCount({ "feature.0.weight": { shape: [8] } }), undefined);
});

Deno.test("checkClassCount: a match passes; a mismatch is one line naming both data sets", () => {
  checkClassCount("m.safetensors", 10, CIFAR10_SPEC);
  checkClassCount("m.safetensors", 100, CIFAR100_SPEC);
  assert.throws(
    () => checkClassCount("m.safetensors", 10, CIFAR100_SPEC),
    (e) =>
      e instanceof CheckpointError && !e.message.includes("\n") &&
      /m\.safetensors: a 10-class model, but --dataset cifar100 has 100 classes \(it was trained on CIFAR-10: --dataset cifar10\)/
        .test(e.message),
  );
  assert.throws(
    () => checkClassCount("m.safetensors", 7, CIFAR10_SPEC),
    (e) =>
      e instanceof CheckpointError && /7-class model/.test(e.message) &&
      !/trained on/.test(e.message),
  );
});

Deno.test("checkCheckpointDataset reads the head from the file; a headless file is left to the loader", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/m.safetensors`;
    await Deno.writeFile(
      path,
      encodeSafetensors({ "classifier.bias": f32([100], new Float32Array(100)) }, {}),
    );
    await checkCheckpointDataset(path, CIFAR100_SPEC);
    await assert.rejects(checkCheckpointDataset(path, CIFAR10_SPEC), CheckpointError);
    await Deno.writeFile(path, encodeSafetensors({ x: f32([1], new Float32Array(1)) }, {}));
    // No head: left to the model loader, which names what is missing.
    await checkCheckpointDataset(path, CIFAR10_SPEC);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpointSpec: the data set of the head's class count, else a one-line CheckpointError", () => {
  assert.equal(checkpointSpec("m", head("classifier.bias", 100)), CIFAR100_SPEC);
  assert.equal(checkpointSpec("m", head("fc.bias", 10)), CIFAR10_SPEC);
  assert.throws(
    () => checkpointSpec("m", head("classifier.bias", 7)),
    (e) =>
      e instanceof CheckpointError &&
      /7-class model; no data set here has 7 classes/.test(e.message),
  );
  assert.throws(() => checkpointSpec("m", {}), /no classifier head/);
});
