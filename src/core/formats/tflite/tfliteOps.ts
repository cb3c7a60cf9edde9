/**
 * TFLite builtin operators as IR ops, one converter per builtin. Tensors stay NHWC as the file
 * keeps them: convolutions and pools run as Transpose → NCHW op → Transpose, their weights
 * (OHWI, [1,H,W,C] depthwise) through a Transpose to ONNX's layout, so the file's own weight
 * tensors are what is counted. A converter returns the float result; the emitter quantizes it
 * and gives it the file's tensor name. An operator with no converter, or with options a converter
 * does not follow, stays in the graph as an unknown op named after it (never dropped).
 */
import { onnxCodeOf } from "../../ir/dtype";
import type { AttrValue, Dim } from "../../ir/types";
import { ActivationFunctionType } from "./generated/tflite/activation-function-type";
import { AddOptions } from "./generated/tflite/add-options";
import { ConcatenationOptions } from "./generated/tflite/concatenation-options";
import { Conv2DOptions } from "./generated/tflite/conv2-doptions";
import { DepthToSpaceOptions } from "./generated/tflite/depth-to-space-options";
import { DivOptions } from "./generated/tflite/div-options";
import { DepthwiseConv2DOptions } from "./generated/tflite/depthwise-conv2-doptions";
import { FullyConnectedOptions } from "./generated/tflite/fully-connected-options";
import { GatherOptions } from "./generated/tflite/gather-options";
import { GeluOptions } from "./generated/tflite/gelu-options";
import { LeakyReluOptions } from "./generated/tflite/leaky-relu-options";
import { LocalResponseNormalizationOptions } from "./generated/tflite/local-response-normalization-options";
import { MirrorPadOptions } from "./generated/tflite/mirror-pad-options";
import { MulOptions } from "./generated/tflite/mul-options";
import { Padding } from "./generated/tflite/padding";
import { Pool2DOptions } from "./generated/tflite/pool2-doptions";
import { ReducerOptions } from "./generated/tflite/reducer-options";
import { ReshapeOptions } from "./generated/tflite/reshape-options";
import { ResizeBilinearOptions } from "./generated/tflite/resize-bilinear-options";
import { ResizeNearestNeighborOptions } from "./generated/tflite/resize-nearest-neighbor-options";
import { SoftmaxOptions } from "./generated/tflite/softmax-options";
import { SpaceToDepthOptions } from "./generated/tflite/space-to-depth-options";
import { SqueezeOptions } from "./generated/tflite/squeeze-options";
import { SubOptions } from "./generated/tflite/sub-options";
import { TransposeConvOptions } from "./generated/tflite/transpose-conv-options";
import { constantValues, TfliteUnsupported, type Emitter } from "./tfliteEmit";
import { TENSOR_CONVERTERS } from "./tfliteTensorOps";
import type { TflOperator, TflTensor } from "./tfliteFile";

/** What a converter works with: the operator's tensors and the emitter. */
export class OpCtx {
  constructor(
    readonly e: Emitter,
    readonly op: TflOperator,
  ) {}

  has(k: number): boolean {
    return (this.op.inputs[k] ?? -1) >= 0;
  }
  tensor(k: number): TflTensor {
    const t = this.e.tensors[this.op.inputs[k] ?? -1];
    if (!t) throw new TfliteUnsupported(`input ${k} is missing`);
    return t;
  }
  input(k: number): string {
    return this.e.value(this.tensor(k));
  }
  /** The values of constant input k (a shape, axes, paddings). */
  ints(k: number): number[] {
    const v = constantValues(this.tensor(k));
    if (!v) throw new TfliteUnsupported(`input ${k} ("${this.tensor(k).name}") is not a constant`);
    return v;
  }
  /** Stored dim `axis` of input k, known. */
  dim(k: number, axis: number): number {
    const d = this.tensor(k).shape?.[axis];
    if (typeof d !== "number") throw new TfliteUnsupported(`dim ${axis} of input ${k} is not known`);
    return d;
  }
  /** Stored dims of input k, all known. */
  dims(k: number): readonly number[] {
    const s = this.tensor(k).shape;
    if (!s || !s.every((d): d is number => typeof d === "number"))
      throw new TfliteUnsupported(`the shape of input ${k} is not known`);
    return s;
  }
  options<T>(ctor: new () => T): T | undefined {
    return (this.op.raw.builtinOptions(new ctor()) as T | null) ?? undefined;
  }
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.e.node(opType, inputs, attrs);
  }
  /** The ONNX dtype code of output k as the file stores it. */
  outputDtypeCode(k = 0): number {
    return onnxCodeOf(this.e.tensors[this.op.outputs[k] ?? -1]?.dtype ?? "float32");
  }
  /** The stored rank of input k. */
  rank(k: number): number {
    const s = this.tensor(k).shape;
    if (!s) throw new TfliteUnsupported(`the rank of input ${k} is not known`);
    return s.length;
  }
}

/** An operator's output value, or one per output tensor (SPLIT, UNPACK). */
export type Converter = (c: OpCtx) => string | readonly string[];

function activation(c: OpCtx, x: string, fn: number | undefined): string {
  const name = ActivationFunctionType[fn ?? 0];
  const clip = (lo: number, hi: number) => c.node("Clip", [x, c.e.floats([lo], []), c.e.floats([hi], [])]);
  switch (name) {
    case "NONE":
      return x;
    case "RELU":
      return c.node("Relu", [x]);
    case "RELU6":
      return clip(0, 6);
    case "RELU_N1_TO_1":
      return clip(-1, 1);
    case "TANH":
      return c.node("Tanh", [x]);
  }
  throw new TfliteUnsupported(`fused activation ${name ?? fn} is not supported`);
}

function padAttrs(p: Padding | undefined): Record<string, AttrValue> {
  // TensorFlow's SAME puts the odd pixel after, as ONNX SAME_UPPER does.
  return { auto_pad: p === Padding.VALID ? "VALID" : "SAME_UPPER" };
}

function conv2d(c: OpCtx): string {
  const o = c.options(Conv2DOptions);
  const [, kh = 1, kw = 1, wc = 1] = c.dims(1);
  const cin = c.dim(0, 3);
  const w = c.node("Transpose", [c.input(1)], { perm: [0, 3, 1, 2] });
  const attrs = {
    kernel_shape: [kh, kw],
    strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
    dilations: [o?.dilationHFactor() ?? 1, o?.dilationWFactor() ?? 1],
    ...(cin !== wc ? { group: cin / wc } : {}),
    ...padAttrs(o?.padding()),
  };
  const b = c.has(2) ? [c.input(2)] : [];
  const y = c.e.nchw(c.input(0), (x) => c.node("Conv", [x, w, ...b], attrs));
  return activation(c, y, o?.fusedActivationFunction());
}

function depthwise(c: OpCtx): string {
  const o = c.options(DepthwiseConv2DOptions);
  const [, kh = 1, kw = 1] = c.dims(1);
  const cin = c.dim(0, 3);
  // [1, H, W, C·M] → [C·M, 1, H, W], one group per input channel.
  const w = c.node("Transpose", [c.input(1)], { perm: [3, 0, 1, 2] });
  const attrs = {
    kernel_shape: [kh, kw],
    strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
    dilations: [o?.dilationHFactor() ?? 1, o?.dilationWFactor() ?? 1],
    group: cin,
    ...padAttrs(o?.padding()),
  };
  const b = c.has(2) ? [c.input(2)] : [];
  const y = c.e.nchw(c.input(0), (x) => c.node("Conv", [x, w, ...b], attrs));
  return activation(c, y, o?.fusedActivationFunction());
}

function transposeConv(c: OpCtx): string {
  const o = c.options(TransposeConvOptions);
  const [, oh = 0, ow = 0] = c.ints(0);
  const [, kh = 1, kw = 1] = c.dims(1);
  // OHWI → ONNX's [in, out, H, W].
  const w = c.node("Transpose", [c.input(1)], { perm: [3, 0, 1, 2] });
  const attrs = {
    kernel_shape: [kh, kw],
    strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
    output_shape: [oh, ow],
    ...(o?.padding() === Padding.VALID ? {} : { auto_pad: "SAME_UPPER" }),
  };
  const b = c.has(3) ? [c.input(3)] : [];
  const y = c.e.nchw(c.input(2), (x) => c.node("ConvTranspose", [x, w, ...b], attrs));
  return activation(c, y, o?.fusedActivationFunction());
}

function pool(opType: string): Converter {
  return (c) => {
    const o = c.options(Pool2DOptions);
    const attrs = {
      kernel_shape: [o?.filterHeight() ?? 1, o?.filterWidth() ?? 1],
      strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
      ...padAttrs(o?.padding()),
    };
    const y = c.e.nchw(c.input(0), (x) => c.node(opType, [x], attrs));
    return activation(c, y, o?.fusedActivationFunction());
  };
}

function fullyConnected(c: OpCtx): string {
  const o = c.options(FullyConnectedOptions);
  if (o && o.weightsFormat() !== 0) throw new TfliteUnsupported("shuffled weights are not supported");
  const [, features = 0] = c.dims(1);
  const rank = c.tensor(0).shape?.length ?? 0;
  const b = c.has(2) ? [c.input(2)] : [];
  let y: string;
  if (o?.keepNumDims() && rank !== 2) {
    y = c.node("MatMul", [c.input(0), c.node("Transpose", [c.input(1)], { perm: [1, 0] })]);
    if (b[0]) y = c.node("Add", [y, b[0]]);
  } else {
    // Without keep_num_dims every leading dim is folded into the batch.
    const x = rank === 2 ? c.input(0) : c.node("Reshape", [c.input(0), c.e.ints([-1, features])]);
    y = c.node("Gemm", [x, c.input(1), ...b], { transB: 1 });
  }
  return activation(c, y, o?.fusedActivationFunction());
}

/** The options table of an arithmetic op: each holds the fused activation. */
type Fused = new () => { fusedActivationFunction(): number };

function binary(opType: string, options?: Fused): Converter {
  return (c) => {
    const y = c.node(opType, [c.input(0), c.input(1)]);
    return options ? activation(c, y, c.options(options)?.fusedActivationFunction()) : y;
  };
}

function unary(opType: string, attrs: Record<string, AttrValue> = {}): Converter {
  return (c) => c.node(opType, [c.input(0)], attrs);
}

function clip(lo: number, hi: number): Converter {
  return (c) => c.node("Clip", [c.input(0), c.e.floats([lo], []), c.e.floats([hi], [])]);
}

function reduce(opType: string): Converter {
  return (c) => {
    const axes = c.ints(1);
    const keepdims = c.options(ReducerOptions)?.keepDims() ? 1 : 0;
    // Opset 17: ReduceSum takes its axes as an input, the others as an attribute.
    if (opType === "ReduceSum") return c.node(opType, [c.input(0), c.e.ints(axes)], { keepdims });
    return c.node(opType, [c.input(0)], { axes, keepdims });
  };
}

function pad(c: OpCtx, mode = "constant"): string {
  const p = c.ints(1);
  const pads = [...p.filter((_, i) => i % 2 === 0), ...p.filter((_, i) => i % 2 === 1)];
  const value = c.op.code === "PADV2" && c.has(2) ? [c.input(2)] : [];
  return c.node("Pad", [c.input(0), c.e.ints(pads), ...value], { mode });
}

function resize(mode: "linear" | "nearest"): Converter {
  return (c) => {
    const [h = 0, w = 0] = c.ints(1);
    const o = mode === "linear" ? c.options(ResizeBilinearOptions) : c.options(ResizeNearestNeighborOptions);
    const halfPixel = mode === "linear" ? "half_pixel" : "tf_half_pixel_for_nn";
    const attrs = {
      mode,
      coordinate_transformation_mode: o?.alignCorners()
        ? "align_corners"
        : o?.halfPixelCenters()
          ? halfPixel
          : "asymmetric",
      ...(mode === "nearest" ? { nearest_mode: o?.alignCorners() ? "round_prefer_ceil" : "floor" } : {}),
    };
    const [n, ih, iw, ch] = c.tensor(0).shape ?? [];
    if (typeof n === "number" && typeof ch === "number")
      return c.node("Resize", [c.input(0), "", "", c.e.ints([n, h, w, ch])], attrs);
    // A dynamic batch: sizes cannot say it, scales can (the stored height and width are known).
    if (typeof ih !== "number" || typeof iw !== "number")
      throw new TfliteUnsupported("the input size is not known");
    return c.node("Resize", [c.input(0), "", c.e.floats([1, h / ih, w / iw, 1])], attrs);
  };
}

function reshape(c: OpCtx): string {
  const fromInput = c.has(1) ? constantValues(c.tensor(1)) : undefined;
  const fromOptions = [...(c.options(ReshapeOptions)?.newShapeArray() ?? [])];
  const out = c.e.tensors[c.op.outputs[0] ?? -1]?.shape ?? [];
  const shape =
    fromInput ?? (fromOptions.length ? fromOptions : out.map((d: Dim) => (typeof d === "number" ? d : -1)));
  return c.node("Reshape", [c.input(0), c.e.ints(shape)]);
}

function squeeze(c: OpCtx): string {
  let axes = [...(c.options(SqueezeOptions)?.squeezeDimsArray() ?? [])];
  if (!axes.length) axes = c.dims(0).flatMap((d, i) => (d === 1 ? [i] : []));
  return c.node("Squeeze", [c.input(0), c.e.ints(axes)]);
}

function softmax(c: OpCtx): string {
  const beta = c.options(SoftmaxOptions)?.beta() ?? 1;
  const x = beta === 1 ? c.input(0) : c.node("Mul", [c.input(0), c.e.floats([beta], [])]);
  return c.node("Softmax", [x], { axis: -1 });
}

export const CONVERTERS: Readonly<Record<string, Converter>> = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwise,
  TRANSPOSE_CONV: transposeConv,
  FULLY_CONNECTED: fullyConnected,
  MAX_POOL_2D: pool("MaxPool"),
  AVERAGE_POOL_2D: pool("AveragePool"),
  L2_POOL_2D: pool("LpPool"),
  ADD: binary("Add", AddOptions),
  SUB: binary("Sub", SubOptions),
  MUL: binary("Mul", MulOptions),
  DIV: binary("Div", DivOptions),
  MAXIMUM: binary("Max"),
  MINIMUM: binary("Min"),
  POW: binary("Pow"),
  SQUARED_DIFFERENCE: (c) => {
    const d = c.node("Sub", [c.input(0), c.input(1)]);
    return c.node("Mul", [d, d]);
  },
  CONCATENATION: (c) => {
    const o = c.options(ConcatenationOptions);
    const xs = c.op.inputs.map((_, k) => c.input(k));
    return activation(c, c.node("Concat", xs, { axis: o?.axis() ?? 0 }), o?.fusedActivationFunction());
  },
  RESHAPE: reshape,
  SQUEEZE: squeeze,
  EXPAND_DIMS: (c) => c.node("Unsqueeze", [c.input(0), c.e.ints(c.ints(1))]),
  TRANSPOSE: (c) => c.node("Transpose", [c.input(0)], { perm: c.ints(1) }),
  TILE: (c) => c.node("Tile", [c.input(0), c.e.ints(c.ints(1))]),
  BROADCAST_TO: (c) => c.node("Expand", [c.input(0), c.e.ints(c.ints(1))]),
  GATHER: (c) => c.node("Gather", [c.input(0), c.input(1)], { axis: c.options(GatherOptions)?.axis() ?? 0 }),
  SOFTMAX: softmax,
  LOG_SOFTMAX: unary("LogSoftmax", { axis: -1 }),
  MEAN: reduce("ReduceMean"),
  SUM: reduce("ReduceSum"),
  REDUCE_MAX: reduce("ReduceMax"),
  REDUCE_MIN: reduce("ReduceMin"),
  REDUCE_PROD: reduce("ReduceProd"),
  PAD: (c) => pad(c),
  PADV2: (c) => pad(c),
  MIRROR_PAD: (c) => {
    // SYMMETRIC repeats the border pixel, which no ONNX Pad mode does.
    if (c.options(MirrorPadOptions)?.mode())
      throw new TfliteUnsupported("SYMMETRIC mirror padding is not supported");
    return pad(c, "reflect");
  },
  RESIZE_BILINEAR: resize("linear"),
  RESIZE_NEAREST_NEIGHBOR: resize("nearest"),
  SPACE_TO_DEPTH: (c) => {
    const blocksize = c.options(SpaceToDepthOptions)?.blockSize() ?? 1;
    return c.e.nchw(c.input(0), (x) => c.node("SpaceToDepth", [x], { blocksize }));
  },
  DEPTH_TO_SPACE: (c) => {
    const blocksize = c.options(DepthToSpaceOptions)?.blockSize() ?? 1;
    return c.e.nchw(c.input(0), (x) => c.node("DepthToSpace", [x], { blocksize, mode: "DCR" }));
  },
  LOCAL_RESPONSE_NORMALIZATION: (c) => {
    const o = c.options(LocalResponseNormalizationOptions);
    const size = 2 * (o?.radius() ?? 0) + 1;
    // TensorFlow scales the sum of squares by alpha, ONNX by alpha / size.
    const attrs = { size, alpha: (o?.alpha() ?? 1) * size, beta: o?.beta() ?? 0.5, bias: o?.bias() ?? 1 };
    return c.e.nchw(c.input(0), (x) => c.node("LRN", [x], attrs));
  },
  L2_NORMALIZATION: unary("LpNormalization", { axis: -1, p: 2 }),
  // QUANTIZE / DEQUANTIZE: the emitter dequantizes the input and quantizes the output.
  QUANTIZE: (c) => c.input(0),
  // DENSIFY: its input is a sparse weight the reader has already densified (tfliteSparsity.ts).
  DENSIFY: (c) => c.input(0),
  DEQUANTIZE: (c) =>
    c.tensor(0).dtype === "float32" ? c.input(0) : c.node("Cast", [c.input(0)], { to: c.outputDtypeCode() }),
  CAST: (c) => c.node("Cast", [c.input(0)], { to: c.outputDtypeCode() }),
  RELU: unary("Relu"),
  RELU6: clip(0, 6),
  RELU_N1_TO_1: clip(-1, 1),
  RELU_0_TO_1: clip(0, 1),
  LOGISTIC: unary("Sigmoid"),
  TANH: unary("Tanh"),
  HARD_SWISH: unary("HardSwish"),
  ELU: unary("Elu"),
  GELU: (c) =>
    c.node("Gelu", [c.input(0)], c.options(GeluOptions)?.approximate() ? { approximate: "tanh" } : {}),
  LEAKY_RELU: (c) =>
    c.node("LeakyRelu", [c.input(0)], { alpha: c.options(LeakyReluOptions)?.alpha() ?? 0.2 }),
  PRELU: (c) => c.node("PRelu", [c.input(0), c.input(1)]),
  EXP: unary("Exp"),
  LOG: unary("Log"),
  SQRT: unary("Sqrt"),
  RSQRT: (c) => c.node("Reciprocal", [c.node("Sqrt", [c.input(0)])]),
  ABS: unary("Abs"),
  NEG: unary("Neg"),
  FLOOR: unary("Floor"),
  CEIL: unary("Ceil"),
  ROUND: unary("Round"),
  SIN: unary("Sin"),
  COS: unary("Cos"),
  SQUARE: (c) => c.node("Mul", [c.input(0), c.input(0)]),
  ...TENSOR_CONVERTERS,
};
