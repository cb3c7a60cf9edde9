/**
 * Elementwise ops: activations, normalisations, arithmetic with broadcasting (constant-folded when small).
 */
import { dtypeFromOnnx, isFloat } from "../ir/dtype";
import type { DType, Shape } from "../ir/types";
import { attrInt, axisOf, broadcast, countOf, dtypeOf, shapeOf } from "./dims";
import type { ConstValues, LoweringBuilder, OpContext, OpRule, ValueState } from "./types";

/** Same shape and dtype as the first input; extra outputs (Dropout mask, LayerNorm stats) shaped to fit. */
function sameAsInput(outDtype?: DType): OpRule["infer"] {
  return (ctx) => {
    const x = ctx.inputs[0];
    const fold = UNARY_FOLDS[ctx.node.opType];
    const value = x?.value && fold && x.value.every((v) => typeof v === "number") ? x.value : undefined;
    const to = ctx.node.opType === "Bernoulli" ? attrInt(ctx.node, "dtype", 0) : 0;
    const first: ValueState = {
      dtype: outDtype ?? (to ? dtypeFromOnnx(to) : dtypeOf(ctx)),
      shape: shapeOf(ctx, 0),
      ...(value && fold ? { value: value.map((v) => fold(v as number)) } : {}),
    };
    return ctx.node.outputs.map((_, i) => (i === 0 ? first : secondaryOutput(ctx, first)));
  };
}

/**
 * Dropout's mask, LayerNormalization's Mean / InvStdDev, BatchNormalization's running (or saved) statistics.
 */
function secondaryOutput(ctx: OpContext, first: ValueState): ValueState {
  const x = first.shape ?? [];
  switch (ctx.node.opType) {
    case "Dropout":
      return { dtype: "bool", shape: x };
    case "LayerNormalization": {
      const axis = axisOf(attrInt(ctx.node, "axis", -1), x.length);
      return { dtype: "float32", shape: x.map((d, i) => (i < axis ? d : 1)) };
    }
    case "BatchNormalization":
      // Per channel, like the running mean input (input 4 of 5).
      return { dtype: first.dtype, shape: ctx.inputs[3]?.shape ?? [x[1] ?? "?"] };
    default:
      return { dtype: first.dtype, shape: undefined };
  }
}

/**
 * Unary ops whose constant values are folded (shape arithmetic); any other op's output value is
 * unknown, never its input's passed through.
 */
const UNARY_FOLDS: Readonly<Record<string, (v: number) => number>> = {
  Identity: (v) => v,
  Dropout: (v) => v,
  Neg: (v) => -v,
  Abs: Math.abs,
  Relu: (v) => Math.max(0, v),
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Reciprocal: (v) => 1 / v,
  Sign: Math.sign,
  Exp: Math.exp,
  Log: Math.log,
  Not: (v) => Number(v === 0),
};

const unary: OpRule = { infer: sameAsInput(), rf: "elementwise" };

type Fold = (a: number, b: number) => number;
const FOLDS: Readonly<Record<string, Fold>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  // Integer tensors (float ones: broadcasting() divides exactly).
  Div: (a, b) => Math.trunc(a / b),
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  // Booleans arrive as 0 / 1 (bool initializers, folded comparisons); any non-zero is true.
  And: (a, b) => Number(a !== 0 && b !== 0),
  Or: (a, b) => Number(a !== 0 || b !== 0),
  Xor: (a, b) => Number((a !== 0) !== (b !== 0)),
  Max: Math.max,
  Min: Math.min,
  Pow: (a, b) => a ** b,
  // fmod = 0 (the default): the remainder takes the divisor's sign, as Python's %; fmod = 1 is not folded.
  Mod: (a, b) => ((a % b) + b) % b,
};
const BOOL_OUT = new Set([
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
]);

/** Index into a broadcast input for output element `i` (row-major). */
function broadcastIndex(i: number, out: readonly number[], shape: readonly number[]): number {
  let idx = 0,
    mul = 1,
    rem = i;
  for (let a = out.length - 1; a >= 0; a--) {
    const od = out[a] ?? 1;
    const coord = rem % od;
    rem = Math.floor(rem / od);
    const k = a - (out.length - shape.length);
    if (k >= 0) {
      const d = shape[k] ?? 1;
      idx += (d === 1 ? 0 : coord) * mul;
      mul *= d;
    }
  }
  return idx;
}

function foldBroadcast(
  shapes: readonly Shape[],
  values: readonly ConstValues[],
  out: Shape,
  f: (xs: number[]) => number,
): ConstValues | undefined {
  const n = countOf(out);
  if (n === undefined || n > 4096) return undefined;
  const res: number[] = [];
  for (let i = 0; i < n; i++) {
    const xs: number[] = [];
    for (let k = 0; k < values.length; k++) {
      const v = values[k]?.[broadcastIndex(i, out as number[], shapes[k] as number[])];
      if (typeof v !== "number") return undefined;
      xs.push(v);
    }
    res.push(f(xs));
  }
  return res;
}

/** Broadcasting n-ary op (Add, Mul, Where, Sum, …), folding small constants. */
function broadcasting(fold?: (xs: number[]) => number): OpRule {
  return {
    rf: "elementwise",
    infer(ctx: OpContext) {
      const present = ctx.inputs.filter((_, i) => ctx.node.inputs[i] !== "");
      const shapes = present.map((_, i) => shapeOf(ctx, i));
      const shape = broadcast(shapes);
      const op = ctx.node.opType;
      const dtype: DType = BOOL_OUT.has(op) ? "bool" : op === "Where" ? dtypeOf(ctx, 1) : dtypeOf(ctx);
      const values = present.map((v) => v?.value);
      const cFmod = op === "Mod" && attrInt(ctx.node, "fmod", 0) === 1;
      // Integer division truncates; a float one keeps the fraction (3.0 / 2.0 = 1.5, not 1).
      const f = op === "Div" && isFloat(dtype) ? (xs: number[]) => (xs[0] ?? 0) / (xs[1] ?? 1) : fold;
      const folded =
        f && !cFmod && values.every((v): v is ConstValues => v !== undefined)
          ? foldBroadcast(shapes, values, shape, f)
          : undefined;
      return [{ dtype, shape, ...(folded ? { value: folded } : {}) }];
    },
  };
}

function binary(op: string): OpRule {
  const f = FOLDS[op];
  return broadcasting(f ? (xs) => f(xs[0] ?? 0, xs[1] ?? 0) : undefined);
}

/** Softmax over one axis: a spatial axis makes every output depend on the whole axis. */
const softmax: OpRule = {
  infer: sameAsInput(),
  rf: (ctx) => {
    const f = ctx.fields[0];
    if (!f || f.kind === "global") return f;
    const rank = f.axes.length;
    const dflt = ctx.opset >= 13 ? -1 : 1;
    const axis = axisOf(attrInt(ctx.node, "axis", dflt), rank);
    // Before opset 13 Softmax flattened every axis from `axis` on.
    const touched = ctx.opset >= 13 ? [axis] : f.axes.map((_, i) => i).filter((i) => i >= axis);
    return touched.some((i) => f.axes[i]) ? { kind: "global" } : f;
  },
};

const ACTIVATIONS = [
  "Relu",
  "LeakyRelu",
  "PRelu",
  "Elu",
  "Selu",
  "Celu",
  "Sigmoid",
  "HardSigmoid",
  "HardSwish",
  "Tanh",
  "Softplus",
  "Softsign",
  "Clip",
  "Erf",
  "Gelu",
  "Mish",
  "ThresholdedRelu",
  "Exp",
  "Log",
  "Abs",
  "Neg",
  "Sqrt",
  "Reciprocal",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "Sin",
  "Cos",
  "Tan",
  "Atan",
  "Asin",
  "Acos",
  "Sinh",
  "Cosh",
  "Identity",
  "Dropout",
  "BatchNormalization",
  "InstanceNormalization",
  "LayerNormalization",
  "GroupNormalization",
  "LpNormalization",
  "MeanVarianceNormalization",
  "LRN",
  "Shrink",
  "IsInf",
  "IsNaN",
  "Not",
  "Bernoulli",
  "Swish",
  "Acosh",
  "Asinh",
  "Atanh",
  "BitwiseNot",
  "RMSNormalization",
  "RotaryEmbedding",
  "Trilu",
  // Not ONNX ops, but the source readers name PyTorch activations this way.
  "Silu",
  "Hardtanh",
  "LogSigmoid",
  "Tanhshrink",
];

/**
 * Activations the source readers name after their frameworks (Silu, Mish, Gelu, Hardtanh …) that
 * onnxruntime's opset 17 does not have, as compositions of standard ops for running. Analysis keeps
 * the original names (they are what the user wrote).
 */
const LOWERED: Readonly<Record<string, (x: string, b: LoweringBuilder) => string>> = {
  Silu: (x, { emit: e }) => e("Mul", [x, e("Sigmoid", [x])]),
  Mish: (x, { emit: e }) => e("Mul", [x, e("Tanh", [e("Softplus", [x])])]),
  Gelu: (x, { emit: e, scalar: c }) =>
    e("Mul", [e("Mul", [x, c(0.5)]), e("Add", [c(1), e("Erf", [e("Div", [x, c(Math.SQRT2)])])])]),
  Hardtanh: (x, { emit: e, scalar: c }) => e("Clip", [x, c(-1), c(1)]),
  LogSigmoid: (x, { emit: e }) => e("Log", [e("Sigmoid", [x])]),
  Tanhshrink: (x, { emit: e }) => e("Sub", [x, e("Tanh", [x])]),
};

const activation = (op: string): OpRule => {
  const lower = LOWERED[op];
  return lower ? { ...unary, lower: (node, b) => lower(node.inputs[0] ?? "", b) } : unary;
};

export const ELEMENTWISE_OPS: Readonly<Record<string, OpRule>> = {
  ...Object.fromEntries(ACTIVATIONS.map((op) => [op, activation(op)])),
  IsInf: { infer: sameAsInput("bool"), rf: "elementwise" },
  IsNaN: { infer: sameAsInput("bool"), rf: "elementwise" },
  Not: { infer: sameAsInput("bool"), rf: "elementwise" },
  Softmax: softmax,
  LogSoftmax: softmax,
  Hardmax: softmax,
  ...Object.fromEntries(
    [
      "Add",
      "Sub",
      "Mul",
      "Div",
      "Pow",
      "Mod",
      "Equal",
      "Less",
      "Greater",
      "LessOrEqual",
      "GreaterOrEqual",
      "And",
      "Or",
      "Xor",
      "BitShift",
      "BitwiseAnd",
      "BitwiseOr",
      "BitwiseXor",
    ].map((op) => [op, binary(op)]),
  ),
  // SwiGLU (opset 28): a·sigmoid(alpha·a)·b, broadcasting a and b.
  SwiGLU: broadcasting(),
  Max: broadcasting((xs) => Math.max(...xs)),
  Min: broadcasting((xs) => Math.min(...xs)),
  Sum: broadcasting((xs) => xs.reduce((a, b) => a + b, 0)),
  Mean: broadcasting((xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
  Where: broadcasting((xs) => ((xs[0] ?? 0) ? (xs[1] ?? 0) : (xs[2] ?? 0))),
};
