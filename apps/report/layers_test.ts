import assert from "node:assert/strict";
import { QUARTER_VGG19 } from "./testing/synthetic_lab.ts";
import { convLayerName } from "./layers.ts";

Deno.test("conv layer names: recorded ones, else the architecture's (an untagged prune: VGG's block numbering)", () => {
  const names = Array.from(
    { length: 16 },
    (_, i) => convLayerName({ cfgBefore: QUARTER_VGG19 }, i),
  );
  assert.deepEqual(names.slice(0, 3), ["conv1_1", "conv1_2", "conv2_1"]);
  assert.equal(names[15], "conv5_4");
  assert.equal(convLayerName({ cfgBefore: QUARTER_VGG19 }, 16), "layer 17");
  assert.equal(convLayerName({ layerNames: ["a", "b"] }, 1), "b");
  assert.equal(convLayerName({ arch: "resnet", cfgBefore: [4, 4, 4, 16] }, 0), "layer1.0.bn1");
  assert.equal(convLayerName({}, 3), "layer 4");
});
