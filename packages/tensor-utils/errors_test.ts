import assert from "node:assert/strict";
import {
  CheckpointError,
  DataError,
  DivergenceError,
  exitCodeOf,
  isFileSystemError,
  UsageError,
  userErrorExit,
  WriteError,
} from "./errors.ts";

Deno.test("errors: exitCodeOf maps user errors to 2 or 3 and anything else to undefined", () => {
  assert.equal(exitCodeOf(new UsageError("u")), 2);
  assert.equal(exitCodeOf(new DataError("d")), 2);
  assert.equal(exitCodeOf(new CheckpointError("c")), 2);
  assert.equal(exitCodeOf(new WriteError("w")), 2);
  assert.equal(exitCodeOf(new DivergenceError("nan")), 3);
  class SpecialUsage extends UsageError {}
  assert.equal(exitCodeOf(new SpecialUsage("sub")), 2);
  for (
    const other of [
      new Error("e"),
      new TypeError("t"),
      new RangeError("r"),
      "text",
      2,
      null,
      undefined,
      {},
    ]
  ) {
    assert.equal(exitCodeOf(other), undefined, String(other));
  }
  // An Error that merely has the name of a user error is still a bug.
  const impostor = new Error("x");
  impostor.name = "UsageError";
  assert.equal(exitCodeOf(impostor), undefined);
  assert.equal(new CheckpointError("c").name, "CheckpointError");
  assert.equal(new DivergenceError("c").name, "DivergenceError");
  assert.ok(new WriteError("w") instanceof Error);
});

Deno.test("file-system failures are the user's: exit 2 with one line", () => {
  let caught: unknown;
  try {
    Deno.mkdirSync("/proc/self/no/such", { recursive: false });
  } catch (error) {
    caught = error;
  }
  assert.ok(isFileSystemError(caught));
  const lines: string[] = [];
  assert.equal(userErrorExit(caught, (l) => lines.push(l)), 2);
  assert.equal(lines.length, 1);
  assert.equal(exitCodeOf(new Error("Read-only file system (os error 30): mkdir '/x'")), 2);
  assert.equal(exitCodeOf(new Error("boom")), undefined);
  assert.equal(exitCodeOf(new TypeError("x is not a function")), undefined);
});
