/**
 * Export of a VGG-BN checkpoint for deployment: a TensorFlow.js Layers model (model.json +
 * weight shard, loaded by stock `tf.loadLayersModel`) and an ONNX model (opset 13, encoded with
 * `onnx-proto`), BN folded into the convolutions or kept, the input normalisation in the
 * metadata. Plain arrays in, bytes out; {@linkcode writeFolderAtomic} writes a folder at once.
 *
 * @module
 */
export {
  EXPORT_FORMATS,
  exportFiles,
  type ExportFormat,
  type ExportOptions,
  ONNX_FILE,
  parseExportFormat,
  TFJS_MODEL_FILE,
} from "./export_model.ts";
export {
  type BatchNormArrays,
  BN_EPS,
  type ConvLayer,
  foldBatchNorm,
  foldConvBn,
  type InferenceModel,
  inferenceModelFromStateDict,
  oihwToHwio,
  transpose2d,
} from "./inference_model.ts";
export { type ExportMetadata, metadataEntries } from "./metadata.ts";
export { decodeOnnxModel, ONNX_IR_VERSION, ONNX_OPSET, onnxModelBytes } from "./onnx_model.ts";
export {
  littleEndianBytes,
  TFJS_WEIGHTS_FILE,
  type TfjsArtifacts,
  tfjsLayersArtifacts,
} from "./tfjs_layers.ts";
export { checkOutputFolder, writeFolderAtomic } from "./write_dir.ts";
