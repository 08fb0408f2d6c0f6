import assert from "node:assert/strict";
import { GRAPH_INPUT, GraphAssembler } from "./graph.ts";
import { foldGraphBatchNorm } from "./graph_fold.ts";

const bn = (c: number, gamma = 2) => ({
  gamma: new Float32Array(c).fill(gamma),
  beta: new Float32Array(c).fill(0.5),
  mean: new Float32Array(c).fill(1),
  variance: new Float32Array(c).fill(3),
  eps: 1,
});

Deno.test("foldGraphBatchNorm folds a BN into the conv only it reads, and renames its readers", () => {
  const g = new GraphAssembler();
  // conv a -> bn a (foldable); conv b read by bn b and by the add (not foldable); bn on a sum.
  const a = g.conv("a", GRAPH_INPUT, new Float32Array(2 * 3).fill(1), {
    outChannels: 2,
    kernel: 1,
    stride: 1,
    pad: 0,
  });
  const reluA = g.relu("relu_a", g.batchNorm("bn_a", a, bn(2)));
  const b = g.conv("b", reluA, new Float32Array(4).fill(1), {
    outChannels: 2,
    kernel: 1,
    stride: 1,
    pad: 0,
  });
  const sum = g.add("sum", g.batchNorm("bn_b", b, bn(2)), b);
  const out = g.batchNorm("bn_sum", sum, bn(2));
  const graph = foldGraphBatchNorm(g.graph("t", "test", out));
  assert.deepEqual(graph.nodes.map((n) => n.name), ["a", "relu_a", "b", "bn_b", "sum", "bn_sum"]);
  const conv = graph.nodes[0];
  assert.ok(conv.op === "conv" && conv.bias !== undefined);
  // s = 2 / sqrt(3 + 1) = 1: weights unchanged, bias = 0.5 - 1 * 1.
  assert.deepEqual(Array.from(conv.weight), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(conv.bias!), [-0.5, -0.5]);
  const relu = graph.nodes[1];
  assert.ok(relu.op === "relu" && relu.input === "a", "the ReLU reads the folded conv");
  assert.equal(graph.output, "bn_sum");
  assert.equal(g.nodes.length, 7, "the input graph is unchanged");
});

Deno.test("foldGraphBatchNorm folds a conv -> BN that is the graph's output", () => {
  const g = new GraphAssembler();
  const a = g.conv("a", GRAPH_INPUT, new Float32Array(3).fill(1), {
    outChannels: 1,
    kernel: 1,
    stride: 1,
    pad: 0,
  });
  const graph = foldGraphBatchNorm(g.graph("t", "test", g.batchNorm("bn", a, bn(1, 4))));
  assert.deepEqual(graph.nodes.map((n) => n.name), ["a"]);
  assert.equal(graph.output, "a");
  const conv = graph.nodes[0];
  assert.ok(conv.op === "conv");
  assert.deepEqual(Array.from(conv.weight), [2, 2, 2]);
});

Deno.test("GraphAssembler checks widths, selections and names", () => {
  const g = new GraphAssembler();
  assert.throws(
    () =>
      g.conv("c", GRAPH_INPUT, new Float32Array(5), {
        outChannels: 2,
        kernel: 1,
        stride: 1,
        pad: 0,
      }),
    /expected 6/,
  );
  assert.throws(() => g.select("s", GRAPH_INPUT, [0, 3]), /channel 3/);
  assert.throws(() => g.select("s", GRAPH_INPUT, [1, 0]), /out of order/);
  g.relu("r", GRAPH_INPUT);
  assert.throws(() => g.relu("r", GRAPH_INPUT), /twice/);
  const picked = g.bnSelectRelu({ bn: "b", select: "s", relu: "q" }, GRAPH_INPUT, {
    gamma: Float32Array.from([1, 2, 3]),
    beta: Float32Array.from([4, 5, 6]),
    mean: Float32Array.from([7, 8, 9]),
    variance: Float32Array.from([10, 11, 12]),
    eps: 0,
  }, [0, 2]);
  assert.equal(g.channelsOf(picked), 2);
  const norm = g.nodes.find((n) => n.name === "b")!;
  assert.ok(norm.op === "batchNorm" && norm.input === "s");
  assert.deepEqual(Array.from(norm.bn.gamma), [1, 3]);
  assert.deepEqual(Array.from(norm.bn.variance), [10, 12]);
});
