import assert from "node:assert/strict";
import { DataError, WriteError } from "./errors.ts";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "./files.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tensor_utils_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Asserts `promise` rejects with a one-line WriteError naming `path`. */
async function assertWriteError(promise: Promise<unknown>, path: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WriteError, `not a WriteError: ${error}`);
    assert.ok(error.message.startsWith(`cannot write ${path}: `), error.message);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    return true;
  });
}

Deno.test("files: writeFileAtomic writes, replaces and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    await writeFileAtomic(path, "first");
    assert.equal(await Deno.readTextFile(path), "first");
    await writeFileAtomic(path, new Uint8Array([104, 105]));
    assert.equal(await Deno.readTextFile(path), "hi");
    // A large write (several write() calls) and an empty one.
    const big = new Uint8Array(3_000_000).map((_, i) => i % 251);
    await writeFileAtomic(path, big);
    assert.deepEqual(await Deno.readFile(path), big);
    await writeFileAtomic(path, "");
    assert.equal((await Deno.stat(path)).size, 0);
    assert.deepEqual(await listDir(dir), ["out.txt"]);

    await writeJsonAtomic(`${dir}/v.json`, { a: [1, 2], b: "x" });
    assert.equal(
      await Deno.readTextFile(`${dir}/v.json`),
      '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}\n',
    );
    assert.deepEqual(await readJsonIfExists(`${dir}/v.json`), { a: [1, 2], b: "x" });
    assert.deepEqual(await listDir(dir), ["out.txt", "v.json"]);
  });
});

Deno.test("files: readJsonIfExists is undefined for a missing file and a one-line DataError on bad JSON", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await readJsonIfExists(`${dir}/missing.json`), undefined);
    assert.equal(await readJsonIfExists(`${dir}/no/such/dir/missing.json`), undefined);
    await Deno.writeTextFile(`${dir}/bad.json`, "{oops");
    await assert.rejects(readJsonIfExists(`${dir}/bad.json`), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /bad\.json is not valid JSON/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  });
});

Deno.test("files: writing where the folder does not exist is a one-line WriteError", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing/sub/out.json`;
    await assertWriteError(writeFileAtomic(path, "x"), path);
    await assertWriteError(writeJsonAtomic(path, { a: 1 }), path);
    assert.deepEqual(await listDir(dir), []);
    // Writing over a folder fails too, and the folder survives.
    await Deno.mkdir(`${dir}/folder`);
    await Deno.writeTextFile(`${dir}/folder/keep`, "k");
    await assertWriteError(writeFileAtomic(`${dir}/folder`, "x"), `${dir}/folder`);
    assert.deepEqual(await listDir(dir), ["folder"]);
    assert.equal(await Deno.readTextFile(`${dir}/folder/keep`), "k");
  });
});

/** Mounts a 64 KiB tmpfs (root only); undefined when that is not possible here. */
async function mountTinyTmpfs(dir: string): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    const { success } = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

Deno.test("files: a write that fills the disk is a WriteError and the old file survives", async (t) => {
  await withTempDir(async (dir) => {
    const mnt = `${dir}/mnt`;
    await Deno.mkdir(mnt);
    if (!(await mountTinyTmpfs(mnt))) {
      // Not root, or no mount in this sandbox: nothing to test here.
      console.log("skipped: cannot mount a tmpfs (not root or not permitted)");
      await t.step({ name: "full disk (skipped: no tmpfs)", ignore: true, fn: () => {} });
      return;
    }
    try {
      const path = `${mnt}/state.json`;
      await writeFileAtomic(path, "old content");
      // Fill the rest of the filesystem.
      const filler = await Deno.open(`${mnt}/filler`, { write: true, create: true });
      try {
        const chunk = new Uint8Array(4096).fill(7);
        for (let i = 0; i < 64; i++) await filler.write(chunk);
        assert.fail("a 64 KiB tmpfs should be full after 256 KiB");
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
      } finally {
        filler.close();
      }
      await assertWriteError(writeFileAtomic(path, new Uint8Array(32_768).fill(1)), path);
      assert.equal(await Deno.readTextFile(path), "old content");
      assert.deepEqual(await listDir(mnt), ["filler", "state.json"], "no temp file left");
      // Once there is room again, the same write succeeds.
      await Deno.remove(`${mnt}/filler`);
      await writeFileAtomic(path, "new content");
      assert.equal(await Deno.readTextFile(path), "new content");
      assert.deepEqual(await listDir(mnt), ["state.json"]);
    } finally {
      await unmount(mnt);
    }
  });
});
