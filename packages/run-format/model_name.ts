/**
 * How the report names the lab's network and the reference script that prunes it, from the
 * architecture lab.json and prune.json record (none: VGG, as labs wrote before the others).
 *
 * @module
 */

/** The fields of lab.json that name the network. */
export interface ModelFields {
  readonly arch?: string;
  readonly depth?: number;
  readonly growthRate?: number;
}

/** "VGG-19", "pre-activation ResNet-164", "DenseNet-40 (growth rate 12)", or the bare kind. */
export function modelName(fields: ModelFields): string {
  const depth = fields.depth === undefined ? "" : `-${fields.depth}`;
  switch (fields.arch ?? "vgg") {
    case "resnet":
      return `pre-activation ResNet${depth}`;
    case "densenet":
      return `DenseNet${depth}` +
        (fields.growthRate === undefined ? "" : ` (growth rate ${fields.growthRate})`);
    default:
      return `VGG${depth}`;
  }
}

/** The reference's pruning script for an architecture: vggprune.py, resprune.py, denseprune.py. */
export function pruneScript(arch: string | undefined): string {
  if (arch === "resnet") return "resprune.py";
  if (arch === "densenet") return "denseprune.py";
  return "vggprune.py";
}
