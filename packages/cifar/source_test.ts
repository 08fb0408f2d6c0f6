import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CACHE_FILE, resolveCifarSource } from "./source.ts";
import { loadCifar } from "./load.ts";
import { OFFICIAL_URL } from "./download.ts";
import { writeSyntheticArchive, writeSyntheticFolder } from "./synthetic.ts";
import { expectDataError, serveBytes, startServer, withTempDir } from "./testing.ts";

/** A fetch that must not be called. */
const noFetch: typeof fetch = () => Promise.reject(new Error("no download expected"));

Deno.test("source: the --data flag wins over the environment and the cache", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticFolder(`${dir}/flag`, { trainPerClass: 1, testPerClass: 1 });
    await writeSyntheticArchive(`${dir}/cache/${CACHE_FILE}`, {
      trainPerClass: 1,
      testPerClass: 1,
    });
    const resolved = await resolveCifarSource({
      flag: `${dir}/flag`,
      env: { CIFAR10_PATH: `${dir}/cache/${CACHE_FILE}` },
      cacheDir: `${dir}/cache`,
      fetchImpl: noFetch,
    });
    assert.deepEqual(resolved, {
      path: `${dir}/flag`,
      origin: "flag",
      description: `--data ${dir}/flag`,
    });
  });
});

Deno.test("source: CIFAR10_PATH comes next, then the cache", async () => {
  await withTempDir(async (dir) => {
    const env = `${dir}/env.tar.gz`;
    await writeSyntheticArchive(env, { trainPerClass: 1, testPerClass: 1 });
    await writeSyntheticArchive(`${dir}/cache/${CACHE_FILE}`, {
      trainPerClass: 1,
      testPerClass: 1,
    });
    const options = { cacheDir: `${dir}/cache`, fetchImpl: noFetch };
    const fromEnv = await resolveCifarSource({ ...options, env: { CIFAR10_PATH: env } });
    assert.equal(fromEnv.origin, "env");
    assert.equal(fromEnv.path, env);
    assert.equal(fromEnv.description, `CIFAR10_PATH ${env}`);
    const fromCache = await resolveCifarSource({ ...options, env: {}, flag: "" });
    assert.equal(fromCache.origin, "cache");
    assert.equal(fromCache.path, `${dir}/cache/${CACHE_FILE}`);
  });
});

Deno.test("source: a flag or CIFAR10_PATH that does not exist is a DataError", async () => {
  await withTempDir(async (dir) => {
    await expectDataError(
      resolveCifarSource({ flag: `${dir}/nope`, env: {}, fetchImpl: noFetch }),
      ["--data", `${dir}/nope`, "no such file"],
    );
    await expectDataError(
      resolveCifarSource({ env: { CIFAR10_PATH: `${dir}/nope` }, fetchImpl: noFetch }),
      ["CIFAR10_PATH", `${dir}/nope`],
    );
    await Deno.writeTextFile(`${dir}/x.tar.gz.partial`, "half");
    await expectDataError(
      resolveCifarSource({ flag: `${dir}/x.tar.gz.partial`, env: {}, fetchImpl: noFetch }),
      [".partial"],
    );
  });
});

Deno.test("source: with no cache, the archive is downloaded into it; a .partial there is not used", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src.tar.gz`;
    const data = await writeSyntheticArchive(src, { trainPerClass: 2, testPerClass: 1, seed: 4 });
    const bytes = await Deno.readFile(src);
    const md5 = createHash("md5").update(bytes).digest("hex");
    await using server = startServer((request) => serveBytes(request, bytes));
    const cacheDir = `${dir}/cache`;
    await Deno.mkdir(cacheDir);
    await Deno.writeFile(`${cacheDir}/${CACHE_FILE}.partial`, bytes.subarray(0, 200));
    const url = `${server.url}/files/cifar-10-binary.tar.gz`;
    const resolved = await resolveCifarSource({ env: {}, cacheDir, url, md5 });
    assert.equal(resolved.origin, "download");
    assert.equal(resolved.path, `${cacheDir}/${CACHE_FILE}`);
    assert.equal(resolved.description, `downloaded ${url} to ${cacheDir}/${CACHE_FILE}`);
    assert.deepEqual((await loadCifar(resolved.path)).test.images, data.test.images);
    // The next call finds the cache and downloads nothing.
    const again = await resolveCifarSource({ env: {}, cacheDir, url, fetchImpl: noFetch });
    assert.equal(again.origin, "cache");
  });
});

Deno.test("source: an invalid cached file is replaced by a download", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src.tar.gz`;
    await writeSyntheticArchive(src, { trainPerClass: 1, testPerClass: 1 });
    const bytes = await Deno.readFile(src);
    await using server = startServer((request) => serveBytes(request, bytes));
    const cacheDir = `${dir}/cache`;
    await Deno.mkdir(cacheDir);
    await Deno.writeTextFile(`${cacheDir}/${CACHE_FILE}`, "<html>an error page</html>");
    const resolved = await resolveCifarSource({ env: {}, cacheDir, url: `${server.url}/a.tar.gz` });
    assert.equal(resolved.origin, "download");
    assert.deepEqual(await Deno.readFile(resolved.path), bytes);
  });
});

Deno.test("source: a failed default download (official md5) leaves the cache empty", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src.tar.gz`;
    await writeSyntheticArchive(src, { trainPerClass: 1, testPerClass: 1 });
    const bytes = await Deno.readFile(src);
    await using server = startServer((request) => serveBytes(request, bytes));
    const fetchImpl: typeof fetch = (input, init) =>
      fetch(String(input) === OFFICIAL_URL ? `${server.url}/official` : input, init);
    const cacheDir = `${dir}/cache`;
    await expectDataError(resolveCifarSource({ env: {}, cacheDir, fetchImpl }), [
      OFFICIAL_URL,
      "md5",
    ]);
    assert.deepEqual([...Deno.readDirSync(cacheDir)], []);
  });
});

Deno.test("source: an http(s) --data value is downloaded into the cache under its own name", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src.tar.gz`;
    await writeSyntheticArchive(src, { trainPerClass: 1, testPerClass: 1 });
    const bytes = await Deno.readFile(src);
    await using server = startServer((request) => serveBytes(request, bytes));
    const cacheDir = `${dir}/cache`;
    const url = `${server.url}/mirror/cifar-mirror.tar.gz`;
    const resolved = await resolveCifarSource({ flag: url, env: {}, cacheDir });
    assert.equal(resolved.origin, "flag");
    assert.equal(resolved.path, `${cacheDir}/cifar-mirror.tar.gz`);
    assert.deepEqual(await Deno.readFile(resolved.path), bytes);
    const again = await resolveCifarSource({ flag: url, env: {}, cacheDir, fetchImpl: noFetch });
    assert.equal(again.path, resolved.path);
    assert.equal(server.requests.length, 1);
  });
});
