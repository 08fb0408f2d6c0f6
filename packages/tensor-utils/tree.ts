/**
 * Parameter trees: plain nested objects and arrays whose leaves are tensors. Non-tensor
 * leaves (numbers, strings, a cfg list) are carried through unchanged. Trees are never
 * mutated; every function here returns a new tree.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Any nested structure of tensors, arrays, plain objects and plain values. */
export type Tree = unknown;

/** A `{...}` object (not a tensor, array, typed array, Map, Date or other class instance). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A new tree with `fn` applied to every tensor leaf; `path` is the dotted leaf name. */
export function mapTree<T>(tree: T, fn: (tensor: tf.Tensor, path: string) => tf.Tensor): T {
  const visit = (node: unknown, path: string): unknown => {
    if (node instanceof tf.Tensor) return fn(node, path);
    if (Array.isArray(node)) {
      return node.every((v) => !(v instanceof tf.Tensor) && !isPlainObject(v) && !Array.isArray(v))
        ? node
        : node.map((v, i) => visit(v, path === "" ? `${i}` : `${path}.${i}`));
    }
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = visit(v, path === "" ? k : `${path}.${k}`);
      }
      return out;
    }
    return node;
  };
  return visit(tree, "") as T;
}

/** Every tensor leaf with its dotted path, in depth-first key order. */
export function flattenTree(tree: Tree): Array<[string, tf.Tensor]> {
  const leaves: Array<[string, tf.Tensor]> = [];
  mapTree(tree, (t, path) => {
    leaves.push([path, t]);
    return t;
  });
  return leaves;
}

/** The tensor leaves of `tree` in {@linkcode flattenTree} order. */
export function treeLeaves(tree: Tree): tf.Tensor[] {
  return flattenTree(tree).map(([, t]) => t);
}

/** A tree shaped like `template` whose tensor leaves are `leaves`, in flatten order. */
export function replaceLeaves<T>(template: T, leaves: readonly tf.Tensor[]): T {
  let i = 0;
  const out = mapTree(template, () => {
    if (i >= leaves.length) throw new RangeError("replaceLeaves: too few leaves");
    return leaves[i++];
  });
  if (i !== leaves.length) throw new RangeError("replaceLeaves: too many leaves");
  return out;
}

/** Disposes every tensor leaf of `tree`. */
export function disposeTree(tree: Tree): void {
  for (const t of treeLeaves(tree)) t.dispose();
}

/** Keeps every tensor leaf of `tree` out of the enclosing `tf.tidy` and returns it. */
export function keepTree<T>(tree: T): T {
  for (const t of treeLeaves(tree)) tf.keep(t);
  return tree;
}

/** A deep copy: new tensors with the same values (the input stays usable). */
export function cloneTree<T>(tree: T): T {
  return mapTree(tree, (t) => t.clone());
}

/** Total number of scalar values over all tensor leaves. */
export function treeSize(tree: Tree): number {
  return treeLeaves(tree).reduce((n, t) => n + t.size, 0);
}
