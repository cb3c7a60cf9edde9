/**
 * Caffe layers that have no ONNX operator, as op table entries of ConvLens's own domain: the SSD
 * fork's PriorBox and DetectionOutput (weiliu89/caffe), Fast/Faster R-CNN's ROIPooling
 * (rbgirshick/caffe-fast-rcnn), R-FCN's PSROIPooling (daijifeng001/caffe-rfcn) and BVLC's recurrent
 * LSTM / RNN, whose
 * `cont` input and gate order (i, f, o, g) differ from ONNX's LSTM. They are analysed like any
 * op; onnxruntime cannot run them (buildRunnable says so).
 */
import type { Dim } from "../ir/types";
import type { AttrSpec } from "./attrSchemas";
import { hasSpatial } from "../fields/receptiveField";
import { attrFloats, attrInt, dtypeOf, isNum, numeric, product, shapeOf } from "./dims";
import { runtimeShaped } from "./runtimeDims";
import { ShapeError, type OpContext, type OpRule, type RfContext } from "./types";

export const CAFFE_DOMAIN = "org.convlens.caffe";

const spec = (name: string, type: AttrSpec["type"], dflt?: number): AttrSpec => ({
  name,
  type,
  ...(dflt !== undefined ? { default: dflt } : {}),
});

/**
 * PriorBox's boxes per location (prior_box_layer.cpp, LayerSetUp): aspect ratio 1, then each
 * given ratio not yet present (and 1/ratio when flipping), times the min sizes, plus one per max size.
 */
export function priorsPerLocation(
  minSizes: number,
  maxSizes: number,
  ratios: number[],
  flip: boolean,
): number {
  const kept = [1];
  for (const ar of ratios) {
    if (kept.some((k) => Math.abs(ar - k) < 1e-6)) continue;
    kept.push(ar);
    if (flip) kept.push(1 / ar);
  }
  return kept.length * minSizes + maxSizes;
}

/** [1, 2, H·W·priors·4]: every box's 4 coordinates, then (second channel) their 4 variances. */
const priorBox: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const n = ctx.node;
    const priors = priorsPerLocation(
      attrFloats(n, "min_sizes")?.length ?? 0,
      attrFloats(n, "max_sizes")?.length ?? 0,
      attrFloats(n, "aspect_ratios") ?? [],
      attrInt(n, "flip", 1) === 1,
    );
    const h: Dim = x[2] ?? 1,
      w: Dim = x[3] ?? 1;
    return [{ dtype: dtypeOf(ctx), shape: [1, 2, product([h, w, priors * 4])] }];
  },
  // The boxes depend on the feature map's size only, not on its values.
  rf: "none",
  attrs: [
    spec("min_sizes", "floats"),
    spec("max_sizes", "floats"),
    spec("aspect_ratios", "floats"),
    spec("flip", "int", 1),
    spec("clip", "int", 0),
    spec("variances", "floats"),
    spec("step_h", "float", 0),
    spec("step_w", "float", 0),
    spec("offset", "float", 0.5),
  ],
};

/** [1, 1, N, 7] rows (image, label, score, box); N is how many boxes pass the threshold and NMS. */
const detectionOutput: OpRule = {
  infer(ctx) {
    const keep = attrInt(ctx.node, "keep_top_k", -1);
    const bound = keep >= 0 ? `at most keep_top_k = ${keep} per image` : "keep_top_k not set";
    const why = `DetectionOutput: how many boxes pass the confidence threshold and NMS is only known at run time (${bound})`;
    return [runtimeShaped(ctx, [1, 1, undefined, 7], why)];
  },
  rf: "global",
  attrs: [
    spec("num_classes", "int"),
    spec("share_location", "int", 1),
    spec("background_label_id", "int", 0),
    spec("nms_threshold", "float", 0.3),
    spec("top_k", "int", -1),
    spec("keep_top_k", "int", -1),
    spec("confidence_threshold", "float"),
  ],
};

/**
 * Caffe's LSTM (inputs x, cont, W_xc [4H, I], b_c [4H], W_hc [4H, H]) and RNN (x, cont, W_xh [H, I],
 * b_h, W_hh [H, H], W_ho [H, H], b_o): x is [T, N, …], the output [T, N, H]; per step and sample
 * `gates`·H·(I + H) multiply-adds, plus H·H for the RNN's output layer.
 */
function recurrent(gates: number, outputLayer: boolean): OpRule {
  const sizes = (ctx: OpContext) => {
    const x = shapeOf(ctx, 0);
    const whh = shapeOf(ctx, 4);
    return { t: x[0] ?? 1, n: x[1] ?? 1, i: product(x.slice(2)), h: whh[1] ?? 1 };
  };
  return {
    infer(ctx) {
      const s = sizes(ctx);
      return [{ dtype: dtypeOf(ctx), shape: [s.t, s.n, s.h] }];
    },
    macs(ctx) {
      const s = numeric([sizes(ctx).t, sizes(ctx).n, sizes(ctx).i, sizes(ctx).h]);
      if (!s) return null;
      const [t = 0, n = 0, i = 0, h = 0] = s;
      return t * n * (gates * h * (i + h) + (outputLayer ? h * h : 0));
    },
    rf: "global",
    weightInputs: outputLayer ? [2, 3, 4, 5, 6] : [2, 3, 4],
    attrs: [spec("num_output", "int")],
  };
}

/** The regions: rois is [R, 5] (image index, x1, y1, x2, y2), or [R, 5, 1, 1] as proposal layers give it. */
function roiCount(ctx: OpContext): Dim {
  const r = shapeOf(ctx, 1);
  const [n = 1, five] = r;
  if (r.length < 2 || (isNum(five) && five !== 5) || r.slice(2).some((d) => isNum(d) && d !== 1))
    throw new ShapeError(
      `${ctx.node.opType}'s rois are [R, 5] (image, x1, y1, x2, y2), not [${r.join(", ")}]`,
    );
  return n;
}

/**
 * Each region's bins have the position and size the rois' values give them: no fixed window of the
 * feature map describes an output position.
 */
function roiRf(ctx: RfContext): undefined {
  if (ctx.fields.some(hasSpatial))
    throw new Error(
      `${ctx.node.opType} pools the regions its rois input names, whose place and size are values known only at run time`,
    );
  return undefined;
}

/**
 * ROIPooling (roi_pooling_layer.cpp): [R, C, pooled_h, pooled_w], the max over each bin of each
 * region. No multiply-adds (a max, as MaxPool counts 0); how many values each bin compares depends on
 * the rois' values.
 */
const roiPooling: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const ph = attrInt(ctx.node, "pooled_h", 0),
      pw = attrInt(ctx.node, "pooled_w", 0);
    if (ph <= 0 || pw <= 0)
      throw new ShapeError(`ROIPooling needs pooled_h and pooled_w > 0 (got ${ph}, ${pw})`);
    const c = x[1];
    if (x.length !== 4 || c === undefined)
      throw new ShapeError(`ROIPooling pools an [N, C, H, W] map, not [${x.join(", ")}]`);
    return [{ dtype: dtypeOf(ctx), shape: [roiCount(ctx), c, ph, pw] }];
  },
  rf: roiRf,
  attrs: [spec("pooled_h", "int", 0), spec("pooled_w", "int", 0), spec("spatial_scale", "float", 1)],
};

/**
 * PSROIPooling (R-FCN's psroi_pooling_layer.cpp): [R, output_dim, group_size, group_size], bin (i, j)
 * of output channel c averaging input channel (c·group_size + i)·group_size + j, so the input has
 * output_dim·group_size² channels. No multiply-adds (sums and one division per output, as
 * AveragePool counts 0).
 */
const psRoiPooling: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const dim = attrInt(ctx.node, "output_dim", 0),
      g = attrInt(ctx.node, "group_size", 0);
    if (dim <= 0 || g <= 0)
      throw new ShapeError(`PSROIPooling needs output_dim and group_size > 0 (got ${dim}, ${g})`);
    const c = x[1];
    if (isNum(c) && c !== dim * g * g)
      throw new ShapeError(`PSROIPooling takes output_dim·group_size² = ${dim * g * g} channels, not ${c}`, [
        c,
        dim * g * g,
      ]);
    return [{ dtype: dtypeOf(ctx), shape: [roiCount(ctx), dim, g, g] }];
  },
  rf: roiRf,
  attrs: [spec("spatial_scale", "float"), spec("output_dim", "int"), spec("group_size", "int")],
};

export const CAFFE_OPS: Readonly<Record<string, OpRule>> = {
  ROIPooling: roiPooling,
  PSROIPooling: psRoiPooling,
  PriorBox: priorBox,
  DetectionOutput: detectionOutput,
  LSTM: recurrent(4, false),
  RNN: recurrent(1, true),
};
