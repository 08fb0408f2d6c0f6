import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  CheckpointError,
  cloneTree,
  createRng,
  DataError,
  deriveSeed,
  disposeTree,
  DivergenceError,
  exitCodeOf,
  flattenTree,
  keepTree,
  mapTree,
  permutation,
  readJsonIfExists,
  replaceLeaves,
  treeLeaves,
  treeSize,
  UsageError,
  WriteError,
  writeFileAtomic,
  writeJsonAtomic,
} from "@slimming/tensor-utils";

await tf.setBackend("cpu");

// ---------------------------------------------------------------------------------------------
// rng

const arbPath = fc.array(fc.nat({ max: 2 ** 31 - 1 }), { maxLength: 4 });
const arbSeed = fc.nat({ max: 2 ** 32 - 1 });

function draws(seed: number, path: number[], n = 8): number[] {
  const rng = createRng(seed, ...path);
  return Array.from({ length: n }, () => rng.next());
}

Deno.test("rng: same seed and path give the same stream of next, int and normal", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, (seed, path) => {
      const a = createRng(seed, ...path), b = createRng(seed, ...path);
      for (let i = 0; i < 50; i++) {
        assert.equal(a.next(), b.next());
        assert.equal(a.int(1000), b.int(1000));
        assert.equal(a.normal(), b.normal());
      }
      assert.equal(deriveSeed(seed, ...path), deriveSeed(seed, ...path));
    }),
    { numRuns: 100 },
  );
});

Deno.test("rng: different seeds or paths give different streams (order matters)", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, arbSeed, arbPath, (s1, p1, s2, p2) => {
      fc.pre(s1 !== s2 || JSON.stringify(p1) !== JSON.stringify(p2));
      assert.notDeepEqual(draws(s1, p1), draws(s2, p2));
    }),
    { numRuns: 300 },
  );
  // Hand-picked neighbours: prefix, extension, swapped order, adjacent values.
  const streams = [
    draws(7, []),
    draws(7, [0]),
    draws(7, [1]),
    draws(7, [1, 2]),
    draws(7, [2, 1]),
    draws(7, [1, 2, 0]),
    draws(8, [1, 2]),
    draws(0, []),
    draws(1, []),
  ];
  const unique = new Set(streams.map((s) => s.join(",")));
  assert.equal(unique.size, streams.length);
});

Deno.test("rng: next is in [0, 1) and int(n) is an integer in [0, n)", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, fc.integer({ min: 1, max: 2 ** 31 }), (seed, path, n) => {
      const rng = createRng(seed, ...path);
      for (let i = 0; i < 100; i++) {
        const u = rng.next();
        assert.ok(u >= 0 && u < 1, `${u}`);
        const k = rng.int(n);
        assert.ok(Number.isInteger(k) && k >= 0 && k < n, `${k} for n=${n}`);
      }
      assert.equal(createRng(seed, ...path).int(1), 0);
    }),
    { numRuns: 100 },
  );
});

Deno.test("rng: int(10) is roughly uniform over 20k draws", () => {
  const rng = createRng(123, 4);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) counts[rng.int(10)]++;
  // Expected 2000 each, standard deviation ~42: +-200 is a loose ~5 sigma bound.
  for (const c of counts) assert.ok(c > 1800 && c < 2200, `${counts}`);
});

Deno.test("rng: normal() has mean ~0 and std ~1 over 20k samples", () => {
  for (const seed of [0, 1, 42]) {
    const rng = createRng(seed, 9);
    const n = 20_000;
    const z = Array.from({ length: n }, () => rng.normal());
    assert.ok(z.every(Number.isFinite));
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      return { mean, std };
    };
    // Standard errors: mean ~0.007, std ~0.005 (0.01 for each half): bounds are ~5 sigma.
    const all = stats(z);
    assert.ok(Math.abs(all.mean) < 0.035, `mean ${all.mean}`);
    assert.ok(Math.abs(all.std - 1) < 0.025, `std ${all.std}`);
    // Box-Muller yields pairs: both members of a pair must be standard normal.
    for (const half of [0, 1]) {
      const { mean, std } = stats(z.filter((_, i) => i % 2 === half));
      assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.04, `${half}: ${mean} ${std}`);
    }
    const beyond3 = z.filter((v) => Math.abs(v) > 3).length;
    // P(|z| > 3) = 0.27%: about 54 of 20k; a uniform or clipped generator gives ~0.
    assert.ok(beyond3 > 20 && beyond3 < 110, `${beyond3} beyond 3 sigma`);
  }
});

Deno.test("rng: permutation is a permutation of 0..n-1 and deterministic", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), arbSeed, (n, seed) => {
      const p = permutation(n, createRng(seed));
      assert.ok(p instanceof Int32Array);
      assert.equal(p.length, n);
      assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      assert.deepEqual(permutation(n, createRng(seed)), p);
    }),
    { numRuns: 200 },
  );
  // It actually shuffles: every position of a 5-permutation is reached by each value.
  const seen = Array.from({ length: 5 }, () => new Set<number>());
  for (let s = 0; s < 200; s++) {
    permutation(5, createRng(s)).forEach((v, i) => seen[i].add(v));
  }
  for (const values of seen) assert.equal(values.size, 5);
});

// ---------------------------------------------------------------------------------------------
// tree

function sampleTree() {
  return {
    cfg: [4, "M", 6, "M"] as Array<number | "M">,
    name: "vgg",
    depth: 19,
    mask: new Uint8Array([1, 0, 1]),
    layers: [
      { w: tf.tensor([1, 2, 3, 4], [2, 2]), b: tf.tensor([5]) },
      { w: tf.tensor([6, 7, 8]), flags: [true, false] },
    ],
    mixed: [tf.scalar(9), 10, "x"],
    head: { weight: tf.tensor([[11, 12]]), none: null as null, empty: [] as number[] },
  };
}

const expectedPaths = ["layers.0.w", "layers.0.b", "layers.1.w", "mixed.0", "head.weight"];

Deno.test("tree: flattenTree lists tensor leaves depth-first with dotted paths", () => {
  const tree = sampleTree();
  const flat = flattenTree(tree);
  assert.deepEqual(flat.map(([p]) => p), expectedPaths);
  assert.equal(flat[0][1], tree.layers[0].w);
  assert.deepEqual(treeLeaves(tree), flat.map(([, t]) => t));
  assert.equal(treeSize(tree), 4 + 1 + 3 + 1 + 2);
  assert.equal(treeSize({ cfg: [1, 2] }), 0);
  disposeTree(tree);
});

Deno.test("tree: mapTree maps tensor leaves, leaves everything else and the input alone", () => {
  const tree = sampleTree();
  const paths: string[] = [];
  const doubled = mapTree(tree, (t, path) => {
    paths.push(path);
    return tf.mul(t, 2);
  });
  assert.deepEqual(paths, expectedPaths);
  // Non-tensor leaves are carried through untouched (same values, typed arrays not turned
  // into plain objects).
  assert.deepEqual(doubled.cfg, [4, "M", 6, "M"]);
  assert.equal(doubled.name, "vgg");
  assert.equal(doubled.depth, 19);
  assert.ok(doubled.mask instanceof Uint8Array, "typed-array leaf kept as is");
  assert.deepEqual([...doubled.mask], [1, 0, 1]);
  assert.deepEqual(doubled.layers[1].flags, [true, false]);
  assert.equal(doubled.mixed[1], 10);
  assert.equal(doubled.mixed[2], "x");
  assert.equal(doubled.head.none, null);
  assert.deepEqual(doubled.head.empty, []);
  // New tensors with the mapped values; the input tree is unchanged and still usable.
  assert.notEqual(doubled.layers[0].w, tree.layers[0].w);
  assert.deepEqual(doubled.layers[0].w.arraySync(), [[2, 4], [6, 8]]);
  assert.deepEqual(doubled.head.weight.arraySync(), [[22, 24]]);
  assert.equal(doubled.mixed[0] instanceof tf.Tensor && doubled.mixed[0].arraySync(), 18);
  assert.deepEqual(tree.layers[0].w.arraySync(), [[1, 2], [3, 4]]);
  assert.deepEqual(tree.cfg, [4, "M", 6, "M"]);
  disposeTree(doubled);
  disposeTree(tree);
});

Deno.test("tree: replaceLeaves puts leaves back in flatten order and checks the count", () => {
  const tree = sampleTree();
  const leaves = expectedPaths.map((_, i) => tf.scalar(100 + i));
  const replaced = replaceLeaves(tree, leaves);
  assert.deepEqual(treeLeaves(replaced), leaves);
  assert.equal(replaced.layers[1].w, leaves[2]);
  assert.equal(replaced.head.weight, leaves[4]);
  assert.deepEqual(replaced.cfg, tree.cfg);
  assert.throws(() => replaceLeaves(tree, leaves.slice(0, 4)), RangeError);
  const extra = tf.scalar(0);
  assert.throws(() => replaceLeaves(tree, [...leaves, extra]), RangeError);
  extra.dispose();
  assert.throws(() => replaceLeaves(tree, []), RangeError);
  assert.deepEqual(replaceLeaves({ cfg: [1] }, []), { cfg: [1] });
  disposeTree(leaves);
  disposeTree(tree);
});

Deno.test("tree: disposeTree, keepTree and cloneTree manage tensor lifetimes", () => {
  const before = tf.memory().numTensors;
  const tree = sampleTree();
  assert.equal(tf.memory().numTensors, before + 5);

  // cloneTree: new tensors with the same values; the original stays usable.
  const clone = cloneTree(tree);
  assert.equal(tf.memory().numTensors, before + 10);
  flattenTree(clone).forEach(([path, t], i) => {
    const original = treeLeaves(tree)[i];
    assert.notEqual(t, original, path);
    assert.deepEqual(t.arraySync(), original.arraySync(), path);
  });
  assert.deepEqual(clone.cfg, tree.cfg);
  disposeTree(clone);
  assert.ok(treeLeaves(clone).every((t) => t.isDisposed));
  assert.ok(treeLeaves(tree).every((t) => !t.isDisposed));
  assert.deepEqual(tree.layers[0].w.arraySync(), [[1, 2], [3, 4]]);

  // keepTree: leaves survive the enclosing tidy, the temporaries do not.
  // (Not returned from the tidy: tidy would keep returned tensors by itself.)
  let kept: { a: tf.Tensor[]; b: { c: tf.Tensor }; cfg: Array<number | "M"> } | undefined;
  tf.tidy(() => {
    const tmp = tf.ones([3]);
    const tree = {
      a: [tf.add(tmp, 1)],
      b: { c: tf.mul(tmp, 3) },
      cfg: [1, "M"] as Array<number | "M">,
    };
    kept = keepTree(tree);
    assert.equal(kept, tree);
  });
  assert.ok(kept !== undefined);
  assert.equal(tf.memory().numTensors, before + 5 + 2);
  assert.deepEqual(kept.a[0].arraySync(), [2, 2, 2]);
  disposeTree(kept);

  disposeTree(tree);
  assert.ok(treeLeaves(tree).every((t) => t.isDisposed));
  assert.equal(tf.memory().numTensors, before);
});

// ---------------------------------------------------------------------------------------------
// files

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tensor_utils_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Asserts `promise` rejects with a one-line WriteError naming `path`. */
async function assertWriteError(promise: Promise<unknown>, path: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WriteError, `not a WriteError: ${error}`);
    assert.ok(error.message.startsWith(`cannot write ${path}: `), error.message);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    return true;
  });
}

Deno.test("files: writeFileAtomic writes, replaces and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    await writeFileAtomic(path, "first");
    assert.equal(await Deno.readTextFile(path), "first");
    await writeFileAtomic(path, new Uint8Array([104, 105]));
    assert.equal(await Deno.readTextFile(path), "hi");
    // A large write (several write() calls) and an empty one.
    const big = new Uint8Array(3_000_000).map((_, i) => i % 251);
    await writeFileAtomic(path, big);
    assert.deepEqual(await Deno.readFile(path), big);
    await writeFileAtomic(path, "");
    assert.equal((await Deno.stat(path)).size, 0);
    assert.deepEqual(await listDir(dir), ["out.txt"]);

    await writeJsonAtomic(`${dir}/v.json`, { a: [1, 2], b: "x" });
    assert.equal(
      await Deno.readTextFile(`${dir}/v.json`),
      '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}\n',
    );
    assert.deepEqual(await readJsonIfExists(`${dir}/v.json`), { a: [1, 2], b: "x" });
    assert.deepEqual(await listDir(dir), ["out.txt", "v.json"]);
  });
});

Deno.test("files: readJsonIfExists is undefined for a missing file and a one-line DataError on bad JSON", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await readJsonIfExists(`${dir}/missing.json`), undefined);
    assert.equal(await readJsonIfExists(`${dir}/no/such/dir/missing.json`), undefined);
    await Deno.writeTextFile(`${dir}/bad.json`, "{oops");
    await assert.rejects(readJsonIfExists(`${dir}/bad.json`), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /bad\.json is not valid JSON/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  });
});

Deno.test("files: writing where the folder does not exist is a one-line WriteError", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing/sub/out.json`;
    await assertWriteError(writeFileAtomic(path, "x"), path);
    await assertWriteError(writeJsonAtomic(path, { a: 1 }), path);
    assert.deepEqual(await listDir(dir), []);
    // Writing over a folder fails too, and the folder survives.
    await Deno.mkdir(`${dir}/folder`);
    await Deno.writeTextFile(`${dir}/folder/keep`, "k");
    await assertWriteError(writeFileAtomic(`${dir}/folder`, "x"), `${dir}/folder`);
    assert.deepEqual(await listDir(dir), ["folder"]);
    assert.equal(await Deno.readTextFile(`${dir}/folder/keep`), "k");
  });
});

/** Mounts a 64 KiB tmpfs (root only); undefined when that is not possible here. */
async function mountTinyTmpfs(dir: string): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    const { success } = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

Deno.test("files: a write that fills the disk is a WriteError and the old file survives", async (t) => {
  await withTempDir(async (dir) => {
    const mnt = `${dir}/mnt`;
    await Deno.mkdir(mnt);
    if (!(await mountTinyTmpfs(mnt))) {
      // Not root, or no mount in this sandbox: nothing to test here.
      console.log("skipped: cannot mount a tmpfs (not root or not permitted)");
      await t.step({ name: "full disk (skipped: no tmpfs)", ignore: true, fn: () => {} });
      return;
    }
    try {
      const path = `${mnt}/state.json`;
      await writeFileAtomic(path, "old content");
      // Fill the rest of the filesystem.
      const filler = await Deno.open(`${mnt}/filler`, { write: true, create: true });
      try {
        const chunk = new Uint8Array(4096).fill(7);
        for (let i = 0; i < 64; i++) await filler.write(chunk);
        assert.fail("a 64 KiB tmpfs should be full after 256 KiB");
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
      } finally {
        filler.close();
      }
      await assertWriteError(writeFileAtomic(path, new Uint8Array(32_768).fill(1)), path);
      assert.equal(await Deno.readTextFile(path), "old content");
      assert.deepEqual(await listDir(mnt), ["filler", "state.json"], "no temp file left");
      // Once there is room again, the same write succeeds.
      await Deno.remove(`${mnt}/filler`);
      await writeFileAtomic(path, "new content");
      assert.equal(await Deno.readTextFile(path), "new content");
      assert.deepEqual(await listDir(mnt), ["state.json"]);
    } finally {
      await unmount(mnt);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// errors

Deno.test("errors: exitCodeOf maps user errors to 2 or 3 and anything else to undefined", () => {
  assert.equal(exitCodeOf(new UsageError("u")), 2);
  assert.equal(exitCodeOf(new DataError("d")), 2);
  assert.equal(exitCodeOf(new CheckpointError("c")), 2);
  assert.equal(exitCodeOf(new WriteError("w")), 2);
  assert.equal(exitCodeOf(new DivergenceError("nan")), 3);
  class SpecialUsage extends UsageError {}
  assert.equal(exitCodeOf(new SpecialUsage("sub")), 2);
  for (
    const other of [
      new Error("e"),
      new TypeError("t"),
      new RangeError("r"),
      "text",
      2,
      null,
      undefined,
      {},
    ]
  ) {
    assert.equal(exitCodeOf(other), undefined, String(other));
  }
  // An Error that merely has the name of a user error is still a bug.
  const impostor = new Error("x");
  impostor.name = "UsageError";
  assert.equal(exitCodeOf(impostor), undefined);
  assert.equal(new CheckpointError("c").name, "CheckpointError");
  assert.equal(new DivergenceError("c").name, "DivergenceError");
  assert.ok(new WriteError("w") instanceof Error);
});
