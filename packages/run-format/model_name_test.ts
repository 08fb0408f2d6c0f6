import assert from "node:assert/strict";
import { modelName, pruneOrigin, pruneScript, sparsityScope } from "./model_name.ts";

Deno.test("modelName and pruneScript name each architecture; none recorded means VGG", () => {
  assert.equal(modelName({ depth: 19 }), "VGG-19");
  assert.equal(modelName({ arch: "resnet", depth: 164 }), "pre-activation ResNet-164");
  assert.equal(
    modelName({ arch: "densenet", depth: 40, growthRate: 12 }),
    "DenseNet-40 (growth rate 12)",
  );
  assert.equal(modelName({}), "VGG");
  assert.deepEqual([undefined, "resnet", "densenet"].map(pruneScript), [
    "vggprune.py",
    "resprune.py",
    "denseprune.py",
  ]);
  assert.equal(pruneOrigin("resnet"), "exactly as the reference's resprune.py builds it");
  assert.equal(sparsityScope(undefined), "all BN scaling factors");
});
