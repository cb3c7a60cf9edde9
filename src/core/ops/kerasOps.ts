/**
 * Keras layers whose weights no ONNX operator holds, as op table entries of ConvLens's own domain:
 * keras.layers.Normalization keeps a `count` weight (Keras's "Param #" counts it) that its call
 * never reads. Analysed like any op; onnxruntime cannot run them (buildRunnable says so).
 */
import { dtypeOf, shapeOf } from "./dims";
import type { OpRule } from "./types";

export const KERAS_DOMAIN = "org.convlens.keras";

/**
 * Normalization(x, mean, variance, count): (x - mean) / sqrt(variance), one value per kept axis;
 * mean, variance and count are its (non-trainable) weights unless the source gave mean and variance.
 */
const normalization: OpRule = {
  infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
  rf: "elementwise",
  weightInputs: [1, 2, 3],
};

export const KERAS_OPS: Readonly<Record<string, OpRule>> = { Normalization: normalization };
