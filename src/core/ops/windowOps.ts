/** Sliding-window ops: convolutions and pools, with shape, cost and receptive-field rules. */
import {
  applyWindow,
  mapAxes,
  slidingWindow,
  transposedWindow,
  type ValueField,
} from "../fields/receptiveField";
import type { Dim, Node, Shape } from "../ir/types";
import { attrInt, attrInts, attrStr, isNum, numeric, shapeOf, dtypeOf } from "./dims";
import { ShapeError, type OpContext, type OpRule, type RfContext } from "./types";

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
  ceil: boolean;
}

/** Kernel, strides, dilations and pads of a conv/pool node over `n` spatial axes of `spatial`. */
export function windowOf(
  node: Node,
  spatial: readonly Dim[],
  kernelFromWeight?: readonly Dim[],
  transposed = false,
): Window {
  const n = spatial.length;
  const kernel = attrInts(node, "kernel_shape") ?? kernelFromWeight?.map((d) => (isNum(d) ? d : NaN));
  if (!kernel || kernel.length !== n || kernel.some((k) => !(k > 0)))
    throw new ShapeError(`kernel_shape ${JSON.stringify(kernel)} does not fit ${n} spatial axes`);
  const strides = attrInts(node, "strides") ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, "dilations") ?? new Array<number>(n).fill(1);
  const pads = attrInts(node, "pads") ?? new Array<number>(2 * n).fill(0);
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n)
    throw new ShapeError("strides, dilations or pads do not match the number of spatial axes");
  if (strides.some((s) => s <= 0) || dilations.some((d) => d <= 0))
    throw new ShapeError("strides and dilations must be positive");
  if (pads.some((p) => p < 0)) throw new ShapeError(`negative pads ${JSON.stringify(pads)} are not allowed`);
  const padBegin = pads.slice(0, n);
  const padEnd = pads.slice(n);
  const autoPad = attrStr(node, "auto_pad", "NOTSET");
  if (autoPad === "VALID") {
    padBegin.fill(0);
    padEnd.fill(0);
  } else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    for (let i = 0; i < n; i++) {
      const x = spatial[i];
      if (!isNum(x)) continue;
      const ext = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
      const s = strides[i] ?? 1;
      // Forward: out = ceil(in / s). Transposed: out = in · s.
      const total = transposed
        ? Math.max(0, (x - 1) * s + ext - x * s)
        : Math.max(0, (Math.ceil(x / s) - 1) * s + ext - x);
      const small = Math.floor(total / 2);
      padBegin[i] = autoPad === "SAME_UPPER" ? small : total - small;
      padEnd[i] = total - (padBegin[i] ?? 0);
    }
  }
  return { kernel, strides, dilations, padBegin, padEnd, ceil: attrInt(node, "ceil_mode", 0) === 1 };
}

function windowOut(w: Window, spatial: readonly Dim[], i: number): Dim {
  const x = spatial[i];
  const k = w.kernel[i] ?? 1,
    s = w.strides[i] ?? 1,
    d = w.dilations[i] ?? 1,
    pb = w.padBegin[i] ?? 0,
    pe = w.padEnd[i] ?? 0;
  const ext = (k - 1) * d + 1;
  if (!isNum(x)) return `⌊(${x}+${pb + pe}−${ext})/${s}⌋+1`;
  const span = x + pb + pe - ext;
  if (span < 0)
    throw new ShapeError(
      `window ${ext} is larger than the padded input ${x + pb + pe} (output size would be ${Math.floor(span / s) + 1})`,
    );
  let out = (w.ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // PyTorch (and onnxruntime): the last window must start inside the input or left padding.
  if (w.ceil && (out - 1) * s >= x + pb) out -= 1;
  return out;
}

/** Pools keep channels apart (each channel keeps its own field); convolutions mix them. */
function windowField(
  ctx: RfContext,
  w: Window | undefined,
  transposed: boolean,
  perChannel: boolean,
): ValueField | undefined {
  const f = ctx.fields[0];
  if (!f || f.kind === "global" || !w) return f;
  return mapAxes(
    f,
    (a, axis) => {
      const i = axis - 2;
      if (!a || i < 0) return a;
      const k = w.kernel[i] ?? 1,
        s = w.strides[i] ?? 1,
        d = w.dilations[i] ?? 1,
        pb = w.padBegin[i] ?? 0;
      return applyWindow(a, transposed ? transposedWindow(k, s, pb, d) : slidingWindow(k, s, pb, d));
    },
    perChannel,
  );
}

function convWindow(ctx: OpContext, transposed: boolean): { x: Shape; w: Shape; win: Window } {
  const x = shapeOf(ctx, 0);
  const wShape = shapeOf(ctx, 1);
  if (x.length < 3)
    throw new ShapeError(`${ctx.node.opType} needs an input of rank ≥ 3, got rank ${x.length}`);
  if (wShape.length !== x.length)
    throw new ShapeError(`weight rank ${wShape.length} does not match input rank ${x.length}`);
  return { x, w: wShape, win: windowOf(ctx.node, x.slice(2), wShape.slice(2), transposed) };
}

function prod(xs: readonly Dim[]): number | null {
  const n = numeric(xs);
  return n ? n.reduce((a, b) => a * b, 1) : null;
}

export const conv: OpRule = {
  weightInputs: [1, 2],
  infer(ctx) {
    const { x, w, win } = convWindow(ctx, false);
    const group = attrInt(ctx.node, "group", 1);
    const cin = x[1],
      wc = w[1];
    if (isNum(cin) && isNum(wc) && cin !== wc * group)
      throw new ShapeError(
        `Conv expects ${wc * group} input channels (weight ${wc} × group ${group}) but receives ${cin}`,
      );
    const spatial = x.slice(2).map((_, i) => windowOut(win, x.slice(2), i));
    return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? 1, w[0] ?? "?", ...spatial] }];
  },
  macs(ctx, outs) {
    const w = shapeOf(ctx, 1);
    const out = outs[0]?.shape;
    if (!out) return null;
    // N · Cout · ∏out_spatial · (Cin/groups) · ∏kernel = ∏out · ∏weight[1:]
    const a = prod(out),
      b = prod(w.slice(1));
    return a === null || b === null ? null : a * b;
  },
  rf: (ctx) => {
    const x = ctx.inputs[0]?.shape;
    const w = ctx.inputs[1]?.shape;
    // A depthwise convolution (one filter per channel) keeps channels apart, as a pool does.
    const depthwise =
      x !== undefined &&
      w !== undefined &&
      isNum(x[1]) &&
      x[1] === attrInt(ctx.node, "group", 1) &&
      w[0] === x[1];
    return windowField(
      ctx,
      x && w ? windowOf(ctx.node, x.slice(2), w.slice(2)) : undefined,
      false,
      depthwise,
    );
  },
};

const convTranspose: OpRule = {
  weightInputs: [1, 2],
  infer(ctx) {
    const { x, w, win } = convWindow(ctx, true);
    const group = attrInt(ctx.node, "group", 1);
    if (isNum(x[1]) && isNum(w[0]) && x[1] !== w[0])
      throw new ShapeError(`ConvTranspose expects ${w[0]} input channels but receives ${x[1]}`);
    const outPad = attrInts(ctx.node, "output_padding") ?? [];
    const outShape = attrInts(ctx.node, "output_shape");
    const spatial = x.slice(2).map((d, i): Dim => {
      if (outShape) return outShape[outShape.length - (x.length - 2) + i] ?? "?";
      const k = win.kernel[i] ?? 1,
        s = win.strides[i] ?? 1,
        dl = win.dilations[i] ?? 1;
      if (!isNum(d)) return `${s}·(${d}−1)+${(k - 1) * dl + 1}`;
      const out =
        s * (d - 1) + (outPad[i] ?? 0) + (k - 1) * dl + 1 - (win.padBegin[i] ?? 0) - (win.padEnd[i] ?? 0);
      if (out <= 0) throw new ShapeError(`ConvTranspose output size ${out} ≤ 0`);
      return out;
    });
    const cout = isNum(w[1]) ? w[1] * group : "?";
    return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? 1, cout, ...spatial] }];
  },
  macs(ctx) {
    // N · Cin · ∏in_spatial · (Cout/groups) · ∏kernel = ∏input · ∏weight[1:]
    const a = prod(shapeOf(ctx, 0)),
      b = prod(shapeOf(ctx, 1).slice(1));
    return a === null || b === null ? null : a * b;
  },
  rf: (ctx) => {
    const x = ctx.inputs[0]?.shape;
    const w = ctx.inputs[1]?.shape;
    return windowField(
      ctx,
      x && w ? windowOf(ctx.node, x.slice(2), w.slice(2), true) : undefined,
      true,
      false,
    );
  },
};

const pool: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    if (x.length < 3) throw new ShapeError(`${ctx.node.opType} needs an input of rank ≥ 3`);
    const win = windowOf(ctx.node, x.slice(2));
    const shape = [x[0] ?? 1, x[1] ?? "?", ...x.slice(2).map((_, i) => windowOut(win, x.slice(2), i))];
    const outs = [{ dtype: dtypeOf(ctx), shape }];
    if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) outs.push({ dtype: "int64", shape });
    return outs;
  },
  rf: (ctx) => {
    const x = ctx.inputs[0]?.shape;
    return windowField(ctx, x ? windowOf(ctx.node, x.slice(2)) : undefined, false, true);
  },
};

const globalPool: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    return [{ dtype: dtypeOf(ctx), shape: [...x.slice(0, 2), ...x.slice(2).map(() => 1)] }];
  },
  rf: "global",
};

export const WINDOW_OPS: Readonly<Record<string, OpRule>> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
};
