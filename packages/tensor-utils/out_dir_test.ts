import assert from "node:assert/strict";
import { UsageError, WriteError } from "./errors.ts";
import { prepareOutDir } from "./out_dir.ts";

const oneLine = (type: new (...a: never[]) => Error, pattern: RegExp) => (e: unknown) =>
  e instanceof type && pattern.test(e.message) && !e.message.includes("\n");

Deno.test("prepareOutDir: creates nested folders and leaves nothing behind", () => {
  const root = Deno.makeTempDirSync();
  prepareOutDir(`${root}/a/b`);
  assert.deepEqual([...Deno.readDirSync(`${root}/a/b`)], []);
  prepareOutDir(`${root}/a/b`); // an existing folder is fine
  Deno.removeSync(root, { recursive: true });
});

Deno.test("prepareOutDir: a file is a UsageError; an unwritable folder a WriteError", () => {
  const root = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${root}/file`, "x");
  assert.throws(() => prepareOutDir(`${root}/file`), oneLine(UsageError, /is a file/));
  assert.throws(() => prepareOutDir(`${root}/file/sub`), oneLine(WriteError, /cannot/));
  if (Deno.uid() !== 0) {
    Deno.mkdirSync(`${root}/ro`, { mode: 0o555 });
    assert.throws(() => prepareOutDir(`${root}/ro`), oneLine(WriteError, /permission denied/));
  }
  Deno.removeSync(root, { recursive: true });
});

Deno.test({
  name: "prepareOutDir: a read-only mount is a one-line WriteError",
  ignore: !Deno.statSync("/proc/self").isDirectory,
  fn() {
    // /proc/self is read-only for everyone, root included.
    assert.throws(() => prepareOutDir("/proc/self/run"), oneLine(WriteError, /cannot/));
  },
});
