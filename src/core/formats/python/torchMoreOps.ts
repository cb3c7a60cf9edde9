/**
 * More torch.* / F.* functions and tensor methods, as torchvision's transformers use them:
 * F.linear and F.layer_norm with explicit weights, torch.roll, torch.meshgrid, torch.diff,
 * clamp, rounding, x.new_zeros. Same calling convention as torchOps.ts (torchOpKit.ts).
 */
import type { AttrValue } from "../../ir/types";
import { arg, present, tensorArg, type OpCall, type TorchOp } from "./torchOpKit";
import { tensorDtype } from "./tensorFactories";
import { LAYER_FUNCTIONS } from "./torchLayerOps";
import { NONE, describe, iterate, num, tuple, unknown, type PyTensor, type PyValue } from "./values";

function emit(c: OpCall, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): PyTensor {
  return c.b.op(opType, inputs, attrs, { scope: c.scope, source: { call: c.span } })[0] as PyTensor;
}

/** F.linear(x, weight, bias): x @ weightᵀ (+ bias); the weight's shape gives the sizes. */
function linear(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input"),
    w = tensorArg(c, 1, "weight");
  const bias = arg(c, 2, "bias");
  if (!x || !w || w.state.shape?.length !== 2)
    return unknown("F.linear with a weight that is not a 2-D tensor");
  const wt = emit(c, "Transpose", [w.value], { perm: [1, 0] });
  const y = emit(c, "MatMul", [x.value, wt.value]);
  if (!present(bias)) return y;
  return bias.t === "tensor"
    ? emit(c, "Add", [y.value, bias.value])
    : unknown("F.linear with a bias that is not a tensor");
}

/** F.layer_norm(x, normalized_shape, weight, bias, eps). */
function layerNorm(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input");
  const ns = arg(c, 1, "normalized_shape");
  const dims = ns ? (iterate(ns) ?? [ns]).map(num) : [];
  const w = arg(c, 2, "weight"),
    b = arg(c, 3, "bias");
  const input = arg(c, 0, "input");
  // An unknown input keeps its own reason (the root cause).
  if (!x) return input?.t === "unknown" ? input : unknown("layer_norm of a non-tensor");
  if (dims.length === 0 || dims.some((d) => d === undefined))
    return unknown(
      `layer_norm with a normalized_shape that is not constant (${ns ? describe(ns) : "missing"})`,
    );
  const inputs = [x.value];
  if (present(w)) {
    if (w.t !== "tensor") return unknown("layer_norm with a weight that is not a tensor");
    inputs.push(w.value);
    if (present(b)) {
      if (b.t !== "tensor") return unknown("layer_norm with a bias that is not a tensor");
      inputs.push(b.value);
    }
  } else if (present(b)) return unknown("layer_norm with a bias but no weight");
  return emit(c, "LayerNormalization", inputs, { axis: -dims.length });
}

/** torch.roll: same shape; each output depends on the whole rolled axis. */
function roll(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input");
  return x ? emit(c, "Roll", [x.value]) : unknown("roll of a non-tensor");
}

/** torch.meshgrid(a, b, indexing="ij"|"xy"): each 1-D input reshaped onto its axis and expanded. */
function meshgrid(c: OpCall): PyValue {
  const items =
    c.args.length === 1 && (c.args[0]?.t === "list" || c.args[0]?.t === "tuple")
      ? iterate(c.args[0])
      : c.args;
  const indexing = c.kwargs.get("indexing");
  const xy = indexing?.t === "str" && indexing.v === "xy";
  if (
    !items ||
    !items.every(
      (t): t is PyTensor =>
        t.t === "tensor" && t.state.shape?.length === 1 && typeof t.state.shape[0] === "number",
    )
  )
    return unknown("meshgrid of tensors that are not 1-D of known size");
  const sizes = items.map((t) => t.state.shape?.[0] as number);
  const n = sizes.length;
  const out = [...sizes];
  if (xy && n >= 2) [out[0], out[1]] = [sizes[1] as number, sizes[0] as number];
  return tuple(
    items.map((t, i) => {
      const axis = xy && n >= 2 && i < 2 ? 1 - i : i;
      const view = out.map((d, k) => (k === axis ? d : 1));
      const r = emit(c, "Reshape", [t.value, c.b.constInts(view)]);
      return emit(c, "Expand", [r.value, c.b.constInts(out)]);
    }),
  );
}

/** torch.diff(x) along the last dim (n=1): x[..., 1:] - x[..., :-1]. */
function diff(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input");
  const n = arg(c, 1, "n"),
    dim = num(arg(c, 2, "dim") ?? { t: "int", v: -1 });
  if (!x || (n && num(n) !== 1) || dim === undefined || c.kwargs.has("prepend") || c.kwargs.has("append"))
    return unknown("diff with arguments that are not followed");
  const sl = (s: number, e: number) =>
    emit(c, "Slice", [
      x.value,
      c.b.constInts([s]),
      c.b.constInts([e]),
      c.b.constInts([dim]),
      c.b.constInts([1]),
    ]);
  return emit(c, "Sub", [sl(1, 2 ** 31 - 1).value, sl(0, -1).value]);
}

function unary(opType: string): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0, "input");
    return x ? emit(c, opType, [x.value]) : unknown(`${opType} of a non-tensor`);
  };
}

/** x.new_zeros(size) / new_ones / new_empty / new_full: a constant of that size. */
function newTensor(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input");
  const rest = c.args.slice(1);
  const seq =
    rest.length === 1 && (rest[0]?.t === "tuple" || rest[0]?.t === "list") ? iterate(rest[0]) : rest;
  const dims = (seq ?? []).map((v) => (v.t === "int" ? v.v : NaN));
  if (!x || !seq || dims.some((d) => !Number.isInteger(d) || d < 0))
    return unknown("new tensor with a size that is not constant");
  const dtype = tensorDtype(c.kwargs.get("dtype")) ?? x.state.dtype;
  const name = c.b.weight(`new_tensor_${c.b.initializers.size}`, dims, "buffer", dtype);
  return c.b.tensor(name);
}

/**
 * torch.einsum of two operands when it is a batched matrix product ("bhid,bhjd->bhij"): the same
 * batch letters in order, one contracted letter; lowered to MatMul with transposes. Others are unknown.
 */
function einsum(c: OpCall): PyValue {
  const eq = c.args[0];
  const ops =
    c.args.length === 2 && (c.args[1]?.t === "list" || c.args[1]?.t === "tuple")
      ? (iterate(c.args[1]) ?? [])
      : c.args.slice(1);
  const [a, b] = ops;
  const m = eq?.t === "str" ? /^([A-Za-z]+),([A-Za-z]+)->([A-Za-z]+)$/.exec(eq.v.replace(/\s+/g, "")) : null;
  if (!m || ops.length !== 2 || a?.t !== "tensor" || b?.t !== "tensor")
    return unknown("einsum other than a matrix product of two tensors");
  const [, sa = "", sb = "", so = ""] = m;
  const n = so.length - 2;
  const batch = so.slice(0, n),
    [i = "", j = ""] = [so[n], so[n + 1]];
  const ka = [...sa.slice(n)].filter((l) => l !== i);
  const k = ka[0] ?? "";
  const ok =
    n >= 0 &&
    sa.length === n + 2 &&
    sb.length === n + 2 &&
    sa.slice(0, n) === batch &&
    sb.slice(0, n) === batch &&
    ka.length === 1 &&
    !so.includes(k) &&
    new Set(sa.slice(n) + sb.slice(n)).size === 3 &&
    sb.slice(n).includes(k) &&
    sb.slice(n).includes(j) &&
    new Set(so).size === so.length &&
    a.state.shape?.slice(0, n).every((d, q) => d === b.state.shape?.[q]);
  if (!ok) return unknown("einsum other than a batched matrix product");
  const swap = (t: PyTensor): PyTensor =>
    emit(c, "Transpose", [t.value], { perm: [...Array.from({ length: n }, (_, q) => q), n + 1, n] });
  const left = sa.slice(n) === i + k ? a : swap(a);
  const right = sb.slice(n) === k + j ? b : swap(b);
  return emit(c, "MatMul", [left.value, right.value]);
}

/** align_corners as PyTorch takes it (None means False, with a warning) → the ONNX 0 / 1. */
const alignCorners = (c: OpCall, i: number): number => {
  const v = arg(c, i, "align_corners");
  return v?.t === "bool" && v.v ? 1 : 0;
};

/** F.affine_grid(theta, size): the sampling grid [N, *spatial, r] of an affine map. */
function affineGrid(c: OpCall): PyValue {
  const theta = tensorArg(c, 0, "theta");
  const size = iterate(arg(c, 1, "size") ?? NONE)?.map(num);
  if (!theta || !size || !size.every((d): d is number => d !== undefined))
    return unknown("affine_grid with a size that is not constant");
  return emit(c, "AffineGrid", [theta.value, c.b.constInts(size)], { align_corners: alignCorners(c, 2) });
}

/** F.grid_sample(x, grid, mode, padding_mode, align_corners): [N, C, *grid's spatial sizes]. */
function gridSample(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "input"),
    grid = tensorArg(c, 1, "grid");
  const text = (i: number, name: string, dflt: string): string => {
    const v = arg(c, i, name);
    return v?.t === "str" ? v.v : dflt;
  };
  if (!x || !grid) return unknown("grid_sample of non-tensors");
  const attrs = {
    mode: text(2, "mode", "bilinear"),
    padding_mode: text(3, "padding_mode", "zeros"),
    align_corners: alignCorners(c, 4),
  };
  return emit(c, "GridSample", [x.value, grid.value], attrs);
}

/**
 * x.unfold(dimension, size, step), the tensor method (F.unfold is im2col, a layer of its own): the
 * windows of `size` along the dim, as a new last dim. Windows that tile the dim exactly (step ==
 * size, the dim a multiple of it: ViT's patches) are a Reshape then a Transpose; overlapping or
 * partial windows are not followed.
 */
function tensorUnfold(c: OpCall): PyValue {
  const x = tensorArg(c, 0, "self");
  const shape = x?.state.shape;
  const [d0, size, step] = [1, 2, 3].map((i) => {
    const v = arg(c, i, ["dimension", "size", "step"][i - 1] as string);
    return v ? num(v) : undefined;
  });
  if (!x || !shape || d0 === undefined || size === undefined || step === undefined || size <= 0)
    return unknown("Tensor.unfold of an unknown shape or with non-constant arguments");
  const r = shape.length;
  const d = d0 < 0 ? d0 + r : d0;
  const n = shape[d];
  if (typeof n !== "number" || step !== size || n % size !== 0)
    return unknown("Tensor.unfold with overlapping or partial windows is not followed");
  const after = shape.slice(d + 1);
  if (!after.every((s): s is number => typeof s === "number"))
    return unknown("Tensor.unfold before a symbolic dim is not followed");
  const before = shape.slice(0, d).map((s) => (typeof s === "number" ? s : 0)); // 0: copy the dim
  const y = emit(c, "Reshape", [x.value, c.b.constInts([...before, n / size, size, ...after])]);
  const perm = [...Array.from({ length: d + 1 }, (_, i) => i), ...after.map((_, i) => d + 2 + i), d + 1];
  return emit(c, "Transpose", [y.value], { perm });
}

export const MORE_TORCH_FUNCTIONS: Readonly<Record<string, TorchOp>> = {
  ...LAYER_FUNCTIONS,
  linear,
  einsum,
  affine_grid: affineGrid,
  grid_sample: gridSample,
  layer_norm: layerNorm,
  roll,
  meshgrid,
  diff,
  clamp: unary("Clip"),
  clip: unary("Clip"),
  round: unary("Round"),
  floor: unary("Floor"),
  ceil: unary("Ceil"),
  sign: unary("Sign"),
  // Same shape as Log (no ONNX op of its own).
  log2: unary("Log"),
  log10: unary("Log"),
  log1p: unary("Log"),
  divide: (c) => {
    const names = [arg(c, 0, "input"), arg(c, 1, "other")].map((v) =>
      v?.t === "tensor" ? v.value : v && num(v) !== undefined ? c.b.constScalar(num(v) as number) : undefined,
    );
    if (names.some((n) => n === undefined) || c.kwargs.has("rounding_mode"))
      return unknown("divide of unsupported operands");
    return emit(c, "Div", names as string[]);
  },
  new_zeros: newTensor,
  new_ones: newTensor,
  new_empty: newTensor,
  // Tensor methods only: a name with a dot is never reached as torch.NAME or F.NAME.
  "Tensor.unfold": tensorUnfold,
};
