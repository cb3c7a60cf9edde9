/**
 * Shape and layout ops on tensors: view / reshape / flatten, permute / transpose, expand / repeat,
 * squeeze / unsqueeze, cat / stack, split / chunk, and size / dim / numel.
 */
import type { Dim } from "../../ir/types";
import { arg, dimsFrom, emit, first, intArg, tensorArg, type OpCall, type TorchOp } from "./torchOpKit";
import { NONE, int, iterate, num, tuple, unknown, type PyTensor, type PyValue } from "./values";

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
    if (!items || !items.every((t): t is PyTensor => t.t === "tensor")) {
      // An unknown item keeps its own reason (the root cause), as a layer's unknown input does.
      const why = items?.find((t) => t.t === "unknown");
      return why ?? unknown("cat/stack of non-tensors");
    }
    const names = stack
      ? items.map((t) => (first(emit(c, "Unsqueeze", [t.value, c.b.constInts([dim])])) as PyTensor).value)
      : items.map((t) => t.value);
    return first(emit(c, "Concat", names, { axis: dim }));
  };
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

export const SHAPE_FUNCTIONS: Readonly<Record<string, TorchOp>> = {
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
