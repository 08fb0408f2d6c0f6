/**
 * The export graph of a pre-activation bottleneck ResNet (`@slimming/resnet`, the reference's
 * `models/preresnet.py`) from its state_dict: stem conv, per block BN -> select -> ReLU ->
 * conv1x1, BN -> ReLU -> conv3x3 (stride 2 opening stages 2 and 3), BN -> ReLU -> conv1x1,
 * plus the block input or its downsampling conv; then the final BN -> select -> ReLU, 8x8
 * average pool and the linear layer. Node names are the reference's module names. Plain arrays,
 * no tfjs: the descriptor's `exportGraph` ({@linkcode resnetExportGraph}).
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
import { blocksPerStage, RESNET_EXPANSION, RESNET_PLANES, type ResnetPlanes } from "./cfg.ts";
import { blockShapes } from "./counts.ts";

/** The shape of a ResNet to export (a checkpoint's metadata). */
export interface ResnetExportSpec {
  readonly depth: number;
  readonly planes: ResnetPlanes;
  readonly cfg: readonly number[];
}

/** The graph of the ResNet `spec` with the tensors of `stateDict` (PyTorch names, OIHW). */
export function resnetGraphFromStateDict(
  spec: ResnetExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
  eps = BN_EPS,
): ExportGraph {
  const { depth, planes, cfg } = spec;
  const shapes = blockShapes(cfg, depth, planes); // checks the cfg
  const n = blocksPerStage(depth);
  const r = stateDictArrays(stateDict);
  const g = new GraphAssembler();
  const convW = (key: string, out: number, inp: number, k: number) =>
    r.floats(`${key}.weight`, out * inp * k * k);
  let h = g.conv("conv1", GRAPH_INPUT, convW("conv1", planes[0], 3, 3), {
    outChannels: planes[0],
    kernel: 3,
    stride: 1,
    pad: 1,
  });
  shapes.forEach((s, b) => {
    const k = `layer${Math.floor(b / n) + 1}.${b % n}`;
    const [kept, c1, c2] = s.cfg;
    let y = g.bnSelectRelu(
      { bn: `${k}.bn1`, select: `${k}.select`, relu: `${k}.relu1` },
      h,
      r.batchNorm(`${k}.bn1`, s.inWidth, eps),
      r.selection(`${k}.select.indexes`, s.inWidth, kept),
    );
    y = g.conv(`${k}.conv1`, y, convW(`${k}.conv1`, c1, kept, 1), {
      outChannels: c1,
      kernel: 1,
      stride: 1,
      pad: 0,
    });
    y = g.relu(`${k}.relu2`, g.batchNorm(`${k}.bn2`, y, r.batchNorm(`${k}.bn2`, c1, eps)));
    y = g.conv(`${k}.conv2`, y, convW(`${k}.conv2`, c2, c1, 3), {
      outChannels: c2,
      kernel: 3,
      stride: s.stride,
      pad: 1,
    });
    y = g.relu(`${k}.relu3`, g.batchNorm(`${k}.bn3`, y, r.batchNorm(`${k}.bn3`, c2, eps)));
    y = g.conv(`${k}.conv3`, y, convW(`${k}.conv3`, s.outWidth, c2, 1), {
      outChannels: s.outWidth,
      kernel: 1,
      stride: 1,
      pad: 0,
    });
    const residual = s.downsample
      ? g.conv(
        `${k}.downsample.0`,
        h,
        convW(`${k}.downsample.0`, s.outWidth, s.inWidth, 1),
        { outChannels: s.outWidth, kernel: 1, stride: s.stride, pad: 0 },
      )
      : h;
    h = g.add(`${k}.add`, y, residual);
  });
  const last = planes[2] * RESNET_EXPANSION;
  const head = cfg[cfg.length - 1];
  h = g.bnSelectRelu(
    { bn: "bn", select: "select", relu: "relu" },
    h,
    r.batchNorm("bn", last, eps),
    r.selection("select.indexes", last, head),
  );
  h = g.avgPool("avgpool", h, 8);
  const bias = r.floats("fc.bias");
  const logits = g.linear("fc", h, r.floats("fc.weight", bias.length * head), bias);
  return g.graph(
    "resnet",
    `pre-activation ResNet-${depth} (Network Slimming) for CIFAR: normalised NCHW float32 in, ` +
      "logits out",
    logits,
  );
}

/**
 * The ResNet's export graph builder (its descriptor's `exportGraph`): the graph of a
 * checkpoint's spec (stage widths default to the reference's) and the spec fields its
 * exported metadata names.
 */
export function resnetExportGraph(
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
): ArchExport {
  const cfg = specChannels(spec);
  const depth = requiredSpecField(spec, "depth");
  const planes = (spec.planes ?? RESNET_PLANES) as ResnetPlanes;
  return {
    graph: resnetGraphFromStateDict({ depth, planes, cfg }, stateDict),
    fields: { arch: "resnet", depth, planes: [...planes], cfg },
  };
}
