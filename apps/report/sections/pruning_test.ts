import assert from "node:assert/strict";
import type { PruneSummary } from "../lab_types.ts";
import { PRUNE_ROWS } from "./pruning.ts";

Deno.test("the masked accuracy prints as 'not measured' when prune.json leaves it out", () => {
  const [, masked] = PRUNE_ROWS.find(([label]) => label.startsWith("Test acc. masked"))!;
  assert.equal(masked({ maskedTestAcc: 85.2 } as PruneSummary), "85.20%");
  assert.equal(masked({} as PruneSummary), "not measured");
});
