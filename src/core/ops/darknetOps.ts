/**
 * Darknet layers that have no ONNX operator, as op table entries of ConvLens's own domain:
 * pjreddie's [local] (YOLOv1's locally connected layer). They are analysed like any op;
 * onnxruntime cannot run them (buildRunnable says so).
 */
import { conv } from "./windowOps";
import type { OpContext, OpRule } from "./types";

export const DARKNET_DOMAIN = "org.convlens.darknet";

/**
 * A convolution whose filters differ at every output position (local_layer.c): the weight input is
 * [positions, filters, C, k, k], the bias [filters, H_out, W_out]. Seen as a Conv with one
 * position's weights, its shape, receptive field and per-position cost are the Conv's.
 */
const asConv = <C extends OpContext>(ctx: C): C => {
  const w = ctx.inputs[1];
  return { ...ctx, inputs: [ctx.inputs[0], w?.shape ? { ...w, shape: w.shape.slice(1) } : undefined] };
};

const local: OpRule = {
  infer: (ctx) => conv.infer(asConv(ctx)),
  macs: (ctx, outs) => conv.macs?.(asConv(ctx), outs) ?? 0,
  rf: (ctx) => (typeof conv.rf === "function" ? conv.rf(asConv(ctx)) : undefined),
  weightInputs: [1, 2],
  attrs: [
    { name: "kernel_shape", type: "ints" },
    { name: "strides", type: "ints" },
    { name: "pads", type: "ints" },
  ],
};

export const DARKNET_OPS: Readonly<Record<string, OpRule>> = { Local: local };
