/**
 * Ops that select or resample along axes: Slice, Gather, Pad, Resize, depth↔space. Each shifts or scales
 * receptive fields.
 */
import { sliceChannels } from "../fields/channelFields";
import { applyWindow, contextOf, type AxisField, type ValueField } from "../fields/receptiveField";
import type { Dim } from "../ir/types";
import { attrFloats, attrInt, attrInts, attrStr, axisOf, constInts, dtypeOf, isNum, shapeOf } from "./dims";
import { isRuntimeValue, operandLength, runtimeReason, runtimeShaped } from "./runtimeDims";
import { ShapeError, type ConstValues, type OpContext, type OpRule, type ValueState } from "./types";

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

/**
 * Axes an op with run-time operands touches: its constant axes input, else `count` leading axes, else all.
 */
function touchedAxes(
  ctx: OpContext,
  axesInput: number,
  rank: number,
  count: number | undefined,
): Set<number> {
  const axes = attrInts(ctx.node, "axes") ?? constInts(ctx, axesInput);
  if (axes) return new Set(axes.map((a) => axisOf(a, rank)));
  if ((ctx.node.inputs[axesInput] ?? "") === "" && count !== undefined) return new Set(identityMap(count));
  return new Set(identityMap(rank));
}

/** The output of an op whose per-axis amounts are run-time values: the untouched axes keep their size. */
function runtimeAlongAxes(ctx: OpContext, axes: Set<number>, what: string, i: number): ValueState {
  const x = shapeOf(ctx, 0);
  return runtimeShaped(
    ctx,
    x.map((d, a) => (axes.has(a) ? undefined : d)),
    runtimeReason(ctx, what, i),
  );
}

const slice: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const dynamic = [1, 2, 3, 4].find((i) => isRuntimeValue(ctx, i));
    if (!attrInts(ctx.node, "starts") && dynamic !== undefined) {
      const axes = touchedAxes(ctx, 3, x.length, operandLength(ctx, 1));
      const what = ["", "starts", "ends", "axes", "steps"][dynamic] ?? "bounds";
      return [runtimeAlongAxes(ctx, axes, what, dynamic)];
    }
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
    if (!attrInts(ctx.node, "pads") && (isRuntimeValue(ctx, 1) || isRuntimeValue(ctx, 3))) {
      const n = operandLength(ctx, 1);
      const axes = touchedAxes(ctx, 3, x.length, n === undefined ? undefined : n / 2);
      return [
        runtimeAlongAxes(ctx, axes, isRuntimeValue(ctx, 1) ? "pads" : "axes", isRuntimeValue(ctx, 1) ? 1 : 3),
      ];
    }
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

/** An operand that is given and not empty (Resize passes "" or a 0-length tensor for the unused one). */
function givenOperand(ctx: OpContext, i: number): boolean {
  return i < ctx.node.inputs.length && (ctx.node.inputs[i] ?? "") !== "" && operandLength(ctx, i) !== 0;
}

interface ResizePlan {
  readonly shape: Dim[] | undefined;
  /** Per axis (all of the input's); undefined when a run-time value decides them. */
  readonly scales: number[] | undefined;
  readonly reason?: string;
}

/** Resize/Upsample: output size = floor(in · scale) or the given sizes, on `axes` (opset 18) or all. */
function resizeScales(ctx: OpContext): ResizePlan {
  const x = shapeOf(ctx, 0);
  const op = ctx.node.opType;
  const axes = (attrInts(ctx.node, "axes") ?? identityMap(x.length)).map((a) => axisOf(a, x.length));
  const scalesAt = op === "Upsample" || ctx.opset < 11 ? 1 : 2;
  const sizesAt = op === "Resize" && ctx.opset >= 11 ? 3 : -1;
  const symbolic = (i: number, what: string): ResizePlan => {
    const st = runtimeShaped(
      ctx,
      x.map((d, a) => (axes.includes(a) ? undefined : d)),
      runtimeReason(ctx, what, i),
    );
    return {
      shape: st.shape ? [...st.shape] : undefined,
      scales: undefined,
      ...(st.reason ? { reason: st.reason } : {}),
    };
  };
  const full = (perAxis: readonly number[], dflt: number) => {
    const out = x.map(() => dflt);
    axes.forEach((a, k) => (out[a] = perAxis[k] ?? dflt));
    return out;
  };
  if (sizesAt >= 0 && givenOperand(ctx, sizesAt)) {
    const sizes = constInts(ctx, sizesAt);
    if (!sizes) return symbolic(sizesAt, "sizes");
    if (sizes.length !== axes.length)
      throw new ShapeError(`Resize sizes has ${sizes.length} values for ${axes.length} axes`);
    const policy = attrStr(ctx.node, "keep_aspect_ratio_policy", "stretch");
    let target = full(sizes, NaN);
    const inDims = axes.map((a) => x[a]);
    if (policy !== "stretch" && inDims.every(isNum)) {
      // One scale for every resized axis, the smaller (not_larger) or larger (not_smaller) one.
      const ratios = sizes.map((sz, k) => sz / (inDims[k] as number));
      const scale = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
      target = full(
        inDims.map((d) => Math.floor((d as number) * scale + 0.5)),
        NaN,
      );
    }
    const shape = x.map((d, i) => (Number.isNaN(target[i]) ? d : (target[i] as number)));
    return { shape, scales: shape.map((d, i) => (isNum(d) && isNum(x[i]) ? d / (x[i] as number) : 1)) };
  }
  const attrScales = attrFloats(ctx.node, "scales");
  if (!attrScales && !givenOperand(ctx, scalesAt)) throw new ShapeError(`${op} has neither scales nor sizes`);
  const given = attrScales ?? ctx.inputs[scalesAt]?.value?.map(Number);
  if (!given) return symbolic(scalesAt, "scales");
  if (given.length !== axes.length)
    throw new ShapeError(`${op} scales has ${given.length} values for ${axes.length} axes`);
  const scales = full(given, 1);
  // tf_crop_and_resize resizes the region of interest, a fraction (end − start) of each axis.
  let crop = x.map(() => 1);
  if (attrStr(ctx.node, "coordinate_transformation_mode", "half_pixel") === "tf_crop_and_resize") {
    const roi = ctx.inputs[1]?.value?.map(Number);
    if (!roi) return symbolic(1, "roi");
    crop = full(
      axes.map((_, k) => (roi[k + axes.length] ?? 1) - (roi[k] ?? 0)),
      1,
    );
  }
  return {
    shape: x.map((d, i) => (isNum(d) ? Math.floor(d * (crop[i] ?? 1) * (scales[i] ?? 1)) : d)),
    scales,
  };
}

const resize: OpRule = {
  infer(ctx) {
    const plan = resizeScales(ctx);
    return [{ dtype: dtypeOf(ctx), shape: plan.shape, ...(plan.reason ? { reason: plan.reason } : {}) }];
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
    if (!scales) throw new ShapeError("the resize scales are only known at run time");
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
