/**
 * Quantized ops analysed as the float ops they quantize: QLinearConv / ConvInteger are Conv,
 * QLinearMatMul / MatMulInteger are MatMul (same shapes, MACs and receptive fields), with the
 * integer dtype of their output. QuantizeLinear / DequantizeLinear change only the dtype.
 */
import { dtypeFromOnnx } from "../ir/dtype";
import type { DType } from "../ir/types";
import { attrInt, dtypeOf, shapeOf } from "./dims";
import { LINALG_OPS } from "./linalgOps";
import type { OpContext, OpRule, QuantSlot, RfContext, ValueState } from "./types";
import { WINDOW_OPS } from "./windowOps";

/** The op's inputs at these positions, as the float op would see them. */
function remap(ctx: OpContext, positions: readonly number[]): OpContext {
  const node = { ...ctx.node, inputs: positions.map((i) => ctx.node.inputs[i] ?? "") };
  return { ...ctx, node, inputs: positions.map((i) => ctx.inputs[i]) };
}

function remapRf(ctx: RfContext, positions: readonly number[]): RfContext {
  return { ...ctx, ...remap(ctx, positions), fields: positions.map((i) => ctx.fields[i]) };
}

/** A float rule applied to some of the inputs; the output dtype from `dtype`. */
export function asFloatOp(
  base: OpRule,
  positions: readonly number[],
  dtype: (ctx: OpContext) => DType,
): OpRule {
  const rf = base.rf;
  return {
    infer: (ctx) => base.infer(remap(ctx, positions)).map((o) => ({ ...o, dtype: dtype(ctx) })),
    ...(base.macs ? { macs: (ctx, outs) => base.macs?.(remap(ctx, positions), outs) ?? 0 } : {}),
    rf: typeof rf === "function" ? (ctx) => rf(remapRf(ctx, positions)) : rf,
    ...(base.weightInputs
      ? { weightInputs: base.weightInputs.map((i) => positions[i]).filter((i) => i !== undefined) }
      : {}),
  };
}

/** The dtype of a zero-point input, uint8 when it is omitted (the spec's default). */
const zeroPointDtype =
  (i: number) =>
  (ctx: OpContext): DType =>
    (ctx.node.inputs[i] ?? "") !== "" ? dtypeOf(ctx, i) : "uint8";

const conv = WINDOW_OPS["Conv"] as OpRule;
const matmul = LINALG_OPS["MatMul"] as OpRule;

const quantize: OpRule = {
  quantSlots: [{ role: "output", value: "output", scale: 1, zeroPoint: 2 }],
  // A float weight quantized in the graph (fake-quant exports) is the parameter, stored as float.
  weightInputs: [0],
  infer(ctx) {
    // opset 21: output_dtype, else the zero point's type, else uint8.
    const to = attrInt(ctx.node, "output_dtype", 0);
    const dtype = to ? dtypeFromOnnx(to) : zeroPointDtype(2)(ctx);
    return [{ dtype, shape: shapeOf(ctx, 0) }];
  },
  rf: "elementwise",
};

const dequantize: OpRule = {
  quantSlots: [{ role: "input", value: 0, scale: 1, zeroPoint: 2 }],
  // A quantized weight (or bias) is dequantized from an initializer; its scale and zero point are not
  // parameters.
  weightInputs: [0],
  infer(ctx) {
    const to = attrInt(ctx.node, "output_dtype", 0);
    return [{ dtype: to ? dtypeFromOnnx(to) : dtypeOf(ctx, 1), shape: shapeOf(ctx, 0) }];
  },
  rf: "elementwise",
};

const dynamicQuantize: OpRule = {
  weightInputs: [],
  infer(ctx): ValueState[] {
    return [
      { dtype: "uint8", shape: shapeOf(ctx, 0) },
      { dtype: "float32", shape: [] },
      { dtype: "uint8", shape: [] },
    ];
  },
  rf: "elementwise",
};

/** QLinear* operands: (value, scale, zero point) triples, then the output's scale / zero point after. */
function qlinearSlots(roles: readonly ("input" | "weight")[]): QuantSlot[] {
  return [
    ...roles.map((role, k): QuantSlot => ({ role, value: 3 * k, scale: 3 * k + 1, zeroPoint: 3 * k + 2 })),
    { role: "output", value: "output", scale: 3 * roles.length, zeroPoint: 3 * roles.length + 1 },
  ];
}

/** *Integer operands: two values at 0 and 1, their zero points at 2 and 3 (no scales). */
function integerOp(
  base: OpRule,
  weightInputs: readonly number[],
  roles: readonly ("input" | "weight")[],
): OpRule {
  return {
    ...asFloatOp(base, [0, 1], () => "int32"),
    weightInputs,
    quantSlots: roles.map((role, k) => ({ role, value: k, zeroPoint: 2 + k })),
  };
}

export const QUANT_OPS: Readonly<Record<string, OpRule>> = {
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
  QLinearConv: {
    ...asFloatOp(conv, [0, 3, 8], zeroPointDtype(7)),
    quantSlots: qlinearSlots(["input", "weight"]),
  },
  // x, w, x_zero_point, w_zero_point
  ConvInteger: integerOp(conv, [1], ["input", "weight"]),
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
  QLinearMatMul: {
    ...asFloatOp(matmul, [0, 3], zeroPointDtype(7)),
    weightInputs: [0, 3],
    quantSlots: qlinearSlots(["input", "input"]),
  },
  MatMulInteger: integerOp(matmul, [0, 1], ["input", "input"]),
};
