import assert from "node:assert/strict";
import { UsageError } from "@slimming/tensor-utils/core";
import { writeFolderAtomic } from "./write_dir.ts";

Deno.test("writeFolderAtomic: a new or empty folder is written; a non-empty one is refused", async () => {
  const root = await Deno.makeTempDir({ prefix: "write-dir-" });
  await writeFolderAtomic(`${root}/a/b`, { "x.txt": "hi", "y.bin": new Uint8Array([1, 2]) });
  assert.equal(await Deno.readTextFile(`${root}/a/b/x.txt`), "hi");
  await Deno.mkdir(`${root}/empty`);
  await writeFolderAtomic(`${root}/empty`, { "x.txt": "ok" });
  assert.equal(await Deno.readTextFile(`${root}/empty/x.txt`), "ok");
  await assert.rejects(writeFolderAtomic(`${root}/a/b`, { "z.txt": "no" }), UsageError);
  await Deno.writeTextFile(`${root}/file`, "");
  await assert.rejects(writeFolderAtomic(`${root}/file`, { "z.txt": "no" }), UsageError);
  const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
  assert.deepEqual(names, ["a", "empty", "file"], "no temporary folder is left");
  assert.deepEqual([...Deno.readDirSync(`${root}/a/b`)].map((e) => e.name).sort(), [
    "x.txt",
    "y.bin",
  ]);
  await Deno.remove(root, { recursive: true });
});
