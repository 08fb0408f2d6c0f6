/**
 * The export graph of a CIFAR ResNet with basic blocks (`@slimming/cifar-resnet`) from its
 * state_dict: stem conv3x3 -> BN -> ReLU; per block conv3x3 (stride 2 opening stages 2 and
 * 3) -> BN -> ReLU -> conv3x3 -> BN, plus the block input or its 1x1 conv + BN projection,
 * then ReLU of the sum; an 8x8 average pool (global on 32x32 inputs) and the linear layer.
 * Every BN follows a conv read once, so BN folding removes all of them. Node names are the
 * PyTorch module names. Plain arrays, no tfjs: the descriptor's `exportGraph`
 * ({@linkcode cifarResnetExportGraph}).
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
import {
  CIFAR_RESNET_ARCH,
  CIFAR_RESNET_PLANES,
  cifarResnetBlockName,
  type CifarResnetPlanes,
} from "./cfg.ts";
import { cifarResnetBlockShapes } from "./counts.ts";

/** The shape of a CIFAR ResNet to export (a checkpoint's metadata). */
export interface CifarResnetExportSpec {
  readonly depth: number;
  readonly planes: CifarResnetPlanes;
  readonly cfg: readonly number[];
}

/** The graph of the CIFAR ResNet `spec` with the tensors of `stateDict` (PyTorch names, OIHW). */
export function cifarResnetGraphFromStateDict(
  spec: CifarResnetExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
  eps = BN_EPS,
): ExportGraph {
  const shapes = cifarResnetBlockShapes(spec); // checks the spec
  const r = stateDictArrays(stateDict);
  const g = new GraphAssembler();
  const convBn = (
    name: string,
    bnName: string,
    input: string,
    shape: { outChannels: number; kernel: number; stride: number },
  ): string => {
    const { outChannels, kernel } = shape;
    const inChannels = g.channelsOf(input);
    const weight = r.floats(`${name}.weight`, outChannels * inChannels * kernel * kernel);
    const y = g.conv(name, input, weight, { ...shape, pad: (kernel - 1) / 2 });
    return g.batchNorm(bnName, y, r.batchNorm(bnName, outChannels, eps));
  };
  const p0 = spec.planes[0];
  let h = g.relu(
    "relu",
    convBn("conv1", "bn1", GRAPH_INPUT, { outChannels: p0, kernel: 3, stride: 1 }),
  );
  shapes.forEach((s, b) => {
    const k = cifarResnetBlockName(spec.depth, b);
    let y = convBn(`${k}.conv1`, `${k}.bn1`, h, {
      outChannels: s.inner,
      kernel: 3,
      stride: s.stride,
    });
    y = g.relu(`${k}.relu1`, y);
    y = convBn(`${k}.conv2`, `${k}.bn2`, y, { outChannels: s.outWidth, kernel: 3, stride: 1 });
    const shortcut = s.projection
      ? convBn(`${k}.downsample.0`, `${k}.downsample.1`, h, {
        outChannels: s.outWidth,
        kernel: 1,
        stride: s.stride,
      })
      : h;
    h = g.relu(`${k}.relu`, g.add(`${k}.add`, y, shortcut));
  });
  h = g.avgPool("avgpool", h, 8);
  const bias = r.floats("fc.bias");
  const logits = g.linear("fc", h, r.floats("fc.weight", bias.length * spec.planes[2]), bias);
  return g.graph(
    "cifar-resnet",
    `CIFAR ResNet-${spec.depth} (basic blocks, Network Slimming) for CIFAR: normalised ` +
      "NCHW float32 in, logits out",
    logits,
  );
}

/**
 * The CIFAR ResNet's export graph builder (its descriptor's `exportGraph`): the graph of a
 * checkpoint's spec (stage widths default to the paper's) and the spec fields its exported
 * metadata names.
 */
export function cifarResnetExportGraph(
  spec: ExportSpec,
  stateDict: Readonly<Record<string, NamedArray>>,
): ArchExport {
  const cfg = specChannels(spec);
  const depth = requiredSpecField(spec, "depth");
  const planes = (spec.planes ?? CIFAR_RESNET_PLANES) as CifarResnetPlanes;
  return {
    graph: cifarResnetGraphFromStateDict({ depth, planes, cfg }, stateDict),
    fields: { arch: CIFAR_RESNET_ARCH, depth, planes: [...planes], cfg },
  };
}
