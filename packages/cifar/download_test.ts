import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { downloadFile, OFFICIAL_URL, type ProgressCallback } from "./download.ts";
import { loadCifar } from "./load.ts";
import { writeSyntheticArchive } from "./synthetic.ts";
import { expectDataError, serveBytes, startServer, withTempDir } from "./testing.ts";

/** A small synthetic archive, its bytes and md5. */
async function archive(dir: string) {
  const path = `${dir}/source.tar.gz`;
  const data = await writeSyntheticArchive(path, { trainPerClass: 4, testPerClass: 2, seed: 21 });
  const bytes = await Deno.readFile(path);
  return { data, bytes, md5: createHash("md5").update(bytes).digest("hex") };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("download: success verifies the md5 and leaves only the final file in the cache", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5, data } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes));
    const cache = `${dir}/cache`;
    const result = await downloadFile(`${server.url}/c.tar.gz`, `${cache}/c.tar.gz`, { md5 });
    assert.equal(result.path, `${cache}/c.tar.gz`);
    assert.equal(result.md5, md5);
    assert.equal(result.bytes, bytes.length);
    assert.equal(result.attempts, 1);
    assert.deepEqual(await listDir(cache), ["c.tar.gz"]);
    assert.deepEqual(await Deno.readFile(`${cache}/c.tar.gz`), bytes);
    assert.deepEqual((await loadCifar(result.path)).train.images, data.train.images);
    assert.equal(server.requests[0].range, null);
  });
});

Deno.test("download: a checksum mismatch is a DataError and leaves nothing in the cache", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes));
    const cache = `${dir}/cache`;
    const wrong = md5.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const url = `${server.url}/c.tar.gz`;
    await expectDataError(downloadFile(url, `${cache}/c.tar.gz`, { md5: wrong }), [
      url,
      "md5",
      wrong,
    ]);
    assert.deepEqual(await listDir(cache), []);
    const sha = "0".repeat(64);
    await expectDataError(downloadFile(url, `${cache}/c.tar.gz`, { sha256: sha }), [url, "sha256"]);
    assert.deepEqual(await listDir(cache), []);
  });
});

Deno.test("download: the official URL is checked against the official md5 by default", async () => {
  await withTempDir(async (dir) => {
    const { bytes } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes));
    // Route the official URL to the local server: the synthetic bytes cannot match.
    const fetchImpl: typeof fetch = (input, init) =>
      fetch(String(input) === OFFICIAL_URL ? `${server.url}/official` : input, init);
    const cache = `${dir}/cache`;
    await expectDataError(
      downloadFile(OFFICIAL_URL, `${cache}/cifar-10-binary.tar.gz`, { fetchImpl }),
      [OFFICIAL_URL, "c32a1d4ab5d03f1284b67883e8d87530"],
    );
    assert.deepEqual(await listDir(cache), []);
    // Without a known sum nothing is checked.
    const other = await downloadFile(`${server.url}/other.tar.gz`, `${cache}/other.tar.gz`);
    assert.equal(other.bytes, bytes.length);
  });
});

Deno.test("download: a connection dropped mid-way is resumed with Range and ends with the right bytes", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    const dropAt = Math.floor(bytes.length / 3);
    await using server = startServer((request, index) =>
      serveBytes(request, bytes, index === 0 ? { dropAfter: dropAt } : {})
    );
    const seen: number[] = [];
    const dest = `${dir}/cache/c.tar.gz`;
    const result = await downloadFile(`${server.url}/c.tar.gz`, dest, {
      md5,
      retryDelayMs: 1,
      onProgress: (b) => seen.push(b),
    });
    assert.equal(result.attempts, 2);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0].range, null);
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(server.requests[1].range ?? "")?.[1]);
    assert.ok(resumedFrom > 0 && resumedFrom <= dropAt, `resumed from ${resumedFrom}`);
    assert.deepEqual(await Deno.readFile(dest), bytes);
    assert.deepEqual(await listDir(`${dir}/cache`), ["c.tar.gz"]);
    assert.equal(seen.at(-1), bytes.length);
  });
});

Deno.test("download: a server that ignores Range makes the download start over", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request, index) =>
      serveBytes(request, bytes, index === 0 ? { dropAfter: 5000 } : { ignoreRange: true })
    );
    const dest = `${dir}/c.tar.gz`;
    await downloadFile(`${server.url}/c.tar.gz`, dest, { md5, retryDelayMs: 1 });
    assert.match(server.requests[1].range ?? "", /^bytes=\d+-$/);
    assert.deepEqual(await Deno.readFile(dest), bytes);
  });
});

Deno.test("download: after the retries run out, a DataError; the .partial is kept but never the result", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes, { dropAfter: 0 }));
    const dest = `${dir}/c.tar.gz`;
    await expectDataError(
      downloadFile(`${server.url}/c.tar.gz`, dest, { md5, retries: 2, retryDelayMs: 1 }),
      [`${server.url}/c.tar.gz`, "3 attempts"],
    );
    assert.equal(server.requests.length, 3);
    assert.deepEqual(await listDir(dir), ["c.tar.gz.partial", "source.tar.gz"]);
  });
});

Deno.test("download: a partial file from an earlier run is resumed when a checksum is known", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes));
    const dest = `${dir}/c.tar.gz`;
    await Deno.writeFile(`${dest}.partial`, bytes.subarray(0, 1000));
    await downloadFile(`${server.url}/c.tar.gz`, dest, { md5 });
    assert.equal(server.requests[0].range, "bytes=1000-");
    assert.deepEqual(await Deno.readFile(dest), bytes);
    // Without a checksum the stale partial is discarded instead.
    await Deno.writeFile(`${dest}.partial`, new Uint8Array(50).fill(7));
    await downloadFile(`${server.url}/c.tar.gz`, `${dir}/d.tar.gz`);
    await downloadFile(`${server.url}/c.tar.gz`, dest);
    assert.equal(server.requests.at(-1)!.range, null);
    assert.deepEqual(await Deno.readFile(dest), bytes);
  });
});

Deno.test("download: HTTP 404 is a DataError at once, without retries", async () => {
  await withTempDir(async (dir) => {
    await using server = startServer(() => new Response("no", { status: 404 }));
    const url = `${server.url}/missing.tar.gz`;
    await expectDataError(downloadFile(url, `${dir}/m.tar.gz`, { retryDelayMs: 1 }), [url, "404"]);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(await listDir(dir), []);
  });
});

Deno.test("download: a slow server reports progress several times", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request) =>
      serveBytes(request, bytes, { chunk: Math.ceil(bytes.length / 8), delayMs: 5 })
    );
    const calls: [number, number | undefined][] = [];
    const onProgress: ProgressCallback = (b, t) => calls.push([b, t]);
    await downloadFile(`${server.url}/c.tar.gz`, `${dir}/c.tar.gz`, { md5, onProgress });
    assert.ok(calls.length >= 8, `${calls.length} progress calls`);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
    assert.deepEqual(calls.at(-1), [bytes.length, bytes.length]);
  });
});

Deno.test("download: a server that stalls mid-body is abandoned after the idle timeout and retried", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request, index) => {
      if (index > 0) return serveBytes(request, bytes);
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 100)); // then nothing, ever
        },
      });
      return new Response(stalled, { headers: { "content-length": String(bytes.length) } });
    });
    const dest = `${dir}/c.tar.gz`;
    const result = await downloadFile(`${server.url}/c.tar.gz`, dest, {
      md5,
      idleTimeoutMs: 50,
      retryDelayMs: 1,
    });
    assert.equal(result.attempts, 2);
    assert.deepEqual(await Deno.readFile(dest), bytes);
  });
});

Deno.test("download: a complete .partial left by an earlier run is verified (HTTP 416) and kept", async () => {
  await withTempDir(async (dir) => {
    const { bytes, md5 } = await archive(dir);
    await using server = startServer((request) => serveBytes(request, bytes));
    const dest = `${dir}/c.tar.gz`;
    await Deno.writeFile(`${dest}.partial`, bytes);
    const result = await downloadFile(`${server.url}/c.tar.gz`, dest, { md5 });
    assert.equal(server.requests[0].range, `bytes=${bytes.length}-`);
    assert.equal(result.attempts, 1);
    assert.deepEqual(await Deno.readFile(dest), bytes);
    assert.deepEqual(await listDir(dir), ["c.tar.gz", "source.tar.gz"]);
  });
});
