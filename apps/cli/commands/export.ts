/**
 * `deno task export`: a checkpoint of any registered architecture (full, pruned or fine-tuned;
 * the arch and its spec are in its metadata) as a TensorFlow.js Layers model or an ONNX model
 * for deployment, written into a new folder at once.
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
import { architectureOfMetadata, archTitles } from "@slimming/architectures";
import { JSON_OPTION } from "../closing.ts";
import { checkpointSpec } from "../dataset_guard.ts";
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
  `Export a checkpoint (${archTitles()}; full or pruned) for\n` +
    "inference: tfjs (model.json + weights, NHWC input, for stock tf.loadLayersModel) or onnx\n" +
    "(model.onnx, opset 13, NCHW input). Input: normalised float32 images, any batch size;\n" +
    "output: the logits (10 for CIFAR-10, 100 for CIFAR-100). Mean/std, the class names and\n" +
    "the model's spec are in its metadata.",
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
    // An unknown arch tag is a CheckpointError (the registry's rule for untagged files).
    const architecture = architectureOfMetadata(file.metadata, checkpoint);
    if (!architecture.capabilities.exportFormats.includes(format)) {
      throw new UsageError(`--format ${format} is not implemented for the ${architecture.title}`);
    }
    // fromStateDict checks every tensor against the spec (a CheckpointError otherwise).
    const params = architecture.fromStateDict(file, checkpoint);
    const modelSpec = architecture.specOf(params);
    disposeTree(params);
    // The head's class count says which data set the model was trained on.
    const spec = checkpointSpec(checkpoint, file.tensors);
    const files = exportFiles(modelSpec, file.tensors, {
      format,
      foldBn,
      mean: spec.mean,
      std: spec.std,
      classes: spec.classNames,
      source: checkpoint,
      graph: architecture.exportGraph,
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
