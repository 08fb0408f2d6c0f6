import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors, f32 } from "@slimming/tensor-utils/core";
import { bnGammas } from "./gammas.ts";

Deno.test("bnGammas keeps the 1-D feature weights in feature order", () => {
  const bytes = encodeSafetensors({
    "feature.0.weight": f32([2, 3, 3, 3], new Float32Array(54)),
    "feature.1.weight": f32([2], new Float32Array([0.5, -0.25])),
    "feature.1.bias": f32([2], new Float32Array(2)),
    "feature.10.weight": f32([1], new Float32Array([0.125])),
    "feature.7.weight": f32([1], new Float32Array([2])),
    "classifier.weight": f32([1, 1], new Float32Array(1)),
  });
  const layers = bnGammas(decodeSafetensors(bytes));
  assert.deepEqual(layers.map((l) => l.name), [
    "feature.1.weight",
    "feature.7.weight",
    "feature.10.weight",
  ]);
  assert.deepEqual(Array.from(layers[0].values), [0.5, -0.25]);
});

Deno.test("bnGammas finds the BN scales of ResNet and DenseNet names, numbers compared as numbers", () => {
  const one = (v: number) => f32([1], new Float32Array([v]));
  const bytes = encodeSafetensors({
    "conv1.weight": f32([1, 3, 3, 3], new Float32Array(27)),
    "layer1.10.bn1.weight": one(3),
    "layer1.2.bn1.weight": one(2),
    "layer1.2.select.indexes": one(1),
    "bn.weight": one(4),
    "fc.weight": f32([10, 1], new Float32Array(10)),
    "fc.bias": f32([10], new Float32Array(10)),
  });
  assert.deepEqual(bnGammas(decodeSafetensors(bytes)).map((l) => l.name), [
    "bn.weight",
    "layer1.2.bn1.weight",
    "layer1.10.bn1.weight",
  ]);
});
