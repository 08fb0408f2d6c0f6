import assert from "node:assert/strict";
import { QUARTER_VGG19 } from "./testing/synthetic_lab.ts";
import { convLayerName, convLayerNames } from "./layers.ts";

Deno.test("conv layer names follow VGG's block numbering", () => {
  const names = convLayerNames(QUARTER_VGG19);
  assert.equal(names.length, 16);
  assert.deepEqual(names.slice(0, 3), ["conv1_1", "conv1_2", "conv2_1"]);
  assert.equal(names[15], "conv5_4");
  assert.equal(convLayerName(undefined, 3), "layer 4");
});
