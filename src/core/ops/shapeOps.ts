/** Ops that move data around without arithmetic: reshapes, slicing, joins, shape computation. */
import { reshapeChannels, sliceChannels, transposeChannels } from "../fields/channelFields";
import {
  concatChannels,
  contextOf,
  unionFields,
  withoutChannels,
  type ValueField,
} from "../fields/receptiveField";
import type { Dim } from "../ir/types";
import { attrInt, attrInts, axisOf, constInts, countOf, dtypeOf, isNum, product, shapeOf } from "./dims";
import { isRuntimeValue, operandLength, runtimeReason, runtimeShaped, unknownDims } from "./runtimeDims";
import { INDEX_OPS } from "./indexOps";
import {
  ShapeError,
  type ConstValues,
  type OpContext,
  type OpRule,
  type RfContext,
  type ValueState,
} from "./types";

/**
 * Output axis j reads input axis src[j] (null = new axis); an input spatial axis left out makes it global.
 */
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
    if (!target) {
      const n = operandLength(ctx, 1);
      const all = countOf(x);
      // A flattening to rank 1 keeps every element: its size is known even when the target is not.
      const dims = n === 1 && all !== undefined ? [all] : n === undefined ? undefined : unknownDims(n);
      return [runtimeShaped(ctx, dims, runtimeReason(ctx, "target shape", 1))];
    }
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

/**
 * Reshape/Flatten keep the field of leading and trailing axes that are unchanged; merging a spatial axis
 * makes it global.
 */
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
  if (isRuntimeValue(ctx, 1)) throw new ShapeError("Squeeze axes are only known at run time");
  return identityMap(x.length).filter((i) => x[i] === 1);
}

/** Squeeze of run-time axes: n axes of size 1 go; if only n dims are 1, which ones is known. */
function squeezeRuntimeAxes(ctx: OpContext, x: readonly Dim[]): ValueState {
  const why = runtimeReason(ctx, "axes", 1);
  const n = operandLength(ctx, 1);
  if (n === undefined) return runtimeShaped(ctx, undefined, why);
  const ones = x.filter((d) => d === 1).length;
  const symbolic = x.some((d) => !isNum(d));
  if (!symbolic && ones === n) return { dtype: dtypeOf(ctx), shape: x.filter((d) => d !== 1) };
  return runtimeShaped(ctx, unknownDims(x.length - n), why);
}

const squeeze: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    if (!attrInts(ctx.node, "axes") && isRuntimeValue(ctx, 1)) return [squeezeRuntimeAxes(ctx, x)];
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
    if (!attrInts(ctx.node, "axes") && isRuntimeValue(ctx, 1)) {
      const n = operandLength(ctx, 1);
      const why = runtimeReason(ctx, "axes", 1);
      return [runtimeShaped(ctx, n === undefined ? undefined : unknownDims(x.length + n), why)];
    }
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
    if (!sizes && isRuntimeValue(ctx, 1)) {
      const why = runtimeReason(ctx, "split sizes", 1);
      return ctx.node.outputs.map((_, k) =>
        runtimeShaped(
          ctx,
          x.map((d, i) => (i === axis ? undefined : d)),
          why,
          k,
        ),
      );
    }
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

const expand: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const target = ctx.inputs[1]?.value;
    if (!target) {
      const n = operandLength(ctx, 1);
      const why = runtimeReason(ctx, "shape", 1);
      if (n === undefined) return [runtimeShaped(ctx, undefined, why)];
      const rank = Math.max(x.length, n);
      // A known input dim other than 1 is the output's: the target may only repeat it or say 1.
      const dims = unknownDims(rank).map((_, i) => {
        const a = x[x.length - rank + i];
        return isNum(a) && a !== 1 ? a : undefined;
      });
      return [runtimeShaped(ctx, dims, why)];
    }
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
    if (!reps)
      return [
        runtimeShaped(
          ctx,
          x.map((d) => (d === 0 ? 0 : undefined)),
          runtimeReason(ctx, "repeats", 1),
        ),
      ];
    return [
      {
        dtype: dtypeOf(ctx),
        shape: x.map((d, i) => (isNum(d) ? d * (reps[i] ?? 1) : `${d}·${reps[i] ?? 1}`)),
      },
    ];
  },
  rf: (ctx) => (ctx.fields[0] ? { kind: "global" } : undefined),
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
  Expand: expand,
  Tile: tile,
  // torch.roll (not an ONNX op): same shape, each output reads the whole rolled axis.
  Roll: {
    infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
    rf: (ctx) => (ctx.fields[0] ? { kind: "global" } : undefined),
  },
};
