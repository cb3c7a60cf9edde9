/**
 * Ops that sample at computed positions (GridSample, AffineGrid, RoiAlign, DeformConv) and the
 * signal ops (DFT, STFT, the window generators, MelWeightMatrix).
 */
import { dtypeFromOnnx } from "../ir/dtype";
import type { Dim } from "../ir/types";
import { attrInt, attrInts, axisOf, dtypeOf, isNum, shapeOf } from "./dims";
import { runtimeReason, runtimeShaped } from "./runtimeDims";
import { asFloatOp } from "./quantOps";
import type { OpContext, OpRule, ValueState } from "./types";
import { WINDOW_OPS } from "./windowOps";

/** A scalar operand's value, when known. */
function scalar(ctx: OpContext, i: number): number | undefined {
  const v = ctx.inputs[i]?.value?.[0];
  return isNum(v) ? v : undefined;
}

/** GridSample: [N, C, *grid's spatial sizes]. */
const gridSample: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const grid = shapeOf(ctx, 1);
    return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? "?", x[1] ?? "?", ...grid.slice(1, -1)] }];
  },
  rf: "global",
};

/** AffineGrid: theta [N, r, r+1] and size [N, C, *spatial] → [N, *spatial, r]. */
const affineGrid: OpRule = {
  infer(ctx) {
    const theta = shapeOf(ctx, 0);
    const size = ctx.inputs[1]?.value;
    const r = theta[1];
    if (size) return [{ dtype: dtypeOf(ctx), shape: [size[0] ?? "?", ...size.slice(2), r ?? "?"] }];
    const spatial: undefined[] = isNum(r) ? Array.from({ length: r }, () => undefined) : [];
    const dims = isNum(r) ? [theta[0], ...spatial, r] : undefined;
    return [runtimeShaped(ctx, dims, runtimeReason(ctx, "size", 1))];
  },
  rf: "none",
  sinceOpset: 20,
};

/** RoiAlign / MaxRoiPool: one pooled map per region of interest, [num_rois, C, *pooled]. */
function perRoi(pooled: (ctx: OpContext) => number[]): OpRule {
  return {
    infer(ctx) {
      const x = shapeOf(ctx, 0);
      const rois = shapeOf(ctx, 1);
      return [{ dtype: dtypeOf(ctx), shape: [rois[0] ?? "?", x[1] ?? "?", ...pooled(ctx)] }];
    },
    rf: "global",
  };
}

const roiAlign = perRoi((ctx) => [
  attrInt(ctx.node, "output_height", 1),
  attrInt(ctx.node, "output_width", 1),
]);

/** DFT: the signal axis becomes dft_length (half + 1 when one-sided), the last axis [re, im]. */
const dft: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const fromInput = ctx.opset >= 20 && (ctx.node.inputs[2] ?? "") !== "";
    const axisValue = fromInput ? scalar(ctx, 2) : attrInt(ctx.node, "axis", ctx.opset >= 20 ? -2 : 1);
    const lengthGiven = (ctx.node.inputs[1] ?? "") !== "";
    // A full transform of the input's own length keeps every axis, whichever is the signal's.
    if (axisValue === undefined && !lengthGiven && attrInt(ctx.node, "onesided", 0) === 0)
      return [{ dtype: dtypeOf(ctx), shape: x.map((d, i) => (i === x.length - 1 ? 2 : d)) }];
    if (axisValue === undefined) {
      const real = attrInt(ctx.node, "onesided", 0) === 1 && attrInt(ctx.node, "inverse", 0) === 1;
      const dims = x.map((d, i) => (i === x.length - 1 ? (real ? 1 : 2) : i === 0 ? d : undefined));
      return [runtimeShaped(ctx, dims, runtimeReason(ctx, "axis", 2))];
    }
    const axis = axisOf(axisValue, x.length);
    const given = lengthGiven;
    const n: Dim | undefined = given ? scalar(ctx, 1) : x[axis];
    const onesided = attrInt(ctx.node, "onesided", 0) === 1;
    // An inverse one-sided transform (irfft) gives back the real signal: full length, one channel.
    const toReal = onesided && attrInt(ctx.node, "inverse", 0) === 1;
    const full: Dim | undefined = given ? n : toReal && isNum(n) ? 2 * (n - 1) : n;
    const len: Dim | undefined =
      full === undefined ? undefined : isNum(full) && onesided && !toReal ? Math.floor(full / 2) + 1 : full;
    const dims = x.map((d, i) => (i === x.length - 1 ? (toReal ? 1 : 2) : i === axis ? len : d));
    if (len === undefined || (!isNum(len) && onesided))
      return [
        runtimeShaped(
          ctx,
          dims.map((d, i) => (i === axis ? undefined : d)),
          runtimeReason(ctx, "dft_length", 1),
        ),
      ];
    return [{ dtype: dtypeOf(ctx), shape: dims as Dim[] }];
  },
  rf: "global",
};

/** STFT: [batch, frames, bins, 2] from frame_step and the frame length (given or the window's). */
const stft: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const step = scalar(ctx, 1);
    const frameLength = scalar(ctx, 3) ?? ctx.inputs[2]?.shape?.[0];
    const onesided = attrInt(ctx.node, "onesided", 1) === 1;
    const len = x[1];
    const frames =
      isNum(len) && isNum(frameLength) && step ? Math.floor((len - frameLength) / step) + 1 : undefined;
    const bins = isNum(frameLength) ? (onesided ? Math.floor(frameLength / 2) + 1 : frameLength) : undefined;
    const dims = [x[0], frames, bins, 2];
    if (frames === undefined || bins === undefined)
      return [runtimeShaped(ctx, dims, runtimeReason(ctx, "frame_step / frame_length", step ? 3 : 1))];
    return [{ dtype: dtypeOf(ctx), shape: dims as Dim[] }];
  },
  rf: "global",
};

/** Hann / Hamming / Blackman windows: [size]. */
const windowFunction: OpRule = {
  infer(ctx): ValueState[] {
    const size = scalar(ctx, 0);
    const dtype = dtypeFromOnnx(attrInt(ctx.node, "output_datatype", 1));
    if (size === undefined) return [runtimeShaped(ctx, [undefined], runtimeReason(ctx, "size", 0), 0, dtype)];
    return [{ dtype, shape: [size] }];
  },
  rf: "none",
};

/** MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins]. */
const melWeightMatrix: OpRule = {
  infer(ctx) {
    const bins = scalar(ctx, 0);
    const dftLength = scalar(ctx, 1);
    const dtype = dtypeFromOnnx(attrInt(ctx.node, "output_datatype", 1));
    const dims = [dftLength === undefined ? undefined : Math.floor(dftLength / 2) + 1, bins];
    if (bins === undefined || dftLength === undefined)
      return [runtimeShaped(ctx, dims, runtimeReason(ctx, "num_mel_bins / dft_length", 0), 0, dtype)];
    return [{ dtype, shape: dims as number[] }];
  },
  rf: "none",
};

export const SAMPLING_OPS: Readonly<Record<string, OpRule>> = {
  GridSample: gridSample,
  AffineGrid: affineGrid,
  RoiAlign: roiAlign,
  MaxRoiPool: perRoi((ctx) => attrInts(ctx.node, "pooled_shape") ?? []),
  // X, W, offset, B, mask: the offsets move where the kernel reads, not the output's shape or MACs.
  DeformConv: asFloatOp(WINDOW_OPS["Conv"] as OpRule, [0, 1, 3], (ctx) => dtypeOf(ctx)),
  DFT: dft,
  STFT: stft,
  HannWindow: windowFunction,
  HammingWindow: windowFunction,
  BlackmanWindow: windowFunction,
  MelWeightMatrix: melWeightMatrix,
};
