import assert from "node:assert/strict";
import { datasetOf, datasetTitle } from "./dataset.ts";

Deno.test("datasetOf: the recorded data set, and CIFAR-10 for records without one", () => {
  assert.equal(datasetOf({ dataset: "cifar100" }), "cifar100");
  assert.equal(datasetOf({ dataset: "cifar10" }), "cifar10");
  assert.equal(datasetOf({}), "cifar10");
  assert.equal(datasetOf(undefined), "cifar10");
  assert.equal(datasetTitle({ dataset: "cifar100" }), "CIFAR-100");
  assert.equal(datasetTitle({}), "CIFAR-10");
});
