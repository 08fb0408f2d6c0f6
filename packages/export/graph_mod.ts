/**
 * What an architecture needs to build its export graph (export path `@slimming/export/graph`):
 * the {@linkcode GraphAssembler}, the node types, the state_dict readers and the
 * {@linkcode ExportGraphBuilder} type its descriptor's `exportGraph` has. Plain arrays, no
 * tfjs: an architecture package's export graph module imports this, and the export package
 * calls the builder its descriptor supplies, so the export package names no architecture
 * exported as a graph.
 *
 * @module
 */
export {
  type AddNode,
  type ArchExport,
  type AvgPoolNode,
  type BatchNormNode,
  BN_EPS,
  type BnSelectReluNames,
  type ConcatNode,
  type ConvNode,
  type ExportGraph,
  type ExportGraphBuilder,
  type ExportSpec,
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
export { type StateDictArrays, stateDictArrays } from "./state_dict_arrays.ts";
export type { BatchNormArrays } from "./inference_model.ts";
