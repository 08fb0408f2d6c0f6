/**
 * The C functions the native library exports, with their FFI signatures (see `src/*.c`).
 *
 * @module
 */

/** The twelve integers of a conv geometry (n, h, w, cin, kh, kw, cout, stride, pads, ho, wo). */
const GEOMETRY = Array(12).fill("i32") as "i32"[];

/** FFI signatures of the exported kernels, for `Deno.dlopen`. */
export const NATIVE_SYMBOLS = {
  slim_conv_bn_relu: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_conv_affine_relu: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_conv3x3: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_conv3x3_grad_input: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_conv3x3_grad_filter: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_bn_relu_grad: {
    parameters: [
      "buffer",
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_bn_relu: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "f32", "buffer", "buffer", "buffer"],
    result: "void",
  },
  slim_affine_relu: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer"],
    result: "void",
  },
  slim_bn: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "f32", "buffer", "buffer", "buffer"],
    result: "void",
  },
  slim_bn_grad: {
    parameters: [
      "buffer",
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_add_relu: { parameters: ["buffer", "buffer", "i32", "buffer"], result: "void" },
  slim_relu_grad: { parameters: ["buffer", "buffer", "i32", "buffer"], result: "void" },
  slim_conv1x1: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_conv1x1_grad_input: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_conv1x1_grad_filter: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_bn_relu_conv1x1: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "f32",
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  slim_conv1x1_grad_filter_bn_relu: {
    parameters: [
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  slim_conv_im2col: { parameters: ["buffer", "buffer", ...GEOMETRY, "buffer"], result: "void" },
  slim_conv_im2col_grad_input: {
    parameters: ["buffer", "buffer", ...GEOMETRY, "buffer"],
    result: "void",
  },
  slim_conv_im2col_grad_filter: {
    parameters: ["buffer", "buffer", ...GEOMETRY, "buffer"],
    result: "void",
  },
  slim_add: { parameters: ["buffer", "buffer", "i32", "buffer"], result: "void" },
  slim_gather_channels: {
    parameters: ["buffer", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_scatter_channels: {
    parameters: ["buffer", "i32", "i32", "buffer", "i32", "buffer"],
    result: "void",
  },
  slim_copy_columns: {
    parameters: ["buffer", "i32", "i32", "i32", "buffer", "i32", "i32", "i32"],
    result: "void",
  },
  slim_maxpool2: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "void" },
  slim_maxpool2_grad: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_avgpool2: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "void" },
  slim_avgpool2_grad: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_matmul: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  slim_sgd: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "f32",
      "f32",
      "f32",
      "f32",
      "i32",
      "i32",
    ],
    result: "void",
  },
  slim_set_threads: { parameters: ["i32"], result: "i32" },
  slim_vector_width: { parameters: [], result: "i32" },
  slim_threading: { parameters: [], result: "i32" },
} as const;
