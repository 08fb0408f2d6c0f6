import assert from "node:assert/strict";
import fc from "fast-check";
import { CheckpointError } from "./errors.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type NamedArray,
  readSafetensors,
  type SafetensorsDtype,
} from "./safetensors.ts";

// ---------------------------------------------------------------------------------------------
// Helpers

const SIZE: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1, I8: 1, F16: 2 };

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The bytes behind a typed array view. */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The typed array `dtype` is stored as, viewing (a copy of) `bytes`. */
function viewAs(dtype: SafetensorsDtype, bytes: Uint8Array): NamedArray["data"] {
  const copy = bytes.slice();
  switch (dtype) {
    case "F32":
      return new Float32Array(copy.buffer);
    case "F64":
      return new Float64Array(copy.buffer);
    case "I32":
      return new Int32Array(copy.buffer);
    default:
      return copy;
  }
}

const utf8 = new TextEncoder();

/** A file from a header (a value, serialised, or a raw string) and data bytes. */
function fileOf(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  options: { length?: bigint } = {},
): Uint8Array {
  const json = header instanceof Uint8Array
    ? header
    : utf8.encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The decode error of `bytes`, checked to be a one-line CheckpointError. */
function decodeError(bytes: Uint8Array, options = {}): CheckpointError {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, "decode should have thrown");
  assert.ok(caught instanceof CheckpointError, `not a CheckpointError: ${caught}`);
  assert.ok(!/[\n\r]/.test(caught.message), `message is not one line: ${caught.message}`);
  return caught;
}

function assertRejects(bytes: Uint8Array, pattern: RegExp, options = {}): void {
  const error = decodeError(bytes, options);
  assert.match(error.message, pattern);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const arbShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

/** F32 values with the special ones (NaN, -0, infinities) well represented. */
const arbF32Values = (count: number) =>
  fc.array(
    fc.oneof(fc.constantFrom(NaN, -0, Infinity, -Infinity, 0), fc.float()),
    { minLength: count, maxLength: count },
  ).map((values) => Float32Array.from(values));

/** One named array: F32 from values, or any dtype from raw bytes (NaN payloads included). */
const arbArray: fc.Arbitrary<NamedArray> = fc.tuple(
  fc.constantFrom<SafetensorsDtype | "F32values">("F32values", "F32", "F64", "I32", "I64", "U8"),
  arbShape,
).chain(([kind, shape]) => {
  const count = product(shape);
  if (kind === "F32values") {
    return arbF32Values(count).map((data): NamedArray => ({ dtype: "F32", shape, data }));
  }
  const n = count * SIZE[kind];
  return fc.uint8Array({ minLength: n, maxLength: n }).map((bytes): NamedArray => ({
    dtype: kind,
    shape,
    data: viewAs(kind, bytes),
  }));
});

/** Tensor names: any string (unicode, lone surrogates, dots) and a few awkward ones. */
const arbName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10, unit: "binary" }),
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.constantFrom("feature.0.weight", "__proto__", "toString", "constructor", "10", "9", "é"),
).filter((name) => name !== "__metadata__");

const arbTensors = fc.uniqueArray(fc.tuple(arbName, arbArray), {
  maxLength: 6,
  selector: ([name]) => name,
}).map((entries) => Object.fromEntries(entries) as Record<string, NamedArray>);

const arbMetadata = fc.uniqueArray(fc.tuple(fc.string(), fc.string({ unit: "binary" })), {
  maxLength: 4,
  selector: ([k]) => k,
}).map((entries) => Object.fromEntries(entries) as Record<string, string>);

function assertSameTensors(
  actual: Record<string, NamedArray>,
  expected: Record<string, NamedArray>,
): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    const a = actual[name], e = expected[name];
    assert.ok(Object.hasOwn(actual, name), `missing own tensor ${JSON.stringify(name)}`);
    assert.equal(a.dtype, e.dtype, name);
    assert.deepEqual([...a.shape], [...e.shape], name);
    assert.equal(a.data.constructor, e.data.constructor, name);
    assert.deepEqual(bytesOf(a.data), bytesOf(e.data), name);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips

Deno.test("encode -> decode is bit-exact for any named arrays and metadata", () => {
  fc.assert(
    fc.property(arbTensors, arbMetadata, (tensors, metadata) => {
      const bytes = encodeSafetensors(tensors, metadata);
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(headerLength % 8, 0, "header padded to 8 bytes");
      const decoded = decodeSafetensors(bytes);
      assertSameTensors(decoded.tensors, tensors);
      assert.deepEqual(decoded.metadata, metadata);
      // And back again: identical bytes.
      assert.deepEqual(encodeSafetensors(decoded.tensors, decoded.metadata), bytes);
    }),
    { numRuns: 300 },
  );
});

Deno.test("special F32 values and NaN payloads survive bit for bit", () => {
  const data = new Float32Array([NaN, -0, 0, Infinity, -Infinity, 1e-45, -3.4028234663852886e38]);
  const raw = new Uint8Array(8);
  const view = new DataView(raw.buffer);
  view.setUint32(0, 0x7fc00001, true); // quiet NaN with a payload
  view.setUint32(4, 0xff800123, true); // signalling-looking NaN, sign set
  const tensors: Record<string, NamedArray> = {
    a: { dtype: "F32", shape: [7], data },
    b: { dtype: "F32", shape: [2], data: new Float32Array(raw.buffer) },
    scalar: { dtype: "F64", shape: [], data: new Float64Array([-0]) },
    empty: { dtype: "I32", shape: [3, 0, 2], data: new Int32Array(0) },
  };
  const decoded = decodeSafetensors(encodeSafetensors(tensors));
  assertSameTensors(decoded.tensors, tensors);
  assert.ok(Object.is(decoded.tensors.scalar.data[0], -0));
  assert.deepEqual(decoded.metadata, {});
});

Deno.test("a tensor named __metadata__ is refused by the encoder", () => {
  assert.throws(
    () => encodeSafetensors({ __metadata__: { dtype: "U8", shape: [1], data: new Uint8Array(1) } }),
    RangeError,
  );
});

Deno.test("the encoder refuses data that does not fit the shape", () => {
  assert.throws(
    () => encodeSafetensors({ a: { dtype: "F32", shape: [3], data: new Float32Array(2) } }),
    RangeError,
  );
});

Deno.test("a file in PyTorch's layout (space-padded header, __metadata__, I64) decodes", () => {
  // What safetensors.torch.save_file writes for {"running_mean": zeros(2), "n": tensor(7)}
  // with metadata {"format": "pt"}: keys sorted, header padded with spaces to 8 bytes.
  let header =
    '{"__metadata__":{"format":"pt"},"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
    '"running_mean":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
    '"half":{"dtype":"BF16","shape":[1,1],"data_offsets":[16,18]}}';
  header += " ".repeat((8 - (header.length % 8)) % 8);
  assert.equal(header.length % 8, 0);
  const data = new Uint8Array(18);
  const view = new DataView(data.buffer);
  view.setBigInt64(0, 7n, true);
  view.setFloat32(8, 1.5, true);
  view.setFloat32(12, -2, true);
  view.setUint16(16, 0x3f80, true); // 1.0 in bfloat16
  const file = decodeSafetensors(fileOf(header, data));
  assert.deepEqual(file.metadata, { format: "pt" });
  assert.equal(file.tensors.n.dtype, "I64");
  assert.deepEqual(file.tensors.n.shape, []);
  assert.equal(new DataView(file.tensors.n.data.buffer).getBigInt64(0, true), 7n);
  assert.equal(file.tensors.running_mean.dtype, "F32");
  assert.deepEqual([...file.tensors.running_mean.data], [1.5, -2]);
  assert.equal(file.tensors.half.dtype, "BF16");
  assert.deepEqual([...file.tensors.half.data], [0x80, 0x3f]);
});

Deno.test("decoding a view into a larger buffer (non-zero byteOffset) works", () => {
  const bytes = encodeSafetensors({
    x: { dtype: "F64", shape: [2], data: new Float64Array([1, 2]) },
  });
  const big = new Uint8Array(bytes.length + 13);
  big.set(bytes, 5);
  const file = decodeSafetensors(big.subarray(5, 5 + bytes.length));
  assert.deepEqual([...file.tensors.x.data], [1, 2]);
});

// ---------------------------------------------------------------------------------------------
// Malformed files

const okEntry = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
const eight = new Uint8Array(8);

Deno.test("malformed files are one-line CheckpointErrors saying what is wrong", () => {
  const cases: Array<[string, Uint8Array, RegExp, object?]> = [
    ["empty", new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/],
    ["7 bytes", new Uint8Array(7), /7 bytes, shorter/],
    ["header past the end", fileOf({}, eight, { length: 1000n }), /runs past the end/],
    ["header length 2^64-1", fileOf({}, eight, { length: 2n ** 64n - 1n }), /over the limit/],
    [
      "header over maxHeaderBytes",
      fileOf({ a: okEntry }, eight),
      /over the limit/,
      { maxHeaderBytes: 16 },
    ],
    ["invalid JSON", fileOf("{not json"), /not valid JSON/],
    ["invalid UTF-8", fileOf(new Uint8Array([0x7b, 0x22, 0x80, 0x22, 0x3a, 0x31, 0x7d])), /JSON/],
    ["array header", fileOf([]), /not a JSON object/],
    ["null header", fileOf(null), /not a JSON object/],
    ["number header", fileOf(3), /not a JSON object/],
    [
      "unknown dtype",
      fileOf({ a: { ...okEntry, dtype: "F128" } }, eight),
      /a: unknown dtype "F128"/,
    ],
    ["prototype dtype", fileOf({ a: { ...okEntry, dtype: "toString" } }, eight), /unknown dtype/],
    ["missing dtype", fileOf({ a: { shape: [2], data_offsets: [0, 8] } }, eight), /unknown dtype/],
    ["entry not an object", fileOf({ a: 5 }), /a: unknown dtype/],
    ["entry null", fileOf({ a: null }), /a: unknown dtype/],
    ["float shape", fileOf({ a: { ...okEntry, shape: [1.5] } }, eight), /a: shape must be/],
    ["negative shape", fileOf({ a: { ...okEntry, shape: [-2] } }, eight), /a: shape must be/],
    ["string shape", fileOf({ a: { ...okEntry, shape: ["2"] } }, eight), /a: shape must be/],
    ["shape not a list", fileOf({ a: { ...okEntry, shape: 2 } }, eight), /a: shape must be/],
    ["huge shape entry", fileOf({ a: { ...okEntry, shape: [1e300] } }, eight), /shape must be/],
    [
      "offsets past the data",
      fileOf({ a: { ...okEntry, data_offsets: [0, 12] } }, eight),
      /a: data_offsets \[0, 12\] outside the data/,
    ],
    [
      "offsets reversed",
      fileOf({ a: { ...okEntry, data_offsets: [8, 0] } }, eight),
      /a: data_offsets must be/,
    ],
    [
      "negative offset",
      fileOf({ a: { ...okEntry, data_offsets: [-8, 0] } }, eight),
      /a: data_offsets must be/,
    ],
    [
      "three offsets",
      fileOf({ a: { ...okEntry, data_offsets: [0, 4, 8] } }, eight),
      /a: data_offsets must be/,
    ],
    [
      "offsets not matching the shape",
      fileOf({ a: { ...okEntry, shape: [3] } }, eight),
      /a: 8 bytes do not hold shape \[3\] of F32/,
    ],
    [
      "overlapping tensors",
      fileOf({ a: okEntry, b: { ...okEntry, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /b: data overlaps another tensor/,
    ],
    [
      "identical spans",
      fileOf({ a: okEntry, b: okEntry }, eight),
      /data overlaps another tensor/,
    ],
    [
      "a hole between tensors",
      fileOf({ a: okEntry, b: { ...okEntry, data_offsets: [12, 20] } }, new Uint8Array(20)),
      /b: hole in the data before byte 12/,
    ],
    [
      "a hole at the start",
      fileOf({ a: { ...okEntry, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /a: hole in the data before byte 4/,
    ],
    ["trailing bytes", fileOf({ a: okEntry }, new Uint8Array(11)), /3 bytes after the last tensor/],
    ["data but no tensors", fileOf({}, new Uint8Array(1)), /1 bytes after the last tensor/],
    [
      "non-string metadata value",
      fileOf({ __metadata__: { epoch: 3 }, a: okEntry }, eight),
      /__metadata__ values must be strings/,
    ],
    ["metadata a list", fileOf({ __metadata__: ["x"] }), /__metadata__ is not an object/],
    ["metadata a string", fileOf({ __metadata__: "x" }), /__metadata__ is not an object/],
  ];
  for (const [name, bytes, pattern, options] of cases) {
    const error = decodeError(bytes, { source: "ck.safetensors", ...options });
    assert.match(error.message, /^ck\.safetensors: not a valid safetensors file \(/, name);
    assert.match(error.message, pattern, name);
  }
});

Deno.test("messages stay on one line when a tensor name holds line breaks", () => {
  assertRejects(
    fileOf({ "evil\nname\r\u2028": { ...okEntry, dtype: "Q8" } }, eight),
    /unknown dtype/,
  );
  assertRejects(
    fileOf({ "a\nb": { ...okEntry, shape: [3] } }, eight),
    /do not hold shape/,
  );
});

Deno.test("a header exactly at maxHeaderBytes is accepted, one byte less is not", () => {
  const bytes = encodeSafetensors({ a: { dtype: "U8", shape: [1], data: new Uint8Array([9]) } });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(decodeSafetensors(bytes, { maxHeaderBytes: n }).tensors.a.data[0], 9);
  assertRejects(bytes, /over the limit/, { maxHeaderBytes: n - 1 });
});

Deno.test("huge claims are rejected by the checks, before anything is allocated", () => {
  // A header length of 2^63 in an 8-byte file.
  assertRejects(fileOf("", new Uint8Array(0), { length: 2n ** 63n }), /over the limit/);
  // Just under the limit, but past the end of a small file.
  assertRejects(fileOf("{}", new Uint8Array(0), { length: 99_999_999n }), /runs past the end/);
  // A billion-element tensor backed by 4 bytes: the size check, not an allocation, stops it.
  assertRejects(
    fileOf({ a: { dtype: "F32", shape: [1e9], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /a: 4 bytes do not hold shape \[1000000000\] of F32/,
  );
  // A shape whose element count overflows doubles' integers.
  assertRejects(
    fileOf(
      { a: { dtype: "U8", shape: [2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1], data_offsets: [0, 4] } },
      new Uint8Array(4),
    ),
    /do not hold shape/,
  );
  // Offsets far beyond the data.
  assertRejects(
    fileOf({ a: { dtype: "U8", shape: [2 ** 40], data_offsets: [0, 2 ** 40] } }, eight),
    /outside the data/,
  );
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

/** Decodes `bytes`; any failure must be a one-line CheckpointError; any success is checked. */
function decodeOrCheckpointError(bytes: Uint8Array): void {
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (error) {
    assert.ok(error instanceof CheckpointError, `${error}`);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    return;
  }
  // Whatever was decoded is backed by the file: no tensor holds more than the file's bytes.
  let total = 0;
  for (const t of Object.values(file.tensors)) {
    assert.ok(t.dtype in SIZE || t.dtype === "BF16");
    assert.equal(t.data.byteLength, product(t.shape) * (SIZE[t.dtype] ?? 2));
    total += t.data.byteLength;
  }
  assert.ok(total <= bytes.length, `${total} bytes decoded from a ${bytes.length}-byte file`);
  for (const v of Object.values(file.metadata)) assert.equal(typeof v, "string");
}

const arbFile = fc.tuple(arbTensors, arbMetadata).map(([t, m]) => encodeSafetensors(t, m));

Deno.test("fuzz: byte flips and truncations give a result or a CheckpointError", () => {
  fc.assert(
    fc.property(
      arbFile,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.option(fc.nat()),
      (file, flips, cut) => {
        const bytes = file.slice();
        for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
        decodeOrCheckpointError(cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1)));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: header flips restricted to the JSON text give a result or a CheckpointError", () => {
  fc.assert(
    fc.property(
      arbFile,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'{}[],:"0123456789-.eE \\ntu')), {
        minLength: 1,
        maxLength: 3,
      }),
      (file, edits) => {
        const bytes = file.slice();
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        for (const [at, ch] of edits) bytes[8 + (at % n)] = ch.charCodeAt(0);
        decodeOrCheckpointError(bytes);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: any JSON in place of dtype, shape, offsets or metadata gives a result or a CheckpointError", () => {
  fc.assert(
    fc.property(
      arbFile,
      fc.constantFrom("dtype", "shape", "data_offsets", "entry", "__metadata__"),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 60)), { maxLength: 4 }),
        fc.constantFrom("F32", "I64", "BF16", "toString", "__proto__"),
      ),
      fc.nat(),
      (file, field, value, pick) => {
        const n = Number(new DataView(file.buffer).getBigUint64(0, true));
        const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
        const names = Object.keys(header).filter((k) => k !== "__metadata__");
        if (field === "__metadata__") {
          header.__metadata__ = value;
        } else if (names.length > 0) {
          const name = names[pick % names.length];
          if (field === "entry") header[name] = value;
          else header[name][field] = value;
        }
        decodeOrCheckpointError(fileOf(header, file.subarray(8 + n)));
      },
    ),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// Files

Deno.test("readSafetensors on a missing file is a CheckpointError naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nope/missing.safetensors`;
    await assert.rejects(readSafetensors(path), (error: unknown) => {
      assert.ok(error instanceof CheckpointError);
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /no such file/);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSafetensors reads a file and names it in decode errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ok.safetensors`;
    await Deno.writeFile(
      path,
      encodeSafetensors({ a: { dtype: "I32", shape: [1], data: new Int32Array([-5]) } }, {
        cfg: "[1]",
      }),
    );
    const file = await readSafetensors(path);
    assert.deepEqual([...file.tensors.a.data], [-5]);
    assert.deepEqual(file.metadata, { cfg: "[1]" });
    const bad = `${dir}/bad.safetensors`;
    await Deno.writeFile(bad, new Uint8Array(3));
    await assert.rejects(readSafetensors(bad), (error: unknown) => {
      assert.ok(error instanceof CheckpointError);
      assert.ok(error.message.startsWith(`${bad}: not a valid safetensors file`), error.message);
      return true;
    });
    // A folder is not a file either: still a one-line CheckpointError naming it.
    await assert.rejects(readSafetensors(dir), (error: unknown) => {
      assert.ok(error instanceof CheckpointError);
      assert.ok(error.message.includes(dir), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
