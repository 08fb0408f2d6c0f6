/**
 * Export of a checkpoint of any architecture (VGG-BN, pre-activation ResNet, DenseNet, ...) for
 * deployment: a TensorFlow.js Layers model (model.json + weight shard, loaded by stock
 * `tf.loadLayersModel`) and an ONNX model (opset 13, encoded with `onnx-proto`), BN folded into
 * the convolutions where a conv precedes it or kept, channel selections as ONNX Gathers (tfjs:
 * fixed 0/1 1x1 convs), the input normalisation and the model's spec in the metadata. Every
 * architecture but VGG goes through an {@linkcode ExportGraph}, built by the
 * {@linkcode ExportGraphBuilder} its descriptor supplies (written with
 * `@slimming/export/graph`). Plain arrays in, bytes out; {@linkcode writeFolderAtomic} writes a
 * folder at once.
 *
 * @module
 */
export {
  EXPORT_FORMATS,
  exportFiles,
  type ExportFormat,
  type ExportOptions,
  type ExportSpec,
  ONNX_FILE,
  parseExportFormat,
  TFJS_MODEL_FILE,
} from "./export_model.ts";
export {
  type BatchNormArrays,
  BN_EPS,
  type ConvLayer,
  foldBatchNorm,
  foldBnIntoConv,
  foldConvBn,
  type InferenceModel,
  inferenceModelFromStateDict,
  oihwToHwio,
  transpose2d,
} from "./inference_model.ts";
export { type ExportMetadata, metadataEntries } from "./metadata.ts";
export {
  type AddNode,
  type ArchExport,
  type AvgPoolNode,
  type BatchNormNode,
  type BnSelectReluNames,
  type ConcatNode,
  type ConvNode,
  type ExportGraph,
  type ExportGraphBuilder,
  type ExportSpecFields,
  GRAPH_INPUT,
  GraphAssembler,
  type GraphNode,
  type LinearNode,
  nodeInputs,
  type ReluNode,
  requiredSpecField,
  type SelectNode,
  specChannels,
} from "./graph.ts";
export { foldGraphBatchNorm } from "./graph_fold.ts";
export { onnxGraphBytes } from "./onnx_graph.ts";
export { tfjsGraphArtifacts } from "./tfjs_graph.ts";
export { type StateDictArrays, stateDictArrays } from "./state_dict_arrays.ts";
export { decodeOnnxModel, ONNX_IR_VERSION, ONNX_OPSET, onnxModelBytes } from "./onnx_model.ts";
export {
  littleEndianBytes,
  TFJS_WEIGHTS_FILE,
  type TfjsArtifacts,
  tfjsLayersArtifacts,
} from "./tfjs_layers.ts";
export { checkOutputFolder, writeFolderAtomic } from "./write_dir.ts";
