/**
 * The tfjs-free half of tensor-utils: typed user errors, seeded randomness, atomic files and
 * safetensors bytes, run-folder locks and the
 * help format. Importing it loads no tfjs and changes no global state, so the dataset
 * package and the report use it without pulling in a tensor backend.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./files.ts";
export * from "./safetensors.ts";
export * from "./dir_lock.ts";
export * from "./out_dir.ts";
export * from "./cli_help.ts";
