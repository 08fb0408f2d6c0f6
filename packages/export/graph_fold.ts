/**
 * Batch-norm folding on an {@linkcode ExportGraph}: a BN whose input is a conv that nothing
 * else reads becomes that conv's weight and bias. A BN on a sum, a concatenation or a
 * selection (the pre-activation BNs of ResNet and DenseNet) stays as it is.
 *
 * @module
 */
import { type ExportGraph, type GraphNode, nodeInputs } from "./graph.ts";
import { foldBnIntoConv } from "./inference_model.ts";

/** How many times each tensor is read (the graph's output counts as one read). */
function readCounts(graph: ExportGraph): Map<string, number> {
  const counts = new Map<string, number>([[graph.output, 1]]);
  for (const node of graph.nodes) {
    for (const input of nodeInputs(node)) counts.set(input, (counts.get(input) ?? 0) + 1);
  }
  return counts;
}

function renamed(node: GraphNode, rename: ReadonlyMap<string, string>): GraphNode {
  const to = (name: string) => rename.get(name) ?? name;
  if ("inputs" in node) {
    return node.op === "add"
      ? { ...node, inputs: [to(node.inputs[0]), to(node.inputs[1])] }
      : { ...node, inputs: node.inputs.map(to) };
  }
  return { ...node, input: to(node.input) };
}

/**
 * `graph` with every foldable BN folded into the conv before it (a new graph; `graph` is
 * unchanged). Readers of a folded BN read the conv instead.
 */
export function foldGraphBatchNorm(graph: ExportGraph): ExportGraph {
  const reads = readCounts(graph);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const folded = new Map<string, GraphNode>();
  const rename = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.op !== "batchNorm") continue;
    const conv = byName.get(node.input);
    if (conv?.op !== "conv" || reads.get(conv.name) !== 1) continue;
    const { weight, bias } = foldBnIntoConv(conv.weight, conv.outChannels, node.bn, conv.bias);
    folded.set(conv.name, { ...conv, weight, bias });
    rename.set(node.name, conv.name);
  }
  const nodes = graph.nodes
    .filter((n) => !rename.has(n.name))
    .map((n) => renamed(folded.get(n.name) ?? n, rename));
  return { ...graph, nodes, output: rename.get(graph.output) ?? graph.output };
}
