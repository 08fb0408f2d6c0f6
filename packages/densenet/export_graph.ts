/**
 * The export graph of a DenseNet (`@slimming/densenet`, the reference's `models/densenet.py`)
 * from its state_dict: conv3x3; three dense blocks whose layers are BN -> select -> ReLU ->
 * conv3x3 concatenated after their input; between blocks BN -> select -> ReLU -> conv1x1 ->
 * 2x2 average pool; then BN -> select -> ReLU, 8x8 average pool and the linear layer. Node
 * names are the reference's module names. Plain arrays, no tfjs: the descriptor's
 * `exportGraph` ({@linkcode densenetExportGraph}).
 *
 * @module
 */
import type { NamedArray } from "@slimming/tensor-utils/core";
import {
  type ArchExport,
  BN_EPS,
  type ExportGraph,
  type ExportSpec,
  GRAPH_INPUT,
  GraphAssembler,
  requiredSpecField,
  specChannels,
  stateDictArrays,
} from "@slimming/export/graph";
import { denseLayersPerBlock, densenetBnWidths, validateDensenetSpec } from "./cfg.ts";

/** The shape of a DenseNet to export (a checkpoint's metadata). */
export interface DensenetExportSpec {
  readonly depth: number;
  readonly growthRate: number;
  readonly cfg: readonly number[];
}

/** The graph of the DenseNet `spec` with the tensors of `stateDict` (PyTorch names, OIHW). */
export function densenetGraphFromStateDict(
  spec: DensenetExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
  eps = BN_EPS,
): ExportGraph {
  const { depth, growthRate, cfg } = validateDensenetSpec(spec);
  const n = denseLayersPerBlock(depth);
  const widths = densenetBnWidths(depth, growthRate);
  const r = stateDictArrays(stateDict);
  const g = new GraphAssembler();
  /** BN -> select -> ReLU of unit `i` (state_dict path `path`, `bn` for the final one). */
  const unit = (path: string | undefined, i: number, input: string): string => {
    const at = (name: string) => (path === undefined ? name : `${path}.${name}`);
    return g.bnSelectRelu(
      { bn: at(path === undefined ? "bn" : "bn1"), select: at("select"), relu: at("relu") },
      input,
      r.batchNorm(at(path === undefined ? "bn" : "bn1"), widths[i], eps),
      r.selection(at("select.indexes"), widths[i], cfg[i]),
    );
  };
  const conv = (path: string, input: string, i: number, out: number, kernel: number) =>
    g.conv(`${path}.conv1`, input, r.floats(`${path}.conv1.weight`, out * cfg[i] * kernel ** 2), {
      outChannels: out,
      kernel,
      stride: 1,
      pad: (kernel - 1) / 2,
    });
  let h = g.conv("conv1", GRAPH_INPUT, r.floats("conv1.weight", 2 * growthRate * 27), {
    outChannels: 2 * growthRate,
    kernel: 3,
    stride: 1,
    pad: 1,
  });
  for (let block = 0; block < 3; block++) {
    for (let l = 0; l < n; l++) {
      const i = block * (n + 1) + l;
      const path = `dense${block + 1}.${l}`;
      const y = conv(path, unit(path, i, h), i, growthRate, 3);
      h = g.concat(`${path}.cat`, [h, y]);
    }
    if (block < 2) {
      const i = block * (n + 1) + n;
      const path = `trans${block + 1}`;
      h = g.avgPool(`${path}.pool`, conv(path, unit(path, i, h), i, widths[i], 1), 2);
    }
  }
  h = g.avgPool("avgpool", unit(undefined, widths.length - 1, h), 8);
  const head = cfg[cfg.length - 1];
  const bias = r.floats("fc.bias");
  const logits = g.linear("fc", h, r.floats("fc.weight", bias.length * head), bias);
  return g.graph(
    "densenet",
    `DenseNet-${depth} (growth rate ${growthRate}, Network Slimming) for CIFAR: normalised NCHW ` +
      "float32 in, logits out",
    logits,
  );
}

/**
 * The DenseNet's export graph builder (its descriptor's `exportGraph`): the graph of a
 * checkpoint's spec and the spec fields its exported metadata names.
 */
export function densenetExportGraph(
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
): ArchExport {
  const cfg = specChannels(spec);
  const depth = requiredSpecField(spec, "depth");
  const growthRate = requiredSpecField(spec, "growthRate");
  return {
    graph: densenetGraphFromStateDict({ depth, growthRate, cfg }, stateDict),
    fields: { arch: "densenet", depth, growthRate, cfg },
  };
}
