/**
 * Custom operators whose semantics are published, by custom code. Anything else custom stays an
 * unknown op named after its code (TFLite_Detection_PostProcess, MaxPoolingWithArgmax2D, …).
 */
import { TfliteUnsupported } from "./tfliteEmit";
import type { Converter, OpCtx } from "./tfliteOps";

const TFLITE_PADDING_SAME = 1;
const TFLITE_PADDING_VALID = 2;

/**
 * MediaPipe's Convolution2DTransposeBias (mediapipe/util/tflite/operations/transpose_conv_bias.cc):
 * TRANSPOSE_CONV with a bias input and no output-shape input. Inputs (input, OHWI weights, bias);
 * custom options are the raw TfLiteTransposeConvParams struct {padding, stride_width, stride_height},
 * three little-endian int32. Its Prepare gives H = s·(h−1) + k − pad with, for SAME,
 * pad = max(0, k − (h−1) mod s − 1), pad / 2 of it before: ONNX ConvTranspose with those pads.
 */
function convolution2DTransposeBias(c: OpCtx): string {
  const bytes = c.op.raw.customOptionsArray();
  if (!bytes || bytes.length < 12) throw new TfliteUnsupported("its padding and strides are not in the file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [padding, strideW, strideH] = [0, 4, 8].map((at) => view.getInt32(at, true));
  if (padding !== TFLITE_PADDING_SAME && padding !== TFLITE_PADDING_VALID)
    throw new TfliteUnsupported(`padding ${padding} is neither SAME nor VALID`);
  const [sh = 0, sw = 0] = [strideH, strideW];
  if (sh < 1 || sw < 1) throw new TfliteUnsupported(`strides ${sh}×${sw} are not positive`);
  const [, kh = 1, kw = 1] = c.dims(1);
  const total = (k: number, s: number, n: number) =>
    padding === TFLITE_PADDING_SAME ? Math.max(0, k - ((n - 1) % s) - 1) : 0;
  const th = total(kh, sh, c.dim(0, 1));
  const tw = total(kw, sw, c.dim(0, 2));
  const pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  // OHWI → ONNX's [in, out, H, W].
  const w = c.node("Transpose", [c.input(1)], { perm: [3, 0, 1, 2] });
  const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads };
  return c.e.nchw(c.input(0), (x) => c.node("ConvTranspose", [x, w, c.input(2)], attrs));
}

export const CUSTOM_CONVERTERS: Readonly<Record<string, Converter>> = {
  Convolution2DTransposeBias: convolution2DTransposeBias,
};
