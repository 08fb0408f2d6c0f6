/**
 * The optimizer's kernel: one SGD update (momentum, weight decay, the L1 subgradient) for
 * every tensor of a model in one launch.
 *
 * @module
 */
import { FUSED } from "@slimming/tensor-utils";
import {
  type Attrs,
  cpu,
  type KernelFamily,
  makeTensor,
  type TensorInfo,
  valuesOf,
} from "./backend_util.ts";

/** The fused SGD kernel. */
export const sgdKernel: KernelFamily = (lib) => ({
  [FUSED.sgd]: ({ inputs, backend, attrs }) => {
    const named = inputs as Record<string, TensorInfo>;
    const b = cpu(backend);
    const a = attrs as Attrs;
    const count = a.count as number;
    const l1 = a.l1 as number[];
    const params: TensorInfo[] = [], buffers: TensorInfo[] = [];
    for (let i = 0; i < count; i++) {
      const param = named[`param${i}`];
      const out = lib.sgd(
        valuesOf(b, param),
        valuesOf(b, named[`grad${i}`]),
        a.first ? null : valuesOf(b, named[`buffer${i}`]),
        {
          lr: a.lr as number,
          momentum: a.momentum as number,
          weightDecay: a.weightDecay as number,
          l1: l1[i],
          nesterov: a.nesterov === true,
        },
      );
      params.push(makeTensor(b, [...param.shape], out.param));
      buffers.push(makeTensor(b, [...param.shape], out.buffer));
    }
    return [...params, ...buffers];
  },
});
