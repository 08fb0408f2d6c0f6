import assert from "node:assert/strict";
import { UsageError } from "@slimming/tensor-utils/core";
import { checkRunFolder, foreignRun } from "./run_kind.ts";

Deno.test("checkRunFolder: foreign runs refused, committed runs need --resume, empty noted", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(foreignRun(dir), undefined);
    assert.equal(checkRunFolder(dir, "train", false, true), undefined);
    assert.match(checkRunFolder(dir, "train", true, true) ?? "", /holds no committed epoch/);
    assert.match(checkRunFolder(dir, "train", true, false) ?? "", /did not exist/);
    Deno.writeTextFileSync(`${dir}/last.safetensors`, "");
    assert.equal(checkRunFolder(dir, "train", true, true), undefined);
    assert.throws(() => checkRunFolder(dir, "train", false, true), UsageError);
    Deno.writeTextFileSync(`${dir}/pruned.safetensors`, "");
    assert.deepEqual(foreignRun(dir), { kind: "a prune output", file: "pruned.safetensors" });
    assert.throws(
      () => checkRunFolder(dir, "finetune", true, true),
      (e: Error) =>
        e instanceof UsageError && /is a prune output .* not a finetune run/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
