/**
 * Ops that carry a state between calls: CausalConvWithState (opset 27) and the training optimizers
 * (ai.onnx.preview.training Adagrad, Adam, Momentum). Shapes follow from the inputs' shapes alone.
 */
import type { Dim } from "../ir/types";
import { dtypeOf, isNum, numeric, shapeOf } from "./dims";
import { ShapeError, type OpRule, type ValueState } from "./types";

/** Depthwise causal conv: input [N, C, L], weight [C, 1, K] → output [N, C, L], present_state [N, C, K−1]. */
const causalConvWithState: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const w = shapeOf(ctx, 1);
    if (x.length !== 3 || w.length !== 3)
      throw new ShapeError("CausalConvWithState needs 3-D input and weight");
    const k = w[2] ?? "?";
    const stateLen: Dim = isNum(k) ? k - 1 : `${k}-1`;
    const dtype = dtypeOf(ctx);
    const outs: ValueState[] = [
      { dtype, shape: x },
      { dtype, shape: [x[0] ?? "?", x[1] ?? "?", stateLen] },
    ];
    return outs.slice(0, ctx.node.outputs.length);
  },
  // One multiply per kernel tap, per output element (depthwise).
  macs(ctx) {
    const x = numeric(ctx.inputs[0]?.shape);
    const k = ctx.inputs[1]?.shape?.[2];
    if (!x || !isNum(k)) return null;
    return x.reduce((a, b) => a * b, 1) * k;
  },
  // K taps along the sequence, with a state from earlier calls: not "global", and no rule yet, so unknown.
  rf: () => undefined,
};

/**
 * Inputs R, T, then n tensors X, n gradients G and n of each state (V and/or H); outputs n new X,
 * then n of each new state. Every new value has its old value's shape.
 */
function optimizer(states: number): OpRule {
  return {
    infer(ctx) {
      const outs = ctx.node.outputs.length;
      const n = outs / (1 + states);
      if (!Number.isInteger(n)) throw new ShapeError(`${ctx.node.opType} needs ${1 + states}·n outputs`);
      // Output j < n is X_j (input 2 + j); a state output j ≥ n is input 2 + n + j (after the gradients).
      return ctx.node.outputs.map((_, j) => {
        const src = j < n ? 2 + j : 2 + n + j;
        return { dtype: dtypeOf(ctx, src), shape: shapeOf(ctx, src) };
      });
    },
    rf: "global",
  };
}

export const STATE_OPS: Readonly<Record<string, OpRule>> = {
  CausalConvWithState: causalConvWithState,
};

/** The ai.onnx.preview.training domain. */
export const TRAINING_OPS: Readonly<Record<string, OpRule>> = {
  Adagrad: optimizer(1),
  Adam: optimizer(2),
  Momentum: optimizer(1),
};
