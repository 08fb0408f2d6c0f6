import assert from "node:assert/strict";
import fc from "fast-check";
import { DataError } from "@slimming/tensor-utils/core";
import { IMAGE_BYTES } from "./format.ts";
import { gzip } from "./gzip.ts";
import { loadCifar } from "./load.ts";
import { syntheticCifar } from "./synthetic.ts";
import { encodeTar } from "./tar_writer.ts";
import { withTempDir } from "./testing.ts";
import { cifarTarEntries } from "./write.ts";

const data = syntheticCifar({ trainPerClass: 1, testPerClass: 1, seed: 11 });
const tar = encodeTar(cifarTarEntries(data));
const tarGz = await gzip(tar);

/** A corruption: bytes XORed at some positions (as fractions of the length), then a cut. */
const corruption = fc.record({
  flips: fc.array(
    fc.record({
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
    { maxLength: 4 },
  ),
  // Bias half the flips into the first 4 KiB, where the headers are.
  early: fc.boolean(),
  keep: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
});

type Corruption = typeof corruption extends fc.Arbitrary<infer T> ? T : never;

function corrupt(bytes: Uint8Array, c: Corruption): Uint8Array {
  const out = bytes.slice();
  const span = c.early ? Math.min(4096, out.length) : out.length;
  for (const f of c.flips) out[Math.floor(f.at * span)] ^= f.xor;
  return c.keep === undefined ? out : out.subarray(0, Math.floor(c.keep * out.length));
}

async function loadsOrDataError(path: string): Promise<"data" | "error"> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    guard = setTimeout(
      () => reject(new Error(`loadCifar(${path}) did not finish in 30 s`)),
      30_000,
    );
  });
  try {
    const result = await Promise.race([loadCifar(path), hang]);
    for (const split of [result.train, result.test]) {
      assert.equal(split.images.length, split.count * IMAGE_BYTES);
      assert.equal(split.labels.length, split.count);
      assert.ok(split.labels.every((l) => l <= 9));
    }
    return "data";
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    assert.ok(!error.message.includes("\n"), `multi-line message: ${error.message}`);
    assert.ok(error.message.includes(path), `message does not name the file: ${error.message}`);
    return "error";
  } finally {
    clearTimeout(guard);
  }
}

for (const [kind, bytes] of [["tar.gz", tarGz], ["tar", tar]] as const) {
  Deno.test(`fuzz: byte flips and truncations of a valid .${kind} give data or a DataError`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/fuzz.${kind}`;
      const outcomes = { data: 0, error: 0 };
      await fc.assert(
        fc.asyncProperty(corruption, async (c) => {
          await Deno.writeFile(path, corrupt(bytes, c));
          outcomes[await loadsOrDataError(path)]++;
        }),
        { numRuns: 150, seed: kind === "tar" ? 1 : 2 },
      );
      // The untouched archive loads, and the corruptions did reach the error paths.
      await Deno.writeFile(path, bytes);
      assert.equal(await loadsOrDataError(path), "data");
      assert.ok(outcomes.error > 0);
    });
  });
}
