/** CIFAR-100 through the shared source resolution and download path, against a local server. */
import assert from "node:assert/strict";
import { downloadFile } from "./download.ts";
import { loadCifar } from "./load.ts";
import { resolveCifarSource } from "./source.ts";
import { CIFAR100_SPEC } from "./spec.ts";
import {
  expectDataError,
  serveBytes,
  startServer,
  syntheticArchiveFile,
  withTempDir,
} from "./testing.ts";

const spec = CIFAR100_SPEC;
const noFetch: typeof fetch = () => Promise.reject(new Error("no download expected"));
/** A fetch that serves the official CIFAR-100 URL from the local server. */
const routed = (base: string): typeof fetch => (input, init) =>
  fetch(String(input) === spec.url ? `${base}/official` : input, init);

Deno.test("cifar100 source: CIFAR100_PATH is read (CIFAR10_PATH is not), then the cache under its own name", async () => {
  await withTempDir(async (dir) => {
    const { path } = await syntheticArchiveFile(dir, { trainPerClass: 1, testPerClass: 1, spec });
    const cacheDir = `${dir}/cache`;
    const fromEnv = await resolveCifarSource({
      spec,
      env: { CIFAR100_PATH: path, CIFAR10_PATH: `${dir}/nope` },
      cacheDir,
      fetchImpl: noFetch,
    });
    assert.deepEqual(fromEnv, { path, origin: "env", description: `CIFAR100_PATH ${path}` });
    await Deno.mkdir(cacheDir);
    await Deno.copyFile(path, `${cacheDir}/cifar-100-binary.tar.gz`);
    // A CIFAR-10 cache file beside it is not the CIFAR-100 cache.
    await Deno.copyFile(path, `${cacheDir}/cifar-10-binary.tar.gz`);
    const cached = await resolveCifarSource({
      spec,
      env: { CIFAR10_PATH: `${dir}/nope` },
      cacheDir,
      fetchImpl: noFetch,
    });
    assert.equal(cached.origin, "cache");
    assert.equal(cached.path, `${cacheDir}/cifar-100-binary.tar.gz`);
  });
});

Deno.test("cifar100 source: with no cache the official URL is downloaded and checked against the CIFAR-100 md5", async () => {
  await withTempDir(async (dir) => {
    const { bytes } = await syntheticArchiveFile(dir, { trainPerClass: 1, testPerClass: 1, spec });
    await using server = startServer((request) => serveBytes(request, bytes));
    const cacheDir = `${dir}/cache`;
    // Synthetic bytes cannot have the official md5: the download is refused and deleted.
    await expectDataError(
      resolveCifarSource({ spec, env: {}, cacheDir, fetchImpl: routed(server.url) }),
      [spec.url, "03b5dce01913d631647c71ecec9e9cb8"],
    );
    assert.deepEqual([...Deno.readDirSync(cacheDir)], []);
    assert.equal(server.requests.length, 1);
    // downloadFile knows the official CIFAR-100 sum by itself too.
    await expectDataError(
      downloadFile(spec.url, `${cacheDir}/x.tar.gz`, { fetchImpl: routed(server.url) }),
      [spec.url, "md5", spec.md5],
    );
  });
});

Deno.test("cifar100 source: a download with the right md5 lands in the cache, resumes after a drop and loads", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5, data } = await syntheticArchiveFile(dir, {
      trainPerClass: 2,
      testPerClass: 1,
      seed: 5,
      spec,
    });
    await using server = startServer((request, index) =>
      serveBytes(request, bytes, index === 0 ? { dropAfter: Math.floor(bytes.length / 2) } : {})
    );
    const cacheDir = `${dir}/cache`;
    const url = `${server.url}/mirror/cifar-100-binary.tar.gz`;
    const resolved = await resolveCifarSource({
      spec,
      env: {},
      cacheDir,
      url,
      md5,
      retryDelayMs: 1,
    });
    assert.equal(resolved.origin, "download");
    assert.equal(resolved.path, `${cacheDir}/cifar-100-binary.tar.gz`);
    assert.match(server.requests[1].range ?? "", /^bytes=\d+-$/);
    assert.deepEqual([...Deno.readDirSync(cacheDir)].map((e) => e.name), [
      "cifar-100-binary.tar.gz",
    ]);
    const loaded = await loadCifar(resolved.path, { spec });
    assert.deepEqual(loaded.train.labels, data.train.labels);
    assert.deepEqual(loaded.train.coarseLabels, data.train.coarseLabels);
    const again = await resolveCifarSource({ spec, env: {}, cacheDir, url, fetchImpl: noFetch });
    assert.equal(again.origin, "cache");
  });
});
