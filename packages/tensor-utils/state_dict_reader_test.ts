import assert from "node:assert/strict";
import { CheckpointError } from "./errors.ts";
import { f32, type SafetensorsFile } from "./safetensors.ts";
import { selectedChannels, stateDictReader } from "./state_dict_reader.ts";

const file = (): SafetensorsFile => ({
  metadata: {},
  tensors: {
    "a.weight": f32([2, 3], new Float32Array(6).fill(1)),
    "a.num_batches_tracked": { dtype: "I64", shape: [], data: new Int32Array(2) },
    "b\nline": f32([1], new Float32Array(1)),
  },
});

Deno.test("stateDictReader takes F32 tensors of the expected shape and names the others", () => {
  const reader = stateDictReader(file(), "ck.safetensors");
  assert.deepEqual([...reader.take("a.weight", [2, 3])], [1, 1, 1, 1, 1, 1]);
  assert.throws(() => reader.take("a.weight", [3, 2]), {
    name: CheckpointError.name,
    message: "ck.safetensors: a.weight has shape [2,3], the cfg needs [3,2]",
  });
  assert.throws(() => reader.take("a.num_batches_tracked", []), /is I64, not F32/);
  assert.throws(() => reader.take("c", [1]), /ck\.safetensors: missing tensor c$/);
});

Deno.test("stateDictReader.rejectUnread names the first tensor never read, on one line", () => {
  const reader = stateDictReader(file(), "ck");
  reader.take("a.weight", [2, 3]);
  reader.skip("a.num_batches_tracked");
  reader.skip("not.there");
  assert.throws(() => reader.rejectUnread("cfg [8]"), {
    message: "ck: unexpected tensor b\\nline for cfg [8]",
  });
  reader.take("b\nline", [1]);
  reader.rejectUnread("cfg [8]");
});

Deno.test("selectedChannels reads a 0/1 vector holding the expected count", () => {
  assert.deepEqual(selectedChannels(new Float32Array([0, 1, 1, 0]), 2, "s", "ck"), [1, 2]);
  assert.throws(
    () => selectedChannels(new Float32Array([0, 1, 1, 0]), 3, "s", "ck"),
    /ck: s selects 2 channels, the cfg says 3/,
  );
  assert.throws(
    () => selectedChannels(new Float32Array([0.5, 1]), 1, "s", "ck"),
    /ck: s holds 0\.5, not 0 or 1/,
  );
});
