/** Ops that select or resample along axes: Slice, Gather, Pad, Resize, depth↔space. Each shifts or scales receptive fields. */
import { sliceChannels } from "../fields/channelFields";
import { applyWindow, contextOf, type AxisField, type ValueField } from "../fields/receptiveField";
import type { Dim } from "../ir/types";
import { attrInt, attrInts, axisOf, constInts, dtypeOf, isNum, shapeOf } from "./dims";
import { ShapeError, type ConstValues, type OpContext, type OpRule } from "./types";

function identityMap(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

function foldable(ctx: OpContext, i = 0): ConstValues | undefined {
  return ctx.inputs[i]?.value;
}

function sliceParams(ctx: OpContext): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
  const x = shapeOf(ctx, 0);
  const starts = attrInts(ctx.node, "starts") ?? constInts(ctx, 1);
  const ends = attrInts(ctx.node, "ends") ?? constInts(ctx, 2);
  if (!starts || !ends) throw new ShapeError("Slice starts/ends are not constant");
  const axes = (attrInts(ctx.node, "axes") ?? constInts(ctx, 3) ?? identityMap(starts.length)).map((a) =>
    axisOf(a, x.length),
  );
  const steps = constInts(ctx, 4) ?? starts.map(() => 1);
  return { starts, ends, axes, steps };
}

function clampIndex(i: number, dim: number, step: number): number {
  const v = i < 0 ? i + dim : i;
  return step > 0 ? Math.max(0, Math.min(dim, v)) : Math.max(-1, Math.min(dim - 1, v));
}

const slice: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const p = sliceParams(ctx);
    const out = [...x];
    const bounds: { axis: number; start: number; step: number; count: number }[] = [];
    p.axes.forEach((axis, k) => {
      const dim = x[axis];
      const step = p.steps[k] ?? 1;
      if (step === 0) throw new ShapeError("Slice step 0");
      if (!isNum(dim)) {
        out[axis] = "?";
        return;
      }
      const s = clampIndex(p.starts[k] ?? 0, dim, step);
      const e = clampIndex(p.ends[k] ?? dim, dim, step);
      const count = Math.max(0, Math.ceil((e - s) / step));
      out[axis] = count;
      bounds.push({ axis, start: s, step, count });
    });
    const v = foldable(ctx);
    const one = bounds[0];
    const folded =
      v && x.length === 1 && one
        ? Array.from({ length: one.count }, (_, i) => v[one.start + i * one.step] ?? 0)
        : undefined;
    return [{ dtype: dtypeOf(ctx), shape: out, ...(folded ? { value: folded } : {}) }];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    if (!f || f.kind === "global" || !x) return f;
    const p = sliceParams(ctx);
    const axes = [...f.axes];
    p.axes.forEach((axis, k) => {
      const a = axes[axis];
      const dim = x[axis];
      if (!a || !isNum(dim)) return;
      const step = p.steps[k] ?? 1;
      const s = clampIndex(p.starts[k] ?? 0, dim, step);
      axes[axis] =
        step > 0
          ? applyWindow(a, { q: 1, r: step, first: (o) => s + o * step, last: (o) => s + o * step })
          : null;
    });
    const out: ValueField = { kind: "axes", axes, misaligned: f.misaligned, ...contextOf(f) };
    // A slice of channels (x[:, a:b]) keeps the fields of those channels.
    const k = p.axes.indexOf(1);
    const c = x[1];
    const count = ctx.outputs[0]?.shape?.[1];
    const step = p.steps[k] ?? 1;
    if (k < 0 || !isNum(c) || !isNum(count) || step <= 0 || p.axes.some((a) => a !== 1 && f.axes[a]))
      return out;
    return sliceChannels(f, clampIndex(p.starts[k] ?? 0, c, step), step, count, out);
  },
};

const gather: OpRule = {
  infer(ctx) {
    const data = shapeOf(ctx, 0);
    const idx = shapeOf(ctx, 1);
    const axis = axisOf(attrInt(ctx.node, "axis", 0), data.length);
    const shape = [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)];
    const dv = ctx.inputs[0]?.value;
    const iv = ctx.inputs[1]?.value;
    let value: ConstValues | undefined;
    if (dv && iv && data.length === 1)
      value = iv.map((i) => (typeof i === "number" ? (dv[i < 0 ? i + dv.length : i] ?? 0) : 0));
    return [{ dtype: dtypeOf(ctx), shape, ...(value ? { value } : {}) }];
  },
  rf: (ctx) => {
    // Embedding look-up: the indices' axes (token positions) carry their field into the output.
    const data = ctx.inputs[0]?.shape;
    const idx = ctx.inputs[1]?.shape;
    if (!data || !idx) return undefined;
    const axis = axisOf(attrInt(ctx.node, "axis", 0), data.length);
    const df = ctx.fields[0];
    const inf = ctx.fields[1];
    if (df?.kind === "global" || inf?.kind === "global") return { kind: "global" };
    const dAxes = df?.axes ?? [];
    if (dAxes[axis]) return { kind: "global" };
    const iAxes = inf?.axes ?? idx.map(() => null);
    const axes = [...dAxes.slice(0, axis), ...iAxes, ...dAxes.slice(axis + 1)];
    while (axes.length < data.length - 1 + idx.length) axes.push(null);
    if (axes.every((a) => a === null)) return undefined;
    return {
      kind: "axes",
      axes,
      misaligned: (df?.misaligned ?? false) || (inf?.misaligned ?? false),
      ...contextOf(df?.globalContext ? df : inf),
    };
  },
};

function padsOf(ctx: OpContext, rank: number): number[] {
  const pads = attrInts(ctx.node, "pads") ?? constInts(ctx, 1);
  if (!pads) throw new ShapeError("Pad amounts are not constant");
  const axes = constInts(ctx, 3)?.map((a) => axisOf(a, rank));
  if (!axes) return pads;
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, k) => {
    full[a] = pads[k] ?? 0;
    full[a + rank] = pads[k + axes.length] ?? 0;
  });
  return full;
}

const pad: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const pads = padsOf(ctx, x.length);
    return [
      {
        dtype: dtypeOf(ctx),
        shape: x.map((d, i) => (isNum(d) ? d + (pads[i] ?? 0) + (pads[i + x.length] ?? 0) : d)),
      },
    ];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    if (!f || f.kind === "global" || !x) return f;
    const pads = padsOf(ctx, x.length);
    const axes = f.axes.map((a: AxisField | null, i) => {
      const p = pads[i] ?? 0;
      return a ? applyWindow(a, { q: 1, r: 1, first: (o) => o - p, last: (o) => o - p }) : a;
    });
    return { kind: "axes", axes, misaligned: f.misaligned, ...contextOf(f) };
  },
};

/** Resize/Upsample: output size = floor(in · scale) or the given sizes. */
function resizeScales(ctx: OpContext): { shape: Dim[]; scales: number[] } {
  const x = shapeOf(ctx, 0);
  const sizes = ctx.node.opType === "Resize" ? constInts(ctx, 3) : undefined;
  const scalesIn =
    ctx.node.opType === "Upsample" ? (constInts(ctx, 1) ?? ctx.inputs[1]?.value) : ctx.inputs[2]?.value;
  const attrScales = attrInts(ctx.node, "scales");
  if (sizes && sizes.length === x.length)
    return {
      shape: sizes,
      scales: sizes.map((s, i) => {
        const d = x[i];
        return isNum(d) ? s / d : 1;
      }),
    };
  const scales = (scalesIn ?? attrScales)?.map(Number);
  if (!scales || scales.length !== x.length) throw new ShapeError("Resize scales/sizes are not constant");
  return { shape: x.map((d, i) => (isNum(d) ? Math.floor(d * (scales[i] ?? 1)) : d)), scales };
}

const resize: OpRule = {
  infer(ctx) {
    return [{ dtype: dtypeOf(ctx), shape: resizeScales(ctx).shape }];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    // Upsampling a pooled 1×1 map copies it: still a per-channel quantity (a gate, a context).
    if (f?.kind === "global" && x && x.length > 2 && x.slice(2).every((d) => d === 1))
      return {
        kind: "global",
        uniformAxes: x.map((_, i) => i).filter((i) => i >= 2 && ctx.outputs[0]?.shape?.[i] !== 1),
      };
    if (!f || f.kind === "global") return f;
    const { scales } = resizeScales(ctx);
    const linear = String(ctx.node.attrs["mode"] ?? "nearest") !== "nearest";
    const axes = f.axes.map((a, i) => {
      const sc = scales[i] ?? 1;
      if (!a || sc === 1) return a;
      const q = Number.isInteger(sc) ? sc : 1;
      const r = Number.isInteger(sc) ? 1 : Math.max(1, Math.round(1 / sc));
      // Nearest reads floor(o / scale); linear modes also read the next input unit.
      return applyWindow(a, {
        q,
        r,
        first: (o) => Math.floor((o + (linear ? 0.5 : 0)) / sc - (linear ? 0.5 : 0)),
        last: (o) => Math.floor(o / sc) + (linear ? 1 : 0),
      });
    });
    return { kind: "axes", axes, misaligned: f.misaligned, ...contextOf(f) };
  },
};

const depthSpace: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const b = attrInt(ctx.node, "blocksize", 1);
    const [n, c, h, w] = x;
    const toSpace = ctx.node.opType === "DepthToSpace";
    const mul = (d: Dim | undefined, k: number): Dim => (isNum(d) ? d * k : `${d ?? "?"}·${k}`);
    const div = (d: Dim | undefined, k: number): Dim => (isNum(d) ? d / k : `${d ?? "?"}/${k}`);
    return [
      {
        dtype: dtypeOf(ctx),
        shape: toSpace
          ? [n ?? 1, div(c, b * b), mul(h, b), mul(w, b)]
          : [n ?? 1, mul(c, b * b), div(h, b), div(w, b)],
      },
    ];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    if (!f || f.kind === "global") return f;
    const b = attrInt(ctx.node, "blocksize", 1);
    const toSpace = ctx.node.opType === "DepthToSpace";
    const w = toSpace
      ? { q: b, r: 1, first: (o: number) => Math.floor(o / b), last: (o: number) => Math.floor(o / b) }
      : { q: 1, r: b, first: (o: number) => o * b, last: (o: number) => o * b + b - 1 };
    return {
      kind: "axes",
      axes: f.axes.map((a) => (a ? applyWindow(a, w) : a)),
      misaligned: f.misaligned,
      ...contextOf(f),
    };
  },
};

export const INDEX_OPS: Readonly<Record<string, OpRule>> = {
  Slice: slice,
  Gather: gather,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  DepthToSpace: depthSpace,
  SpaceToDepth: depthSpace,
};
