/**
 * The browser example in a real browser: headless Debian `chromium` opens the page served by
 * `examples/browser/serve.ts`, which loads the exported tfjs model with stock TensorFlow.js;
 * its predictions (and logits) for the served images equal ours.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CIFAR10_MEAN, CIFAR10_STD, normalizePixel } from "@slimming/cifar";
import { disposeTree } from "@slimming/tensor-utils";
import { prune } from "@slimming/vgg";
import { randomBnVgg, SMALL_CFG } from "@slimming/vgg/testing";
import { startServer } from "../examples/browser/serve.ts";
import { exportTo, ourLogits, relativeError } from "./export_helpers.ts";
import { findChromium, openPage } from "./chromium.ts";

const chromium = findChromium();
if (!chromium) console.log("browser test: no chromium on PATH (apt-get install chromium); skipped");

interface PageResults {
  readonly error?: string;
  readonly predictions: number[];
  readonly logits: number[][];
  readonly latencyMs: number[];
  readonly modelBytes: number;
}

Deno.test({
  name: "the page in headless chromium predicts what our forward pass predicts",
  ignore: chromium === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await tf.setBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "browser-page-" });
    const full = await randomBnVgg(SMALL_CFG, 11);
    const slim = prune(full, 0.5).params;
    disposeTree(full);
    await exportTo(slim, "tfjs", `${dir}/tfjs`);
    const server = await startServer({ model: `${dir}/tfjs`, port: 0, images: 12 });
    const page = await openPage(chromium!, server.url);
    try {
      const results = await page.waitFor<PageResults>("window.__results ?? null", 60_000);
      assert.equal(results.error, undefined, results.error);
      const { count, pixels } = server.samples;
      const x = new Float32Array(count * 3072);
      for (let i = 0; i < count; i++) {
        for (let p = 0; p < 1024; p++) {
          for (let c = 0; c < 3; c++) {
            x[i * 3072 + p * 3 + c] = normalizePixel(
              pixels[i * 3072 + c * 1024 + p],
              CIFAR10_MEAN[c],
              CIFAR10_STD[c],
            );
          }
        }
      }
      const ours = await ourLogits(slim, x, count);
      const expected = Array.from({ length: count }, (_, i) => {
        const row = Array.from(ours.subarray(i * 10, i * 10 + 10));
        return row.indexOf(Math.max(...row));
      });
      assert.deepEqual(results.predictions, expected);
      const error = relativeError(Float32Array.from(results.logits.flat()), ours);
      assert.ok(error <= 1e-4, `page logits differ from ours by ${error} (relative)`);
      assert.equal(results.latencyMs.length, count);
      const sizes = [...Deno.readDirSync(`${dir}/tfjs`)].map((e) =>
        Deno.statSync(`${dir}/tfjs/${e.name}`).size
      );
      assert.equal(results.modelBytes, sizes.reduce((a, b) => a + b, 0));
    } finally {
      await page.close();
      await server.close();
      disposeTree(slim);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
