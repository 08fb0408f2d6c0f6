import assert from "node:assert/strict";
import { exitCodeOf, isFileSystemError, userErrorExit } from "./errors.ts";

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
