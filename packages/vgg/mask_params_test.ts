import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { disposeTree } from "@slimming/tensor-utils";
import { maskParams } from "./mod.ts";
import { randomParams, snapshot } from "./testing.ts";

await tf.setBackend("cpu");

Deno.test("maskParams zeroes gamma and beta of pruned channels only", () => {
  const params = randomParams([5, "M", 3, "M", "M", "M"], 8, "distinct");
  const masks = [[true, false, true, false, false], [false, true, true]];
  const masked = maskParams(params, masks);
  const a = snapshot(params);
  const b = snapshot(masked);
  for (const [key, values] of Object.entries(a)) {
    const [layer, name] = key.split(".");
    if (name === "gamma" || name === "beta") {
      assert.deepEqual(b[key], values.map((v, c) => (masks[Number(layer)][c] ? v : 0)));
    } else {
      assert.deepEqual(b[key], values);
    }
  }
  assert.deepEqual(masked.cfg, params.cfg);
  disposeTree(params);
  disposeTree(masked);
});
