import assert from "node:assert/strict";
import fc from "fast-check";
import { median } from "./stats.ts";
import { exists, existsSync } from "./paths.ts";

Deno.test("median: the middle value, the mean of the middle two, NaN for none", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1 }),
      (v) => {
        const m = median(v);
        assert.ok(v.filter((x) => x <= m).length >= v.length / 2);
        assert.ok(v.filter((x) => x >= m).length >= v.length / 2);
      },
    ),
  );
});

Deno.test("exists / existsSync: files and folders, absent paths, isFile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/f`;
    await Deno.writeTextFile(file, "x");
    assert.equal(await exists(file), true);
    assert.equal(await exists(`${dir}/none`), false);
    assert.equal(existsSync(dir), true);
    assert.equal(existsSync(dir, { isFile: true }), false);
    assert.equal(existsSync(file, { isFile: true }), true);
    assert.equal(existsSync(`${dir}/none`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
