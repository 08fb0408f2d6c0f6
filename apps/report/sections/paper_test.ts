import assert from "node:assert/strict";
import { paperComparison } from "./paper.ts";
import { REPORT_TITLE, reportTitle } from "./overview.ts";

Deno.test("the report title names the lab's data set; labs without one are CIFAR-10", () => {
  assert.equal(reportTitle({ dataset: "cifar100" }), "Network Slimming on CIFAR-100");
  assert.equal(reportTitle({ dataset: "cifar10" }), "Network Slimming on CIFAR-10");
  assert.equal(reportTitle({}), "Network Slimming on CIFAR-10");
  assert.equal(REPORT_TITLE, "Network Slimming on CIFAR-10");
});

Deno.test("section 5 sets a CIFAR-10 lab beside Table 1 and a CIFAR-100 lab beside the reference's CIFAR-100 run", () => {
  for (const info of [{}, { dataset: "cifar10" }]) {
    const c10 = paperComparison(info);
    assert.match(c10.intro, /VGGNet on CIFAR-10/);
    assert.deepEqual(c10.rows.map((r) => r[0]), ["paper, 70% pruned", "reference code, 70%"]);
    assert.equal(c10.rows[0][1], "93.66%");
  }
  const c100 = paperComparison({ dataset: "cifar100" });
  assert.match(c100.intro, /VGGNet on CIFAR-100/);
  assert.doesNotMatch(c100.intro, /CIFAR-10[^0]/);
  assert.deepEqual(c100.rows, [[
    "reference code, 50%",
    "72.12%",
    "5.31%",
    "73.32%",
    c100.rows[0][4],
    "—",
  ]]);
  assert.match(c100.rows[0][4], /−75%/);
});
