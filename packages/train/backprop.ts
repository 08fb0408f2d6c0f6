/**
 * Reverse-mode gradients that free memory as they go. tfjs's own `tf.valueAndGrads` keeps
 * every activation saved for the backward pass and every intermediate gradient until the
 * whole backward pass ends, so a step's peak holds the forward activations and all their
 * gradients at once. {@linkcode frugalValueAndGrads} walks the same tape but disposes each
 * node's saved tensors and its outputs' gradients as soon as the node's input gradients are
 * computed, as PyTorch's autograd does; the gradients themselves are computed by the same
 * gradient functions, so they are identical.
 *
 * It reads the engine's tape (tfjs-core 4.x: `startTape`, `endTape`, `scopedRun`,
 * `state.activeTape`), which is not public API; `frugal_grads_test.ts` checks it against
 * `tf.valueAndGrads` so that a tfjs upgrade that changes the tape fails there.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** One recorded op, as the engine's tape holds it. */
interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  inputs: Record<string, tf.Tensor>;
  readonly outputs: tf.Tensor[];
  readonly saved?: tf.Tensor[];
  readonly gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs's engine this module drives. */
interface EngineTape {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/**
 * The tape's nodes that lie on a path from one of `xs` to `y`, in tape order, each with only
 * the inputs that depend on `xs` (the others need no gradient).
 */
export function nodesBetween(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor) {
  const fromX = new Set(xs.map((x) => x.id));
  const reachedFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      reachedFromX.add(node.id);
      for (const out of node.outputs) fromX.add(out.id);
    }
  }
  const toY = new Set([y.id]);
  const leadsToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((out) => toY.has(out.id))) {
      leadsToY.add(node.id);
      for (const input of Object.values(node.inputs)) toY.add(input.id);
    }
  }
  return tape.filter((node) => reachedFromX.has(node.id) && leadsToY.has(node.id)).map((node) => ({
    ...node,
    inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id))),
  }));
}

/**
 * Like `tf.valueAndGrads(f)(xs)`: the scalar `f()` and its gradient with respect to each of
 * `xs`, freeing each saved activation and intermediate gradient once the backward pass has
 * used it. Inside another gradient computation (higher-order gradients) it is
 * `tf.valueAndGrads` itself, which must keep the tape.
 */
export function frugalValueAndGrads(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
): { value: tf.Scalar; grads: tf.Tensor[] } {
  const engine = tf.engine() as unknown as EngineTape;
  if (engine.state.gradientDepth > 0) {
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return { value: value as tf.Scalar, grads };
  }
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy("forward", () => f(...xs)),
  );
  const tape = engine.state.activeTape ?? [];
  try {
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      throw new Error("frugalValueAndGrads: f() must return a scalar tensor");
    }
    const nodes = nodesBetween(tape, xs, y);
    return engine.tidy("backward", () => {
      const grads = backpropagate(nodes, y);
      const missing = xs.findIndex((x) => !grads.has(x.id));
      if (missing >= 0) {
        throw new Error(`frugalValueAndGrads: f() does not depend on input ${missing}`);
      }
      return { value: y as tf.Scalar, grads: xs.map((x) => grads.get(x.id)!) };
    });
  } catch (error) {
    tf.dispose(y);
    throw error;
  } finally {
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
  }
}

/**
 * Gradients of `y` through `nodes` (tape order), by tensor id. Each node's saved tensors and
 * its outputs' gradients are disposed right after its input gradients are computed, unless
 * one of them is itself a gradient still held (a gradient function may return its `dy`).
 */
function backpropagate(nodes: readonly TapeNode[], y: tf.Tensor): Map<number, tf.Tensor> {
  const grads = new Map<number, tf.Tensor>();
  // How many entries of `grads` hold each tensor (one object can be the gradient of several).
  const holds = new Map<tf.Tensor, number>();
  const hold = (id: number, t: tf.Tensor) => {
    grads.set(id, t);
    holds.set(t, (holds.get(t) ?? 0) + 1);
  };
  const unhold = (id: number) => {
    const t = grads.get(id)!;
    grads.delete(id);
    const count = holds.get(t)! - 1;
    if (count === 0) holds.delete(t);
    else holds.set(t, count);
    return t;
  };
  const release = (t: tf.Tensor) => {
    if (!holds.has(t)) t.dispose();
  };
  hold(y.id, tf.onesLike(y));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const dys = node.outputs.map((out) => grads.get(out.id) ?? null);
    if (!node.gradient) throw new Error(`no gradient function for ${node.kernelName}`);
    const inputGrads = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      const thunk = inputGrads[name];
      if (!thunk) throw new Error(`no gradient of ${node.kernelName}'s input '${name}'`);
      const dx = tf.tidy(thunk);
      if (dx.dtype !== "float32" || !tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `${node.kernelName}: the gradient of '${name}' has the wrong type or shape`,
        );
      }
      if (!grads.has(x.id)) {
        hold(x.id, dx);
        continue;
      }
      const before = unhold(x.id);
      hold(x.id, tf.add(before, dx));
      release(before);
      release(dx);
    }
    // No node before this one adds to its outputs' gradients: they are done with.
    for (const out of node.outputs) if (grads.has(out.id)) release(unhold(out.id));
    for (const t of node.saved ?? []) release(t);
  }
  return grads;
}
