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
