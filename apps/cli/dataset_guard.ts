/**
 * A checkpoint belongs to the data set it was trained on: its head's output count is that
 * data set's class count. Using it with another data set is a one-line error before any
 * data is loaded.
 *
 * @module
 */
import { CIFAR_SPECS, type CifarSpec, DATASET_NAMES } from "@slimming/cifar";
import { CheckpointError, readSafetensors } from "@slimming/tensor-utils/core";

/** The head's bias in the reference's state_dicts: VGG's `classifier`, ResNet's and DenseNet's `fc`. */
export const HEAD_BIAS_NAMES: readonly string[] = ["classifier.bias", "fc.bias"];

/** The class count of a checkpoint's tensors (the head bias length), or undefined without a head. */
export function headClassCount(
  tensors: Readonly<Record<string, { readonly shape: readonly number[] }>>,
): number | undefined {
  for (const name of HEAD_BIAS_NAMES) {
    const shape = tensors[name]?.shape;
    if (shape && shape.length === 1) return shape[0];
  }
  return undefined;
}

/** Throws a one-line CheckpointError when a `classes`-class model is used with `spec`. */
export function checkClassCount(path: string, classes: number, spec: CifarSpec): void {
  if (classes === spec.classCount) return;
  const match = DATASET_NAMES.find((n) => CIFAR_SPECS[n].classCount === classes);
  throw new CheckpointError(
    `${path}: a ${classes}-class model, but --dataset ${spec.name} has ${spec.classCount} ` +
      `classes${
        match ? ` (it was trained on ${CIFAR_SPECS[match].title}: --dataset ${match})` : ""
      }`,
  );
}

/**
 * The data set whose class count a checkpoint's head has (for what an exported model says
 * about its classes and normalisation); no head or no matching data set is a CheckpointError.
 */
export function checkpointSpec(
  path: string,
  tensors: Readonly<Record<string, { readonly shape: readonly number[] }>>,
): CifarSpec {
  const classes = headClassCount(tensors);
  const spec = DATASET_NAMES.map((n) => CIFAR_SPECS[n]).find((s) => s.classCount === classes);
  if (classes === undefined) {
    throw new CheckpointError(
      `${path}: no classifier head (${HEAD_BIAS_NAMES.join(" or ")}) in the checkpoint`,
    );
  }
  if (!spec) {
    throw new CheckpointError(
      `${path}: a ${classes}-class model; no data set here has ${classes} classes ` +
        `(${DATASET_NAMES.map((n) => `${n}: ${CIFAR_SPECS[n].classCount}`).join(", ")})`,
    );
  }
  return spec;
}

/**
 * Reads the checkpoint at `path` and checks its head against `spec` (see
 * {@linkcode checkClassCount}). A checkpoint without a head passes: loading the model
 * reports what it lacks, more precisely.
 */
export async function checkCheckpointDataset(path: string, spec: CifarSpec): Promise<void> {
  const classes = headClassCount((await readSafetensors(path)).tensors);
  if (classes !== undefined) checkClassCount(path, classes, spec);
}
