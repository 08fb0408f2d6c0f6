/**
 * Test helpers of the report (export path `@slimming/report/testing`), for the report's own
 * tests and the end-to-end tests in `tests/`: a synthetic lab folder built by the real
 * run-format, vgg and slimming code, poppler wrappers that read a rendered PDF, and queries
 * on the SVG figures. Like the report, it loads no tfjs.
 *
 * @module
 */
export {
  FIXTURE_IMAGES_PER_SECOND,
  FIXTURE_RECIPE,
  fixturePruneAccuracy,
  QUARTER_VGG19,
  type SyntheticLab,
  type SyntheticLabOptions,
  writeSyntheticLab,
} from "./testing/synthetic_lab.ts";
export {
  type CommandResult,
  compact,
  hasPoppler,
  overlappingWords,
  pdfInfo,
  pdfText,
  pdfWords,
  run,
  type WordBox,
} from "./testing/poppler.ts";
export { markElements, markGroups, parseSvg, type SvgQueryNode } from "./testing/svg_query.ts";
