/**
 * `deno task export`: a checkpoint (full, pruned or fine-tuned; the cfg is in its metadata) as a
 * TensorFlow.js Layers model or an ONNX model for deployment, written into a new folder at once.
 *
 * @module
 */
import {
  checkOutputFolder,
  exportFiles,
  type ExportFormat,
  parseExportFormat,
  writeFolderAtomic,
} from "@slimming/export";
import { disposeTree, readSafetensors } from "@slimming/tensor-utils";
import { prepareOutDir, UsageError } from "@slimming/tensor-utils/core";
import { JSON_OPTION } from "../closing.ts";
import { checkpointSpec } from "../dataset_guard.ts";
import { fromStateDict } from "@slimming/vgg";
import {
  booleanOption,
  type Command,
  defineCommand,
  type OptionSpecs,
  requiredString,
} from "../cli_args.ts";

const SPECS: OptionSpecs = {
  checkpoint: { type: "string", value: "FILE", help: "model checkpoint (required)" },
  format: { type: "string", value: "tfjs|onnx", help: "output format (required)" },
  out: { type: "string", value: "DIR", help: "new (or empty) output folder (required)" },
  "fold-bn": {
    type: "string",
    value: "true|false",
    help: "fold batch norm into the convolutions",
    default: "true",
  },
  json: { ...JSON_OPTION, help: "accepted for symmetry: export always prints its summary object" },
};

function folderExists(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : trimmed.slice(0, cut);
}

/** What `export` did. */
export interface ExportSummary {
  readonly checkpoint: string;
  readonly format: ExportFormat;
  readonly out: string;
  readonly foldBn: boolean;
  readonly files: Record<string, number>;
}

/** Runs `export` with command-line arguments. */
export const exportCommand: Command<ExportSummary> = defineCommand(
  "export",
  "Export a checkpoint for inference: tfjs (model.json + weights, NHWC input, for stock\n" +
    "tf.loadLayersModel) or onnx (model.onnx, opset 13, NCHW input). Input: normalised float32\n" +
    "images, any batch size; output: the logits (10 for CIFAR-10, 100 for CIFAR-100). Mean/std\n" +
    "and the class names are in the model's metadata.",
  SPECS,
  async (values, log) => {
    const checkpoint = requiredString(values, "checkpoint");
    const format = parseExportFormat(requiredString(values, "format"));
    const out = requiredString(values, "out");
    const foldBn = booleanOption(values, "fold-bn") ?? true;
    await checkOutputFolder(out); // a new or empty folder only
    // Its place must be writable before anything is read: the folder itself when it exists
    // (empty), else its parent (created if needed), where the export is assembled.
    if (folderExists(out)) prepareOutDir(out);
    else prepareOutDir(parentOf(out), "the folder of --out");
    const file = await readSafetensors(checkpoint);
    if ((file.metadata.arch ?? "vgg") !== "vgg") {
      throw new UsageError(
        `${checkpoint} holds a ${file.metadata.arch}: export is implemented for VGG only`,
      );
    }
    // fromStateDict checks every tensor against the cfg (a CheckpointError otherwise).
    const params = fromStateDict(file, { source: checkpoint });
    const cfg = params.cfg;
    disposeTree(params);
    // The head's class count says which data set the model was trained on.
    const spec = checkpointSpec(checkpoint, file.tensors);
    const files = exportFiles(cfg, file.tensors, {
      format,
      foldBn,
      mean: spec.mean,
      std: spec.std,
      classes: spec.classNames,
      source: checkpoint,
    });
    await writeFolderAtomic(out, files);
    const sizes = Object.fromEntries(
      Object.entries(files).map(([name, content]) => [
        name,
        typeof content === "string" ? new TextEncoder().encode(content).length : content.length,
      ]),
    );
    log(`exported ${checkpoint} as ${format} (fold-bn ${foldBn}) into ${out}:`);
    for (const [name, size] of Object.entries(sizes)) log(`  ${out}/${name} (${size} bytes)`);
    const summary: ExportSummary = { checkpoint, format, out, foldBn, files: sizes };
    console.log(JSON.stringify(summary, null, 2)); // always: export's output is this object
    return summary;
  },
);
