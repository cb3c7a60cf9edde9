/**
 * torch.* / F.* functions and tensor methods as data: name → how the call
 * emits IR nodes. Methods receive the tensor as their first argument, so
 * `x.view(n, -1)` and `torch.flatten(x, 1)` share one table. TORCH_FUNCTIONS
 * gathers every family's table; this file holds the element-wise ops,
 * reductions and pass-throughs.
 */
import type { AttrValue, DType } from "../../ir/types";
import { onnxCodeOf } from "../../ir/dtype";
import { ArgError } from "./pyArgs";
import { tensorDtype } from "./tensorFactories";
import { MORE_TORCH_FUNCTIONS } from "./torchMoreOps";
import { SHAPE_FUNCTIONS } from "./torchShapeOps";
import { SPATIAL_FUNCTIONS } from "./torchSpatialOps";
import { arg, emit, first, floatArg, intArg, tensorArg, type OpCall, type TorchOp } from "./torchOpKit";
import { iterate, num, tuple, unknown } from "./values";

function unary(opType: string, attrs: (c: OpCall) => Record<string, AttrValue> = () => ({})): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    if (!x) return unknown(`${opType} of a non-tensor`);
    try {
      return first(emit(c, opType, [x.value], attrs(c)));
    } catch (err) {
      if (err instanceof ArgError) return unknown(`${opType}: ${err.message}`);
      throw err;
    }
  };
}

const passThrough: TorchOp = (c) => c.args[0] ?? unknown("no tensor");

/**
 * `x.float()`, `x.long()`, `x.to(torch.float16)`: the tensor itself when it has that dtype already (or the
 * call names none: `x.to(device)`), else a Cast to it.
 */
function castTo(target: (c: OpCall) => DType | undefined): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const dtype = target(c);
    if (!x || dtype === undefined || x.state.dtype === dtype) return passThrough(c);
    return first(emit(c, "Cast", [x.value], { to: onnxCodeOf(dtype) }));
  };
}

/** The dtype `x.to(…)` names: `dtype=`, a dtype argument (after a device or not), or a tensor's. */
function toTarget(c: OpCall): DType | undefined {
  for (const v of [c.kwargs.get("dtype"), c.args[1], c.args[2]]) {
    const d = v?.t === "tensor" ? v.state.dtype : tensorDtype(v);
    if (d !== undefined) return d;
  }
  return undefined;
}

function reduce(opType: string): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    if (!x) return unknown(`${opType} of a non-tensor`);
    const d = arg(c, 1, "dim");
    const keep = arg(c, 2, "keepdim");
    const keepdims = keep?.t === "bool" && keep.v ? 1 : 0;
    const axes = d ? (iterate(d) ?? [d]).map(num) : undefined;
    if (axes?.some((a) => a === undefined)) return unknown(`${opType} over a non-constant dim`);
    const inputs = axes ? [x.value, c.b.constInts(axes as number[])] : [x.value];
    const out = first(emit(c, opType, inputs, { keepdims: axes ? keepdims : 0 }));
    // torch.max(x, dim) returns (values, indices).
    return opType === "ReduceMax" && axes && c.args.length >= 2 ? tuple([out, out]) : out;
  };
}

function binary(opType: string): TorchOp {
  return (c) => {
    const names = [arg(c, 0, "input"), arg(c, 1, "other")].map((v) =>
      v?.t === "tensor" ? v.value : v && num(v) !== undefined ? c.b.constScalar(num(v) as number) : undefined,
    );
    if (names.some((n) => n === undefined)) return unknown(`${opType} of unsupported operands`);
    return first(emit(c, opType, names as string[]));
  };
}

export const TORCH_FUNCTIONS: Readonly<Record<string, TorchOp>> = {
  ...MORE_TORCH_FUNCTIONS,
  relu: unary("Relu"),
  relu6: unary("Clip"),
  leaky_relu: unary("LeakyRelu", (c) => ({ alpha: floatArg(c, 1, "negative_slope", 0.01) })),
  elu: unary("Elu", (c) => ({ alpha: floatArg(c, 1, "alpha", 1) })),
  selu: unary("Selu"),
  gelu: unary("Gelu"),
  silu: unary("Silu"),
  mish: unary("Mish"),
  sigmoid: unary("Sigmoid"),
  tanh: unary("Tanh"),
  hardswish: unary("HardSwish"),
  hardsigmoid: unary("HardSigmoid"),
  hardtanh: unary("Hardtanh"),
  softplus: unary("Softplus"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  abs: unary("Abs"),
  neg: unary("Neg"),
  softmax: unary("Softmax", (c) => ({ axis: intArg(c, 1, "dim", -1) ?? -1 })),
  log_softmax: unary("LogSoftmax", (c) => ({ axis: intArg(c, 1, "dim", -1) ?? -1 })),
  dropout: passThrough,
  dropout2d: passThrough,
  contiguous: passThrough,
  clone: passThrough,
  detach: passThrough,
  float: castTo(() => "float32"),
  double: castTo(() => "float64"),
  half: castTo(() => "float16"),
  long: castTo(() => "int64"),
  int: castTo(() => "int32"),
  to: castTo(toTarget),
  type: passThrough,
  cuda: passThrough,
  cpu: passThrough,
  type_as: passThrough,
  masked_fill: passThrough,
  normalize: unary("LpNormalization"),
  ...SHAPE_FUNCTIONS,
  mean: reduce("ReduceMean"),
  sum: reduce("ReduceSum"),
  amax: reduce("ReduceMax"),
  max: reduce("ReduceMax"),
  min: reduce("ReduceMin"),
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  matmul: binary("MatMul"),
  mm: binary("MatMul"),
  bmm: binary("MatMul"),
  ...SPATIAL_FUNCTIONS,
};
