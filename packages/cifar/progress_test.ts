import assert from "node:assert/strict";
import { createProgressLine, formatProgress } from "./progress.ts";

Deno.test("progress line: redraws at most once per interval on one \\r line, ends with a newline", () => {
  let clock = 0;
  const out: string[] = [];
  const line = createProgressLine("cifar", { write: (t) => out.push(t), now: () => clock });
  for (let i = 1; i <= 100; i++) {
    clock += 10; // 100 updates over 1 s
    line.update(i * 1_000_000, 100_000_000);
  }
  line.finish();
  const draws = out.filter((t) => t.startsWith("\r"));
  assert.ok(draws.length >= 4 && draws.length <= 6, `${draws.length} redraws in 1 s`);
  assert.equal(out.at(-1), "\n");
  assert.equal(out.at(-2)!.trimEnd(), "\rcifar: 100.0 / 100.0 MB (100%)");
  assert.ok(!out.slice(0, -1).some((t) => t.includes("\n")));
  assert.equal(formatProgress("x", 1_500_000, undefined), "x: 1.5 MB");
});
