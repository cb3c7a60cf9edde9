/**
 * torch.* / F.* functions and tensor methods as data: name → how the call
 * emits IR nodes. Methods receive the tensor as their first argument, so
 * `x.view(n, -1)` and `torch.flatten(x, 1)` share one table.
 */
import type { AttrValue, Dim } from "../../ir/types";
import type { Span } from "./ast";
import type { GraphBuilder } from "./graphBuilder";
import { ArgError, getFloat } from "./pyArgs";
import { MORE_TORCH_FUNCTIONS } from "./torchMoreOps";
import { NONE, int, iterate, num, tuple, unknown, type PyTensor, type PyValue } from "./values";

export interface OpCall {
  readonly b: GraphBuilder;
  readonly scope: string;
  readonly span: Span;
  readonly args: readonly PyValue[];
  readonly kwargs: ReadonlyMap<string, PyValue>;
}

type TorchOp = (c: OpCall) => PyValue;

function emit(
  c: OpCall,
  opType: string,
  inputs: string[],
  attrs: Record<string, AttrValue> = {},
  outputs = 1,
): PyTensor[] {
  return c.b.op(opType, inputs, attrs, { scope: c.scope, source: { call: c.span }, outputs });
}
const first = (ts: PyTensor[]): PyValue => ts[0] ?? unknown("no output");

/** Argument i (positional) or by keyword. */
function arg(c: OpCall, i: number, name: string): PyValue | undefined {
  return c.args[i] ?? c.kwargs.get(name);
}
function intArg(c: OpCall, i: number, name: string, dflt?: number): number | undefined {
  const v = arg(c, i, name);
  return v ? num(v) : dflt;
}
function tensorArg(c: OpCall, i: number, name = "input"): PyTensor | undefined {
  const v = arg(c, i, name);
  return v?.t === "tensor" ? v : undefined;
}

/** Varargs or one sequence: x.view(2, -1) and x.view((2, -1)). */
function dimsFrom(c: OpCall, from: number, name: string): (number | string)[] | undefined {
  const rest = c.args.slice(from);
  const seq =
    rest.length === 1 && (rest[0]?.t === "tuple" || rest[0]?.t === "list")
      ? iterate(rest[0])
      : rest.length
        ? rest
        : iterate(c.kwargs.get(name) ?? NONE);
  if (!seq) return undefined;
  const out: (number | string)[] = [];
  for (const v of seq) {
    if (v.t === "int") out.push(v.v);
    else if (v.t === "sym") out.push(v.v);
    else return undefined;
  }
  return out;
}

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

/** A number argument (positional i or by keyword), `dflt` when absent or None; not a constant: ArgError. */
function floatArg(c: OpCall, i: number, name: string, dflt: number): number {
  return getFloat(new Map(Object.entries({ [name]: arg(c, i, name) ?? NONE })), name, dflt);
}

const passThrough: TorchOp = (c) => c.args[0] ?? unknown("no tensor");

function reshape(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const dims = dimsFrom(c, 1, "shape");
  if (!x || !dims) return unknown("view/reshape with a shape that is not constant");
  // Symbolic sizes (x.size(0) of a symbolic batch) become 0 = "copy this dim" when in place.
  const shape = x.state.shape;
  const target = dims.map((d, i) => (typeof d === "string" ? (shape?.[i] === d ? 0 : NaN) : d));
  if (target.some(Number.isNaN)) return unknown("view/reshape with a symbolic size");
  return first(emit(c, "Reshape", [x.value, c.b.constInts(target)]));
}

function flatten(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  if (!x?.state.shape) return unknown("flatten of an unknown shape");
  const r = x.state.shape.length;
  const s0 = intArg(c, 1, "start_dim", 0) ?? 0,
    e0 = intArg(c, 2, "end_dim", -1) ?? -1;
  const s = s0 < 0 ? s0 + r : s0,
    e = e0 < 0 ? e0 + r : e0;
  if (s === 1 && e === r - 1) return first(emit(c, "Flatten", [x.value], { axis: 1 }));
  const target = [
    ...x.state.shape.slice(0, s).map(() => 0),
    -1,
    ...x.state.shape.slice(e + 1).map((d) => (typeof d === "number" ? d : 0)),
  ];
  return first(emit(c, "Reshape", [x.value, c.b.constInts(target)]));
}

function permute(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const perm = dimsFrom(c, 1, "dims");
  if (!x || !perm || !perm.every((p): p is number => typeof p === "number"))
    return unknown("permute with non-constant dims");
  const r = x.state.shape?.length ?? perm.length;
  return first(emit(c, "Transpose", [x.value], { perm: perm.map((p) => (p < 0 ? p + r : p)) }));
}

/** x.expand(n, -1, -1): -1 keeps that dim; new leading dims are added in front (Expand). */
function expandOp(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const dims = dimsFrom(c, 1, "size");
  const shape = x?.state.shape;
  if (!x || !dims || !shape) return unknown("expand to a shape that is not constant");
  const lead = dims.length - shape.length;
  if (lead < 0) return unknown("expand to fewer dims");
  const target = dims.map((d, i) => (d === -1 ? (i < lead ? NaN : (shape[i - lead] ?? NaN)) : d));
  if (target.some((d) => typeof d === "number" && Number.isNaN(d)))
    return unknown("expand with -1 for a new dim");
  return first(emit(c, "Expand", [x.value, c.b.constInts(target as (number | string)[])]));
}

/** x.repeat(a, b, …): Tile, with new leading dims as in PyTorch. */
function repeatOp(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const reps = dimsFrom(c, 1, "repeats");
  const shape = x?.state.shape;
  if (!x || !reps || !shape || !reps.every((r): r is number => typeof r === "number"))
    return unknown("repeat with counts that are not constant");
  const lead = reps.length - shape.length;
  if (lead < 0) return unknown("repeat with fewer counts than dims");
  const src =
    lead > 0
      ? (first(
          emit(c, "Reshape", [x.value, c.b.constInts([...new Array<number>(lead).fill(1), ...shape])]),
        ) as PyTensor)
      : x;
  return first(emit(c, "Tile", [src.value, c.b.constInts(reps)]));
}

function transpose(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const r = x?.state.shape?.length;
  const a = intArg(c, 1, "dim0"),
    b = intArg(c, 2, "dim1");
  if (!x || r === undefined || a === undefined || b === undefined)
    return unknown("transpose of an unknown shape");
  const perm = Array.from({ length: r }, (_, i) => i);
  const i = a < 0 ? a + r : a,
    j = b < 0 ? b + r : b;
  [perm[i], perm[j]] = [perm[j] ?? j, perm[i] ?? i];
  return first(emit(c, "Transpose", [x.value], { perm }));
}

function axesOp(opType: "Squeeze" | "Unsqueeze"): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const d = intArg(c, 1, "dim");
    if (!x) return unknown(`${opType} of a non-tensor`);
    if (d === undefined && opType === "Squeeze") return first(emit(c, "Squeeze", [x.value]));
    return first(emit(c, opType, [x.value, c.b.constInts([d ?? 0])]));
  };
}

function join(stack: boolean): TorchOp {
  return (c) => {
    const items = iterate(arg(c, 0, "tensors") ?? NONE);
    const dim = intArg(c, 1, "dim", 0) ?? 0;
    if (!items || !items.every((t): t is PyTensor => t.t === "tensor"))
      return unknown("cat/stack of non-tensors");
    const names = stack
      ? items.map((t) => (first(emit(c, "Unsqueeze", [t.value, c.b.constInts([dim])])) as PyTensor).value)
      : items.map((t) => t.value);
    return first(emit(c, "Concat", names, { axis: dim }));
  };
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

function pool(opType: "MaxPool" | "AveragePool", rank: number): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const tup = (v: PyValue | undefined, dflt: number[]): number[] | undefined => {
      if (!v || v.t === "none") return dflt;
      const n = num(v);
      if (n !== undefined) return new Array<number>(rank).fill(n);
      const xs = iterate(v)?.map(num);
      return xs && xs.every((q): q is number => q !== undefined) ? xs : undefined;
    };
    const k = tup(arg(c, 1, "kernel_size"), []);
    const s = tup(arg(c, 2, "stride"), k ?? []);
    const p = tup(arg(c, 3, "padding"), new Array<number>(rank).fill(0));
    const ceil = c.kwargs.get("ceil_mode");
    if (!x || !k || !s || !p || k.length !== rank) return unknown("pooling with non-constant arguments");
    return first(
      emit(c, opType, [x.value], {
        kernel_shape: k,
        strides: s,
        pads: [...p, ...p],
        ceil_mode: ceil?.t === "bool" && ceil.v ? 1 : 0,
      }),
    );
  };
}

function adaptive(kind: "Max" | "Avg"): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const o = arg(c, 1, "output_size");
    const shape = x?.state.shape;
    if (!x || !o || !shape) return unknown("adaptive pooling of an unknown shape");
    const rank = shape.length - 2;
    const sizes = (iterate(o) ?? new Array<PyValue>(rank).fill(o)).map((v, i) => num(v) ?? shape[i + 2]);
    if (sizes.every((s) => s === 1))
      return first(emit(c, kind === "Max" ? "GlobalMaxPool" : "GlobalAveragePool", [x.value]));
    const ins = shape.slice(2);
    if (
      !ins.every((d): d is number => typeof d === "number") ||
      !sizes.every((d): d is number => typeof d === "number")
    )
      return unknown("adaptive pooling of a symbolic size");
    const strides = ins.map((d, i) => Math.floor(d / (sizes[i] as number)));
    const kernel = ins.map((d, i) => d - ((sizes[i] as number) - 1) * (strides[i] as number));
    return first(
      emit(c, kind === "Max" ? "MaxPool" : "AveragePool", [x.value], {
        kernel_shape: kernel,
        strides,
        pads: new Array<number>(2 * rank).fill(0),
      }),
    );
  };
}

function interpolate(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const shape = x?.state.shape;
  if (!x || !shape) return unknown("interpolate of an unknown shape");
  const rank = shape.length - 2;
  const size = c.kwargs.get("size") ?? c.args[1];
  const sf = c.kwargs.get("scale_factor") ?? c.args[2];
  const mode = c.kwargs.get("mode");
  const attrs = { mode: mode?.t === "str" && mode.v !== "nearest" ? "linear" : "nearest" };
  if (size && size.t !== "none") {
    const dims = (iterate(size) ?? new Array<PyValue>(rank).fill(size)).map(num);
    if (!dims.every((d): d is number => d !== undefined))
      return unknown("interpolate to a non-constant size");
    return first(
      emit(
        c,
        "Resize",
        [
          x.value,
          "",
          "",
          c.b.constInts([...shape.slice(0, 2).map((d) => (typeof d === "number" ? d : 1)), ...dims]),
        ],
        attrs,
      ),
    );
  }
  const scales = sf ? (iterate(sf) ?? new Array<PyValue>(rank).fill(sf)).map(num) : [];
  if (scales.length !== rank || !scales.every((d): d is number => d !== undefined))
    return unknown("interpolate with a non-constant scale");
  return first(emit(c, "Resize", [x.value, "", c.b.constInts([1, 1, ...scales])], attrs));
}

function pad(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const p = iterate(arg(c, 1, "pad") ?? NONE)?.map(num);
  const r = x?.state.shape?.length;
  if (!x || !p || r === undefined || !p.every((v): v is number => v !== undefined))
    return unknown("pad with non-constant amounts");
  // torch pads the last dims first: (left, right, top, bottom, …).
  const begin = new Array<number>(r).fill(0),
    end = new Array<number>(r).fill(0);
  for (let k = 0; k < p.length / 2; k++) {
    begin[r - 1 - k] = p[2 * k] ?? 0;
    end[r - 1 - k] = p[2 * k + 1] ?? 0;
  }
  return first(emit(c, "Pad", [x.value, c.b.constInts([...begin, ...end])]));
}

function splitOp(chunk: boolean): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const dim = intArg(c, 2, "dim", 0) ?? 0;
    const shape = x?.state.shape;
    const r = shape?.length ?? 0;
    const axis = dim < 0 ? dim + r : dim;
    const total = shape?.[axis];
    const a = arg(c, 1, chunk ? "chunks" : "split_size_or_sections");
    if (!x || typeof total !== "number" || !a) return unknown("split of an unknown shape");
    let sizes: number[];
    const n = num(a);
    if (chunk && n !== undefined) {
      const each = Math.ceil(total / n);
      sizes = Array.from({ length: Math.ceil(total / each) }, (_, i) => Math.min(each, total - i * each));
    } else if (n !== undefined)
      sizes = Array.from({ length: Math.ceil(total / n) }, (_, i) => Math.min(n, total - i * n));
    else sizes = (iterate(a) ?? []).map((v) => num(v) ?? 0);
    return tuple(emit(c, "Split", [x.value, c.b.constInts(sizes)], { axis }, sizes.length));
  };
}

function sizeOf(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const shape = x?.state.shape;
  if (!shape) return unknown("size of a tensor whose shape is unknown");
  const toPy = (d: Dim): PyValue => (typeof d === "number" ? int(d) : { t: "sym", v: d });
  const d = intArg(c, 1, "dim");
  if (d === undefined) return tuple(shape.map(toPy));
  const v = shape[d < 0 ? d + shape.length : d];
  return v === undefined ? unknown(`dim ${d} out of range`) : toPy(v);
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
  float: passThrough,
  double: passThrough,
  half: passThrough,
  to: passThrough,
  type: passThrough,
  cuda: passThrough,
  cpu: passThrough,
  type_as: passThrough,
  masked_fill: passThrough,
  normalize: unary("LpNormalization"),
  flatten,
  view: reshape,
  reshape,
  permute,
  transpose,
  swapaxes: transpose,
  swapdims: transpose,
  expand: expandOp,
  expand_as: (c) => {
    const y = tensorArg(c, 1, "other");
    return y?.state.shape
      ? expandOp({
          ...c,
          args: [
            c.args[0] ?? NONE,
            tuple(y.state.shape.map((d) => (typeof d === "number" ? int(d) : { t: "sym", v: d }))),
          ],
        })
      : unknown("expand_as of an unknown shape");
  },
  repeat: repeatOp,
  t: (c) => permute({ ...c, args: [c.args[0] ?? NONE, int(1), int(0)] }),
  squeeze: axesOp("Squeeze"),
  unsqueeze: axesOp("Unsqueeze"),
  cat: join(false),
  concat: join(false),
  concatenate: join(false),
  stack: join(true),
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
  max_pool1d: pool("MaxPool", 1),
  max_pool2d: pool("MaxPool", 2),
  max_pool3d: pool("MaxPool", 3),
  avg_pool1d: pool("AveragePool", 1),
  avg_pool2d: pool("AveragePool", 2),
  avg_pool3d: pool("AveragePool", 3),
  adaptive_avg_pool1d: adaptive("Avg"),
  adaptive_avg_pool2d: adaptive("Avg"),
  adaptive_avg_pool3d: adaptive("Avg"),
  adaptive_max_pool1d: adaptive("Max"),
  adaptive_max_pool2d: adaptive("Max"),
  adaptive_max_pool3d: adaptive("Max"),
  interpolate,
  upsample: interpolate,
  pad,
  split: splitOp(false),
  chunk: splitOp(true),
  size: sizeOf,
  dim: (c) => {
    const r = tensorArg(c, 0)?.state.shape?.length;
    return r === undefined ? unknown("rank unknown") : int(r);
  },
  numel: (c) => {
    const s = tensorArg(c, 0)?.state.shape;
    return s && s.every((d): d is number => typeof d === "number")
      ? int(s.reduce((a, b) => a * b, 1))
      : unknown("numel of an unknown shape");
  },
};
