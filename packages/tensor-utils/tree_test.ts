import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  cloneTree,
  disposeTree,
  flattenTree,
  keepTree,
  mapTree,
  replaceLeaves,
  treeLeaves,
  treeSize,
} from "./tree.ts";

await tf.setBackend("cpu");

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
