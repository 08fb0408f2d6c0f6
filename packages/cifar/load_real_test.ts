import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CIFAR10_CLASSES, CLASS_COUNT, encodeRecords } from "./format.ts";
import { loadCifar } from "./load.ts";

const DEFAULT_PATH = "/work/shared/datasets/cifar-10-binary.tar.gz";

function findRealArchive(): string | undefined {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("CIFAR10_PATH");
  } catch {
    fromEnv = undefined;
  }
  for (const path of [fromEnv, DEFAULT_PATH]) {
    if (!path) continue;
    try {
      Deno.statSync(path);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

const realPath = findRealArchive();

Deno.test({
  name: "real CIFAR-10: 50,000 training and 10,000 test images, 5,000 and 1,000 per class",
  ignore: realPath === undefined,
  async fn() {
    const data = await loadCifar(realPath!);
    assert.equal(data.train.count, 50_000);
    assert.equal(data.test.count, 10_000);
    assert.equal(data.train.images.length, 50_000 * 3072);
    assert.deepEqual(data.classNames, [...CIFAR10_CLASSES]);
    const count = (labels: Uint8Array) => {
      const counts = new Array(CLASS_COUNT).fill(0);
      for (const l of labels) counts[l]++;
      return counts;
    };
    assert.deepEqual(count(data.train.labels), new Array(CLASS_COUNT).fill(5000));
    assert.deepEqual(count(data.test.labels), new Array(CLASS_COUNT).fill(1000));
    // Red-channel mean of the training pixels, as published: 0.4914.
    let red = 0;
    for (let i = 0; i < data.train.count; i++) {
      const image = data.train.images.subarray(i * 3072, i * 3072 + 1024);
      for (let p = 0; p < 1024; p++) red += image[p];
    }
    assert.ok(Math.abs(red / (50_000 * 1024 * 255) - 0.4914) < 5e-4);
    if (realPath === DEFAULT_PATH) {
      // Byte-exact: re-encoded records match the member checksums in the datasets README.
      const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
      assert.equal(md5(encodeRecords(data.train, 0, 10_000)), "498a883876e26bde458c532f79a574a5");
      assert.equal(
        md5(encodeRecords(data.train, 40_000, 50_000)),
        "2d7c5b62373affb5f93929693141a7fd",
      );
      assert.equal(md5(encodeRecords(data.test)), "cc102365f5a59cf6e7d21b205c436fa8");
    }
  },
});
