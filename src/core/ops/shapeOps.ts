/** Ops that move data around without arithmetic: reshapes, slicing, joins, shape computation. */
import { reshapeChannels, sliceChannels, transposeChannels } from "../analysis/channelFields";
import {
  concatChannels,
  contextOf,
  unionFields,
  withoutChannels,
  type ValueField,
} from "../analysis/receptiveField";
import { dtypeFromOnnx } from "../ir/dtype";
import { tensorValues } from "../ir/tensorData";
import type { Dim, Tensor } from "../ir/types";
import { attrInt, attrInts, axisOf, constInts, countOf, dtypeOf, isNum, product, shapeOf } from "./dims";
import { INDEX_OPS } from "./indexOps";
import { ShapeError, type ConstValues, type OpContext, type OpRule, type RfContext } from "./types";

/** Output axis j reads input axis src[j] (null = new axis); an input spatial axis left out makes it global. */
function remapField(f: ValueField | undefined, src: readonly (number | null)[]): ValueField | undefined {
  if (!f || f.kind === "global") return f;
  const used = new Set(src.filter((s): s is number => s !== null));
  if (f.axes.some((a, i) => a !== null && !used.has(i))) return { kind: "global" };
  return {
    kind: "axes",
    axes: src.map((s) => (s === null ? null : (f.axes[s] ?? null))),
    misaligned: f.misaligned,
    ...contextOf(f),
  };
}

function identityMap(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** Axes from an attribute (older opsets) or from a constant input (newer ones). */
function axesArg(ctx: OpContext, inputIndex: number): number[] | undefined {
  return attrInts(ctx.node, "axes") ?? constInts(ctx, inputIndex);
}

function foldable(ctx: OpContext, i = 0): ConstValues | undefined {
  return ctx.inputs[i]?.value;
}

const reshape: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const target = ctx.inputs[1]?.value ?? attrInts(ctx.node, "shape");
    if (!target) throw new ShapeError("Reshape target shape is not a constant");
    const allowZero = attrInt(ctx.node, "allowzero", 0) === 1;
    const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x[i] ?? "?") : d));
    const minus = out.findIndex((d) => d === -1);
    if (minus >= 0)
      out[minus] = inferMinusOne(
        x,
        out.filter((_, i) => i !== minus),
      );
    const a = countOf(x),
      b = countOf(out);
    if (a !== undefined && b !== undefined && a !== b)
      throw new ShapeError(`cannot reshape ${a} elements into [${out.join(", ")}]`, [a, b]);
    const v = foldable(ctx);
    return [{ dtype: dtypeOf(ctx), shape: out, ...(v ? { value: v } : {}) }];
  },
  rf: (ctx) => {
    const x = ctx.inputs[0]?.shape;
    const y = ctx.outputs[0]?.shape;
    const out = keepMatchingAxes(ctx);
    return x && y ? reshapeChannels(ctx.fields[0], x, y, out) : out;
  },
};

/** -1 in a reshape: total / known, cancelling symbols that appear on both sides. */
function inferMinusOne(input: readonly Dim[], rest: readonly Dim[]): Dim {
  // A product dim ("N·8", from an earlier merge of axes) counts as its factors.
  const factors = input.flatMap((d): Dim[] =>
    isNum(d) ? [d] : d.split("·").map((f) => (/^\d+$/.test(f) ? Number(f) : f)),
  );
  const syms = factors.filter((d): d is string => !isNum(d));
  let num = 1;
  for (const d of factors) if (isNum(d)) num *= d;
  let den = 1;
  for (const d of rest) {
    if (isNum(d)) den *= d;
    else {
      const k = syms.indexOf(d);
      if (k < 0) return "?";
      syms.splice(k, 1);
    }
  }
  if (den === 0 || num % den !== 0)
    throw new ShapeError(`cannot infer -1: ${num} is not divisible by ${den}`, [num, den]);
  return product([...syms, num / den]);
}

/** Reshape/Flatten keep the field of leading and trailing axes that are unchanged; merging a spatial axis makes it global. */
function keepMatchingAxes(ctx: RfContext): ValueField | undefined {
  const x = ctx.inputs[0]?.shape;
  const y = ctx.outputs[0]?.shape;
  if (!x || !y) return ctx.fields[0] ? { kind: "global" } : undefined;
  const src: (number | null)[] = new Array<number | null>(y.length).fill(null);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) src[i] = i++;
  let j = 0;
  while (j < x.length - i && j < y.length - i && x[x.length - 1 - j] === y[y.length - 1 - j]) {
    src[y.length - 1 - j] = x.length - 1 - j;
    j++;
  }
  return remapField(ctx.fields[0], src);
}

const flatten: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axis = attrInt(ctx.node, "axis", 1);
    const a = axis < 0 ? axis + x.length : axis;
    return [{ dtype: dtypeOf(ctx), shape: [product(x.slice(0, a)), product(x.slice(a))] }];
  },
  rf: keepMatchingAxes,
};

const transpose: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const perm = attrInts(ctx.node, "perm") ?? identityMap(x.length).reverse();
    return [{ dtype: dtypeOf(ctx), shape: perm.map((p) => x[p] ?? "?") }];
  },
  rf: (ctx) => {
    const x = ctx.inputs[0]?.shape ?? [];
    const perm = attrInts(ctx.node, "perm") ?? identityMap(x.length).reverse();
    return transposeChannels(ctx.fields[0], x, perm, remapField(ctx.fields[0], perm));
  },
};

function squeezedAxes(ctx: OpContext): number[] {
  const x = shapeOf(ctx, 0);
  const axes = axesArg(ctx, 1);
  if (axes) return axes.map((a) => axisOf(a, x.length));
  return identityMap(x.length).filter((i) => x[i] === 1);
}

const squeeze: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const drop = new Set(squeezedAxes(ctx));
    const v = foldable(ctx);
    return [{ dtype: dtypeOf(ctx), shape: x.filter((_, i) => !drop.has(i)), ...(v ? { value: v } : {}) }];
  },
  rf: (ctx) => {
    const rank = ctx.inputs[0]?.shape?.length ?? 0;
    const drop = new Set(squeezedAxes(ctx));
    return remapField(
      ctx.fields[0],
      identityMap(rank).filter((i) => !drop.has(i)),
    );
  },
};

function unsqueezeMap(ctx: OpContext): (number | null)[] {
  const x = shapeOf(ctx, 0);
  const axes = axesArg(ctx, 1);
  if (!axes) throw new ShapeError("Unsqueeze axes are not constant");
  const rank = x.length + axes.length;
  const ins = new Set(axes.map((a) => axisOf(a, rank)));
  const src: (number | null)[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) src.push(ins.has(i) ? null : k++);
  return src;
}

const unsqueeze: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const v = foldable(ctx);
    const shape = unsqueezeMap(ctx).map((s) => (s === null ? 1 : (x[s] ?? "?")));
    return [{ dtype: dtypeOf(ctx), shape, ...(v ? { value: v } : {}) }];
  },
  rf: (ctx) => remapField(ctx.fields[0], unsqueezeMap(ctx)),
};

const concat: OpRule = {
  infer(ctx) {
    const shapes = ctx.node.inputs.map((_, i) => shapeOf(ctx, i));
    const first = shapes[0];
    if (!first) throw new ShapeError("Concat has no inputs");
    const axis = axisOf(attrInt(ctx.node, "axis", 0), first.length);
    const out: Dim[] = [...first];
    out[axis] = product([]);
    const parts: Dim[] = [];
    for (const s of shapes) {
      if (s.length !== first.length)
        throw new ShapeError(`Concat inputs have ranks ${first.length} and ${s.length}`);
      s.forEach((d, i) => {
        if (i !== axis && isNum(d) && isNum(out[i]) && d !== out[i])
          throw new ShapeError(`Concat sizes differ on axis ${i}: ${out[i]} vs ${d}`);
      });
      parts.push(s[axis] ?? "?");
    }
    out[axis] = parts.every(isNum) ? parts.reduce((a, b) => a + b, 0) : parts.join("+");
    const vals = ctx.inputs.map((v) => v?.value);
    const folded =
      first.length === 1 && vals.every((v) => v !== undefined)
        ? vals.flatMap((v) => [...(v ?? [])])
        : undefined;
    return [{ dtype: dtypeOf(ctx), shape: out, ...(folded ? { value: folded } : {}) }];
  },
  rf: (ctx) => {
    const rank = ctx.outputs[0]?.shape?.length ?? 0;
    const axis = attrInt(ctx.node, "axis", 0);
    const counts = ctx.inputs.map((v) => {
      const c = v?.shape?.[1];
      return typeof c === "number" ? c : undefined;
    });
    if (rank >= 3 && (axis === 1 || axis === 1 - rank)) return concatChannels(ctx.fields, counts, rank);
    return concatChannels(
      ctx.fields,
      ctx.fields.map(() => undefined),
      rank,
    );
  },
};

const split: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axis = axisOf(attrInt(ctx.node, "axis", 0), x.length);
    const n = ctx.node.outputs.length;
    const total = x[axis];
    let sizes = attrInts(ctx.node, "split") ?? constInts(ctx, 1);
    if (!sizes) {
      if (!isNum(total)) return ctx.node.outputs.map(() => ({ dtype: dtypeOf(ctx), shape: undefined }));
      const chunk = Math.ceil(total / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, total - i * chunk)));
    }
    return sizes.map((s) => ({ dtype: dtypeOf(ctx), shape: x.map((d, i) => (i === axis ? s : d)) }));
  },
  rf: (ctx) => splitFields(ctx)[0],
  rfOutputs: splitFields,
};

/** Each part of a channel split keeps the fields of its own channels (ShuffleNet's chunk after a concat). */
function splitFields(ctx: RfContext): (ValueField | undefined)[] {
  const f = ctx.fields[0];
  const x = ctx.inputs[0]?.shape;
  if (f?.kind !== "axes" || !f.channels || !x || axisOf(attrInt(ctx.node, "axis", 0), x.length) !== 1)
    return ctx.outputs.map(() => f);
  const union = withoutChannels(f);
  let at = 0;
  return ctx.outputs.map((o) => {
    const c = o.shape?.[1];
    const start = at;
    at += typeof c === "number" ? c : NaN;
    return typeof c === "number" && !Number.isNaN(start) ? sliceChannels(f, start, 1, c, f) : union;
  });
}

/** Slice: per sliced axis a window map o → start + o·step, so a spatial crop shifts the field. */
const shapeOp: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const r = x.length;
    const start = attrInt(ctx.node, "start", 0);
    const end = attrInt(ctx.node, "end", r);
    const s = Math.max(0, Math.min(r, start < 0 ? start + r : start));
    const e = Math.max(0, Math.min(r, end < 0 ? end + r : end));
    const value = x.slice(s, Math.max(s, e));
    return [{ dtype: "int64", shape: [value.length], value }];
  },
  rf: "none",
};

function constantTensor(t: Tensor): { dtype: Tensor["dtype"]; shape: number[]; value?: ConstValues } {
  const v = tensorValues(t);
  return { dtype: t.dtype, shape: [...t.dims], ...(v ? { value: v } : {}) };
}

const constant: OpRule = {
  infer(ctx) {
    const t = ctx.node.attrs["value"];
    if (t && typeof t === "object" && "dims" in t) return [constantTensor(t)];
    for (const [k, v] of Object.entries(ctx.node.attrs)) {
      if (k === "value_float" || k === "value_int")
        return [{ dtype: k === "value_int" ? "int64" : "float32", shape: [], value: [v as number] }];
      if ((k === "value_floats" || k === "value_ints") && Array.isArray(v))
        return [{ dtype: k === "value_ints" ? "int64" : "float32", shape: [v.length], value: v as number[] }];
    }
    throw new ShapeError("Constant without a supported value attribute");
  },
  rf: "none",
};

const constantOfShape: OpRule = {
  infer(ctx) {
    const shape = ctx.inputs[0]?.value;
    if (!shape) throw new ShapeError("ConstantOfShape shape is not constant");
    const t = ctx.node.attrs["value"];
    const c = t && typeof t === "object" && "dims" in t ? constantTensor(t) : undefined;
    const n = countOf(shape);
    const fill = c?.value?.[0] ?? 0;
    return [
      {
        dtype: c?.dtype ?? "float32",
        shape,
        ...(n !== undefined && n <= 4096 ? { value: new Array<number | string>(n).fill(fill) } : {}),
      },
    ];
  },
  rf: "none",
};

const expand: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const target = ctx.inputs[1]?.value;
    if (!target) throw new ShapeError("Expand shape is not constant");
    const rank = Math.max(x.length, target.length);
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const a = x[x.length - rank + i] ?? 1;
      const b = target[target.length - rank + i] ?? 1;
      out.push(
        a === 1
          ? b
          : b === 1
            ? a
            : isNum(a) && isNum(b) && a !== b
              ? fail(`Expand cannot broadcast ${a} to ${b}`)
              : a,
      );
    }
    return [{ dtype: dtypeOf(ctx), shape: out }];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    const y = ctx.outputs[0]?.shape;
    if (!x || !y) return f && { kind: "global" };
    if (f?.kind !== "global") return unionFields([f, undefined], y.length, [x, y]);
    // A broadcast copy of a pooled gate is still a per-channel scale: remember along which axes.
    const uniform = y
      .map((_, i) => i)
      .filter((i) => {
        const j = i - y.length + x.length;
        return j < 0 || (x[j] === 1 && y[i] !== 1) || (f.uniformAxes?.includes(j) ?? false);
      });
    return uniform.length ? { kind: "global", uniformAxes: uniform } : { kind: "global" };
  },
};

function fail(msg: string): never {
  throw new ShapeError(msg);
}

const tile: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const reps = constInts(ctx, 1);
    if (!reps) throw new ShapeError("Tile repeats are not constant");
    return [
      {
        dtype: dtypeOf(ctx),
        shape: x.map((d, i) => (isNum(d) ? d * (reps[i] ?? 1) : `${d}·${reps[i] ?? 1}`)),
      },
    ];
  },
  rf: (ctx) => (ctx.fields[0] ? { kind: "global" } : undefined),
};

const cast: OpRule = {
  infer(ctx) {
    const v = ctx.inputs[0]?.value;
    return [
      {
        dtype: dtypeFromOnnx(attrInt(ctx.node, "to", 1)),
        shape: shapeOf(ctx, 0),
        ...(v ? { value: v } : {}),
      },
    ];
  },
  rf: "elementwise",
};

const range: OpRule = {
  infer(ctx) {
    const [s, l, d] = [0, 1, 2].map((i) => ctx.inputs[i]?.value?.[0]);
    if (typeof s !== "number" || typeof l !== "number" || typeof d !== "number" || d === 0)
      return [{ dtype: dtypeOf(ctx), shape: ["range"] }];
    const n = Math.max(0, Math.ceil((l - s) / d));
    return [
      {
        dtype: dtypeOf(ctx),
        shape: [n],
        ...(n <= 4096 ? { value: Array.from({ length: n }, (_, i) => s + i * d) } : {}),
      },
    ];
  },
  rf: "none",
};

const dataDependent: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    return ctx.node.outputs.map(() => ({
      dtype: "int64" as const,
      shape: ctx.node.opType === "NonZero" ? [x.length, "nnz"] : ["n"],
    }));
  },
  rf: "global",
};

export const SHAPE_OPS: Readonly<Record<string, OpRule>> = {
  ...INDEX_OPS,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Shape: shapeOp,
  Size: { infer: (ctx) => [{ dtype: "int64", shape: [], value: [product(shapeOf(ctx, 0))] }], rf: "none" },
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Expand: expand,
  Tile: tile,
  // torch.roll (not an ONNX op): same shape, each output reads the whole rolled axis.
  Roll: {
    infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
    rf: (ctx) => (ctx.fields[0] ? { kind: "global" } : undefined),
  },
  Cast: cast,
  CastLike: { ...cast, infer: (ctx) => [{ dtype: dtypeOf(ctx, 1), shape: shapeOf(ctx, 0) }] },
  Range: range,
  NonZero: dataDependent,
  NonMaxSuppression: dataDependent,
};
