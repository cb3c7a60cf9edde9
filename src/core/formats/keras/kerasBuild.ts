/**
 * Builds a Keras model — recorded from Python source or read from a saved file — into
 * the shared IR, channels-last as Keras reports shapes (a conv runs as Transpose → Conv →
 * Transpose), with Keras layer names and Keras parameter counts. Layer semantics live
 * here once, read from `get_config()` names; recurrent layers are in kerasRecurrent.ts.
 */
import type { AttrValue, Dim } from "../../ir/types";
import type { GraphBuilder } from "../python/graphBuilder";
import type { PyTensor } from "../python/values";
import {
  isObject,
  kerasDType,
  shapeDims,
  untuple,
  type KNode,
  type KObject,
  type KValue,
  type KerasLayer,
  type KerasModel,
} from "./kerasModel";
import { KERAS_DOMAIN } from "../../ops/kerasOps";
import { OPERATOR_RULES } from "./kerasOperators";
import { recurrent } from "./kerasRecurrent";

export class KerasBuildError extends Error {}

/** A layer argument the source computes at run time: the layer is unknown, never the whole model refused. */
class NotConstantError extends KerasBuildError {}

/** One layer's config read by Keras argument name; errors name the layer. */
export class LayerConfig {
  constructor(readonly layer: KerasLayer) {}

  fail(message: string): never {
    throw new KerasBuildError(`${this.layer.type} "${this.layer.name}": ${message}`);
  }
  raw(key: string): KValue | undefined {
    const why = this.layer.notConstant?.get(key);
    if (why !== undefined) throw new NotConstantError(`${key} is not a constant${why ? ` (${why})` : ""}`);
    return untuple(this.layer.config[key]);
  }
  has(key: string): boolean {
    const v = this.raw(key);
    return v !== undefined && v !== null;
  }
  num(key: string, dflt?: number): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt ?? this.fail(`${key} is missing`);
    const n = Array.isArray(v) && v.length === 1 ? (v as readonly KValue[])[0] : v;
    return typeof n === "number" ? n : this.fail(`${key} is not a number (${JSON.stringify(v)})`);
  }
  int(key: string, dflt?: number): number {
    const n = this.num(key, dflt);
    return Number.isInteger(n) ? n : this.fail(`${key} is not an integer (${n})`);
  }
  /** An int or a list of `rank` ints (kernel_size=3 or (3, 3)). */
  ints(key: string, rank: number, dflt?: number): number[] {
    const v = this.raw(key);
    if (v === undefined || v === null)
      return dflt === undefined ? this.fail(`${key} is missing`) : new Array<number>(rank).fill(dflt);
    if (typeof v === "number") return new Array<number>(rank).fill(v);
    const xs = Array.isArray(v) ? (v as readonly KValue[]).map(untuple) : [];
    if (xs.length !== rank || !xs.every((x): x is number => typeof x === "number" && Number.isInteger(x)))
      this.fail(`${key} ${JSON.stringify(v)} is not ${rank} integer(s)`);
    return xs;
  }
  str(key: string, dflt: string): string {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    return typeof v === "string" ? v : this.fail(`${key} is not a string (${JSON.stringify(v)})`);
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    return typeof v === "boolean" ? v : this.fail(`${key} is not true or false (${JSON.stringify(v)})`);
  }
}

/** What a layer rule works with: its config, and nodes / weights named after the layer. */
export interface LayerOps {
  readonly c: LayerConfig;
  readonly b: GraphBuilder;
  op(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    outputs?: number,
  ): PyTensor[];
  /** One node with one output; `domain` for ConvLens's own ops (ops/kerasOps.ts). */
  one(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    domain?: string,
  ): PyTensor;
  weight(suffix: string, dims: number[], role?: "parameter" | "buffer"): string;
  /**
   * Apply a wrapped layer ({class_name, config}) under this layer's name (Bidirectional, TimeDistributed).
   */
  inner(key: string, xs: readonly PyTensor[]): PyTensor[];
  innerConfig(key: string): LayerOps;
  /** The shape of a tensor, or a clear error (with the shape error that made it unknown). */
  shape(x: PyTensor): readonly Dim[];
}

export type LayerRule = (o: LayerOps, xs: readonly PyTensor[]) => PyTensor | readonly PyTensor[];

function first(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  return xs[0] ?? o.c.fail("it has no input");
}
function known(o: LayerOps, d: Dim | undefined, what: string): number {
  return typeof d === "number" ? d : o.c.fail(`${what} is not known (${d ?? "missing"})`);
}
function rankOf(type: string): number {
  return Number(/([123])D/.exec(type)?.[1] ?? 2);
}
function channelsLast(o: LayerOps): boolean {
  return o.c.str("data_format", "channels_last") !== "channels_first";
}
function channels(o: LayerOps, x: PyTensor): number {
  const s = o.shape(x);
  return known(o, s[channelsLast(o) ? s.length - 1 : 1], "the channels of its input");
}

/** Run an NCHW op on a channels-last tensor: transpose in, op, transpose back. */
function spatial(o: LayerOps, x: PyTensor, body: (y: PyTensor) => PyTensor): PyTensor {
  const r = o.shape(x).length;
  if (!channelsLast(o) || r <= 2) return body(x);
  const toFirst = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  const toLast = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  return o.one("Transpose", [body(o.one("Transpose", [x.value], { perm: toFirst })).value], { perm: toLast });
}

const ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  elu: "Elu",
  selu: "Selu",
  gelu: "Gelu",
  swish: "Silu",
  silu: "Silu",
  softplus: "Softplus",
  softsign: "Softsign",
  exponential: "Exp",
  mish: "Mish",
  hard_swish: "HardSwish",
  hard_silu: "HardSwish",
};

/**
 * The name of an activation as configs write it: "relu", or Keras 3's {"class_name": "function", "config":
 * "relu"}.
 */
function activationName(o: LayerOps, key: string): string | undefined {
  const v = o.c.raw(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v["config"] === "string") return v["config"];
  return o.c.fail(`${key} ${JSON.stringify(v)} is not a built-in activation`);
}

export function activate(o: LayerOps, x: PyTensor, fn: string | undefined): PyTensor {
  if (!fn || fn === "linear") return x;
  switch (fn) {
    case "softmax":
      return o.one("Softmax", [x.value], { axis: -1 });
    case "log_softmax":
      return o.one("LogSoftmax", [x.value], { axis: -1 });
    case "relu6":
      return o.one("Clip", [x.value, o.b.constScalar(0), o.b.constScalar(6)]);
    case "leaky_relu":
      return o.one("LeakyRelu", [x.value], { alpha: 0.2 });
    case "hard_sigmoid":
      return o.one("HardSigmoid", [x.value], { alpha: 1 / 6, beta: 0.5 });
  }
  const op = ACTIVATIONS[fn];
  if (!op) o.c.fail(`activation "${fn}" is not known`);
  return o.one(op, [x.value]);
}

function useBias(o: LayerOps): boolean {
  return o.c.bool("use_bias", true);
}

/** The padding mode, lower-cased as Keras's standardize_padding does (ResNet50 writes "SAME"). */
function paddingMode(o: LayerOps): string {
  return o.c.str("padding", "valid").toLowerCase();
}

function padAttrs(o: LayerOps, k: readonly number[], d: readonly number[]): Record<string, AttrValue> {
  const pad = paddingMode(o);
  if (pad === "same") return { auto_pad: "SAME_UPPER" };
  if (pad === "valid") return { auto_pad: "VALID" };
  // Conv1D causal: all the padding on the left, so step t sees only steps ≤ t.
  if (pad === "causal" && k.length === 1) return { pads: [((k[0] ?? 1) - 1) * (d[0] ?? 1), 0] };
  return o.c.fail(`padding "${pad}" is not supported`);
}

function conv(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const filters = o.c.int("filters");
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const groups = o.c.int("groups", 1);
  const cin = channels(o, x);
  const inputs = (z: PyTensor) => [
    z.value,
    o.weight("kernel", [filters, cin / groups, ...k]),
    ...(useBias(o) ? [o.weight("bias", [filters])] : []),
  ];
  const attrs = {
    kernel_shape: k,
    strides: s,
    dilations: d,
    ...(groups !== 1 ? { group: groups } : {}),
    ...padAttrs(o, k, d),
  };
  return activate(
    o,
    spatial(o, x, (z) => o.one("Conv", inputs(z), attrs)),
    activationName(o, "activation"),
  );
}

/** Conv{1,2,3}DTranspose with Keras's output sizes (deconv_output_length). */
function convTranspose(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const filters = o.c.int("filters");
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const pad = paddingMode(o);
  const cin = channels(o, x);
  const ext = k.map((ki, i) => (ki - 1) * (d[i] ?? 1) + 1);
  let attrs: Record<string, AttrValue>;
  if (o.c.has("output_padding")) {
    const op = o.c.ints("output_padding", rank);
    const p = ext.map((e) => (pad === "same" ? Math.floor(e / 2) : 0));
    attrs = { pads: [...p, ...p], output_padding: op };
  } else if (pad === "same") attrs = { auto_pad: "SAME_UPPER" };
  // "valid": length · stride + max(kernel − stride, 0), i.e. padded at the end when the kernel is smaller
  // than the stride.
  else attrs = { output_padding: ext.map((e, i) => Math.max((s[i] ?? 1) - e, 0)) };
  const inputs = (z: PyTensor) => [
    z.value,
    o.weight("kernel", [cin, filters, ...k]),
    ...(useBias(o) ? [o.weight("bias", [filters])] : []),
  ];
  const y = spatial(o, x, (z) =>
    o.one("ConvTranspose", inputs(z), { kernel_shape: k, strides: s, dilations: d, ...attrs }),
  );
  return activate(o, y, activationName(o, "activation"));
}

/** DepthwiseConv{1,2}D and SeparableConv{1,2}D (depthwise, then a 1×1 pointwise conv). */
function depthwise(o: LayerOps, xs: readonly PyTensor[], separable: boolean): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const m = o.c.int("depth_multiplier", 1);
  const cin = channels(o, x);
  const dwAttrs = { kernel_shape: k, strides: s, dilations: d, group: cin, ...padAttrs(o, k, d) };
  const y = spatial(o, x, (z) => {
    if (!separable)
      return o.one(
        "Conv",
        [
          z.value,
          o.weight("depthwise_kernel", [cin * m, 1, ...k]),
          ...(useBias(o) ? [o.weight("bias", [cin * m])] : []),
        ],
        dwAttrs,
      );
    const dw = o.one("Conv", [z.value, o.weight("depthwise_kernel", [cin * m, 1, ...k])], dwAttrs);
    const filters = o.c.int("filters");
    const ones = new Array<number>(rank).fill(1);
    return o.one(
      "Conv",
      [
        dw.value,
        o.weight("pointwise_kernel", [filters, cin * m, ...ones]),
        ...(useBias(o) ? [o.weight("bias", [filters])] : []),
      ],
      { kernel_shape: ones },
    );
  });
  return activate(o, y, activationName(o, "activation"));
}

function dense(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const units = o.c.int("units");
  const s = o.shape(x);
  const fin = known(o, s[s.length - 1], "its input size");
  let y = o.one("MatMul", [x.value, o.weight("kernel", [fin, units])]);
  if (useBias(o)) y = o.one("Add", [y.value, o.weight("bias", [units])]);
  return activate(o, y, activationName(o, "activation"));
}

function pool(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const k = o.c.ints("pool_size", rank, 2);
  const s = o.c.has("strides") ? o.c.ints("strides", rank) : k;
  const op = o.c.layer.type.startsWith("Max") ? "MaxPool" : "AveragePool";
  return spatial(o, x, (z) => o.one(op, [z.value], { kernel_shape: k, strides: s, ...padAttrs(o, k, []) }));
}

function globalPool(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const r = o.shape(x).length;
  const axes = channelsLast(o)
    ? Array.from({ length: r - 2 }, (_, i) => i + 1)
    : Array.from({ length: r - 2 }, (_, i) => i + 2);
  return o.one(o.c.layer.type.includes("Max") ? "ReduceMax" : "ReduceMean", [x.value], {
    axes,
    keepdims: o.c.bool("keepdims", false) ? 1 : 0,
  });
}

function batchNorm(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const r = o.shape(x).length;
  const axis = o.c.int("axis", -1);
  const a = axis < 0 ? axis + r : axis;
  const c = known(o, o.shape(x)[a], "the size of its axis");
  const gamma = o.c.bool("scale", true)
    ? o.weight("gamma", [c])
    : o.b.constFloats(new Array<number>(c).fill(1));
  const beta = o.c.bool("center", true)
    ? o.weight("beta", [c])
    : o.b.constFloats(new Array<number>(c).fill(0));
  // Keras counts the moving statistics in its "Param #" (as non-trainable parameters).
  const inputs = (z: PyTensor) => [
    z.value,
    gamma,
    beta,
    o.weight("moving_mean", [c]),
    o.weight("moving_variance", [c]),
  ];
  const attrs = { epsilon: o.c.num("epsilon", 1e-3) };
  if (a === 1) return o.one("BatchNormalization", inputs(x), attrs);
  if (a !== r - 1) o.c.fail(`axis ${axis} is neither the channels-first nor the channels-last axis`);
  return spatial(o, x, (z) => o.one("BatchNormalization", inputs(z), attrs));
}

function layerNorm(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const r = o.shape(x).length;
  const raw = o.c.raw("axis");
  const axes = (Array.isArray(raw) ? (raw as readonly KValue[]) : [raw ?? -1]).map((v) =>
    typeof v === "number" ? (v < 0 ? v + r : v) : o.c.fail(`axis ${JSON.stringify(raw)} is not constant`),
  );
  const from = Math.min(...axes);
  if (axes.length !== r - from || axes.some((v) => v < from))
    o.c.fail(`axis ${JSON.stringify(raw)} is not a trailing run of axes`);
  const dims = o
    .shape(x)
    .slice(from)
    .map((d) => known(o, d, "the normalised axes"));
  const n = dims.reduce((p, q) => p * q, 1);
  const scale = o.c.bool("scale", true)
    ? o.weight("gamma", dims)
    : o.b.constFloats(new Array<number>(n).fill(1), dims);
  const bias = o.c.bool("center", true)
    ? o.weight("beta", dims)
    : o.b.constFloats(new Array<number>(n).fill(0), dims);
  return o.one("LayerNormalization", [x.value, scale, bias], {
    axis: from,
    epsilon: o.c.num("epsilon", 1e-3),
  });
}

/**
 * keras.layers.Normalization: mean and variance over the kept `axis` (one value per kept position),
 * weights with a scalar `count` unless the source gave mean and variance (constants, not weights).
 */
function normalization(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const shape = o.shape(x);
  const r = shape.length;
  // Missing is Keras's default -1; axis=None (null) keeps no axis: one scalar mean and variance.
  const raw = o.c.raw("axis");
  const axis = raw === undefined ? -1 : raw;
  const kept = (axis === null ? [] : Array.isArray(axis) ? (axis as readonly KValue[]) : [axis]).map((v) =>
    typeof v === "number" && Number.isInteger(v) && v !== 0 && Math.abs(v) < r
      ? v < 0
        ? v + r
        : v
      : o.c.fail(`axis ${JSON.stringify(axis)} is not a list of non-batch axes`),
  );
  const dims = kept.map((a) => known(o, shape[a], "the size of its axis"));
  const given = (key: string): string | undefined => {
    const v = o.c.raw(key);
    if (v === undefined || v === null) return undefined;
    const values = typeof v === "number" ? [v] : Array.isArray(v) ? v : [];
    if (!values.every((n): n is number => typeof n === "number"))
      o.c.fail(`${key} ${JSON.stringify(v)} is not a number or a list of numbers`);
    return o.b.constFloats(values as number[]);
  };
  const mean = given("mean");
  const variance = given("variance");
  if ((mean === undefined) !== (variance === undefined)) o.c.fail("mean and variance must be given together");
  const inputs =
    mean !== undefined && variance !== undefined
      ? [x.value, mean, variance, o.b.constScalar(0)]
      : [x.value, o.weight("mean", dims), o.weight("variance", dims), o.weight("count", [])];
  return o.one("Normalization", inputs, {}, KERAS_DOMAIN);
}

function relu(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const max = o.c.has("max_value") ? o.c.num("max_value") : undefined;
  const slope = o.c.num("negative_slope", 0);
  const threshold = o.c.num("threshold", 0);
  if (max === undefined && slope === 0 && threshold === 0) return o.one("Relu", [x.value]);
  if (max !== undefined && slope === 0 && threshold === 0)
    return o.one("Clip", [x.value, o.b.constScalar(0), o.b.constScalar(max)]);
  if (max === undefined && threshold === 0) return o.one("LeakyRelu", [x.value], { alpha: slope });
  if (max === undefined && slope === 0) return o.one("ThresholdedRelu", [x.value], { alpha: threshold });
  return o.c.fail("max_value together with negative_slope or threshold is not supported");
}

/**
 * ZeroPadding / Cropping amounts: 1 → every side; (a, b) → per axis, or (left, right) for 1-D; ((t, b), (l,
 * r)).
 */
function sides(o: LayerOps, key: string, rank: number, dflt: number): [number, number][] {
  const v = o.c.raw(key);
  if (v === undefined || v === null || typeof v === "number")
    return new Array(rank).fill([v ?? dflt, v ?? dflt]) as [number, number][];
  const list = Array.isArray(v) ? (v as readonly KValue[]).map(untuple) : [];
  if (rank === 1 && list.length === 2 && list.every((n) => typeof n === "number"))
    return [[list[0] as number, list[1] as number]];
  if (list.length !== rank) o.c.fail(`${key} ${JSON.stringify(v)} does not fit ${rank} axes`);
  return list.map((p): [number, number] => {
    if (typeof p === "number") return [p, p];
    const q = Array.isArray(p) ? (p as readonly KValue[]) : [];
    return typeof q[0] === "number" && typeof q[1] === "number"
      ? [q[0], q[1]]
      : o.c.fail(`${key} ${JSON.stringify(v)} is not constant`);
  });
}

function zeroPad(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const p = sides(o, "padding", rankOf(o.c.layer.type), 1);
  // Channels-last: [batch, spatial…, channels].
  return o.one("Pad", [x.value, o.b.constInts([0, ...p.map((q) => q[0]), 0, 0, ...p.map((q) => q[1]), 0])]);
}

function crop(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const p = sides(o, "cropping", rankOf(o.c.layer.type), 0);
  const axes = p.map((_, i) => i + 1);
  return o.one("Slice", [
    x.value,
    o.b.constInts(p.map((q) => q[0])),
    o.b.constInts(p.map((q) => (q[1] > 0 ? -q[1] : 2147483647))),
    o.b.constInts(axes),
  ]);
}

function upSample(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const s = o.c.ints("size", rank, 2);
  const mode = o.c.str("interpolation", "nearest") === "nearest" ? "nearest" : "linear";
  return o.one("Resize", [x.value, "", o.b.constFloats([1, ...s, 1])], { mode });
}

/** Elementwise merges of several tensors, as one n-ary op or a chain of binary ones. */
function merge(op: string, binary: boolean): LayerRule {
  return (o, xs) => {
    if (xs.length < 2) o.c.fail(`needs at least 2 inputs, got ${xs.length}`);
    if (!binary)
      return o.one(
        op,
        xs.map((t) => t.value),
      );
    let y = first(o, xs);
    for (const t of xs.slice(1)) y = o.one(op, [y.value, t.value]);
    return y;
  };
}

function embedding(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  let x = first(o, xs);
  // Keras 2 Inputs are float32 unless told otherwise; the look-up needs integer indices.
  if (x.state.dtype !== "int64" && x.state.dtype !== "int32") x = o.one("Cast", [x.value], { to: 7 });
  return o.one("Gather", [o.weight("embeddings", [o.c.int("input_dim"), o.c.int("output_dim")]), x.value], {
    axis: 0,
  });
}

function intList(o: LayerOps, key: string): number[] {
  const v = o.c.raw(key);
  const xs = Array.isArray(v) ? (v as readonly KValue[]) : [];
  if (!Array.isArray(v) || !xs.every((n): n is number => typeof n === "number"))
    o.c.fail(`${key} ${JSON.stringify(v)} is not a list of integers`);
  return xs as number[];
}

function timeDistributed(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const wrapped = o.innerConfig("layer");
  // Dense (and elementwise layers) already act on the last axis: no reshaping needed.
  if (["Dense", "Activation", "Dropout", "ReLU", "Softmax"].includes(wrapped.c.layer.type))
    return o.inner("layer", [x])[0] ?? o.c.fail("the wrapped layer gave no output");
  const s = o.shape(x);
  const t = known(o, s[1], "the number of time steps");
  const rest = s.slice(2).map((d) => known(o, d, "the shape of one time step"));
  const flat = o.one("Reshape", [x.value, o.b.constInts([-1, ...rest])]);
  const y = o.inner("layer", [flat])[0] ?? o.c.fail("the wrapped layer gave no output");
  const out = o
    .shape(y)
    .slice(1)
    .map((d) => known(o, d, "the wrapped layer's output shape"));
  return o.one("Reshape", [y.value, o.b.constInts([-1, t, ...out])]);
}

const PASS_THROUGH = [
  "SpatialDropout1D",
  "SpatialDropout2D",
  "SpatialDropout3D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "ActivityRegularization",
  "Masking",
  "RandomFlip",
  "RandomRotation",
  "RandomZoom",
  "RandomTranslation",
  "RandomContrast",
  "RandomBrightness",
];

const LAYERS: Readonly<Record<string, LayerRule>> = {
  InputLayer: (o, xs) => first(o, xs),
  Conv1D: conv,
  Conv2D: conv,
  Conv3D: conv,
  Conv1DTranspose: convTranspose,
  Conv2DTranspose: convTranspose,
  Conv3DTranspose: convTranspose,
  DepthwiseConv1D: (o, xs) => depthwise(o, xs, false),
  DepthwiseConv2D: (o, xs) => depthwise(o, xs, false),
  SeparableConv1D: (o, xs) => depthwise(o, xs, true),
  SeparableConv2D: (o, xs) => depthwise(o, xs, true),
  Dense: dense,
  MaxPooling1D: pool,
  MaxPooling2D: pool,
  MaxPooling3D: pool,
  AveragePooling1D: pool,
  AveragePooling2D: pool,
  AveragePooling3D: pool,
  GlobalAveragePooling1D: globalPool,
  GlobalAveragePooling2D: globalPool,
  GlobalAveragePooling3D: globalPool,
  GlobalMaxPooling1D: globalPool,
  GlobalMaxPooling2D: globalPool,
  GlobalMaxPooling3D: globalPool,
  Flatten: (o, xs) => o.one("Flatten", [first(o, xs).value], { axis: 1 }),
  Dropout: (o, xs) => o.one("Dropout", [first(o, xs).value]),
  ...Object.fromEntries(
    PASS_THROUGH.map((t): [string, LayerRule] => [t, (o, xs) => o.one("Identity", [first(o, xs).value])]),
  ),
  BatchNormalization: batchNorm,
  Normalization: normalization,
  LayerNormalization: layerNorm,
  // Activation("linear") is still a layer of the model (ConvNeXt's `_identity`): one Identity node shows it.
  Activation: (o, xs) => {
    const x = first(o, xs);
    const y = activate(o, x, activationName(o, "activation") ?? "linear");
    return y === x ? o.one("Identity", [x.value]) : y;
  },
  ReLU: relu,
  LeakyReLU: (o, xs) =>
    o.one("LeakyRelu", [first(o, xs).value], { alpha: o.c.num("negative_slope", o.c.num("alpha", 0.3)) }),
  ELU: (o, xs) => o.one("Elu", [first(o, xs).value], { alpha: o.c.num("alpha", 1) }),
  PReLU: (o, xs) => {
    const x = first(o, xs);
    const shared = new Set(o.c.has("shared_axes") ? intList(o, "shared_axes") : []);
    const dims = o
      .shape(x)
      .slice(1)
      .map((d, i) => (shared.has(i + 1) ? 1 : known(o, d, "its input shape")));
    return o.one("PRelu", [x.value, o.weight("alpha", dims)]);
  },
  Softmax: (o, xs) => o.one("Softmax", [first(o, xs).value], { axis: o.c.int("axis", -1) }),
  Embedding: embedding,
  Reshape: (o, xs) =>
    o.one("Reshape", [first(o, xs).value, o.b.constInts([0, ...intList(o, "target_shape")])]),
  Permute: (o, xs) => o.one("Transpose", [first(o, xs).value], { perm: [0, ...intList(o, "dims")] }),
  RepeatVector: (o, xs) => {
    const n = o.c.int("n");
    const u = o.one("Unsqueeze", [first(o, xs).value, o.b.constInts([1])]);
    return o.one("Tile", [u.value, o.b.constInts([1, n, 1])]);
  },
  ZeroPadding1D: zeroPad,
  ZeroPadding2D: zeroPad,
  ZeroPadding3D: zeroPad,
  Cropping1D: crop,
  Cropping2D: crop,
  Cropping3D: crop,
  UpSampling1D: upSample,
  UpSampling2D: upSample,
  UpSampling3D: upSample,
  Concatenate: (o, xs) =>
    o.one(
      "Concat",
      xs.map((t) => t.value),
      { axis: o.c.int("axis", -1) },
    ),
  Add: merge("Sum", false),
  Average: merge("Mean", false),
  Maximum: merge("Max", false),
  Minimum: merge("Min", false),
  Multiply: merge("Mul", true),
  Subtract: merge("Sub", true),
  Rescaling: (o, xs) => {
    const scale = o.c.raw("scale");
    const offset = o.c.raw("offset") ?? 0;
    const constant = (v: KValue) =>
      typeof v === "number"
        ? o.b.constScalar(v)
        : Array.isArray(v) && v.every((n) => typeof n === "number")
          ? o.b.constFloats(v as number[])
          : o.c.fail(`${JSON.stringify(v)} is not a number`);
    let y = o.one("Mul", [first(o, xs).value, constant(scale ?? 1)]);
    if (offset !== 0) y = o.one("Add", [y.value, constant(offset)]);
    return y;
  },
  LSTM: (o, xs) => recurrent(o, xs),
  GRU: (o, xs) => recurrent(o, xs),
  SimpleRNN: (o, xs) => recurrent(o, xs),
  Bidirectional: (o, xs) => {
    const mode = o.c.raw("merge_mode");
    if (mode === null) o.c.fail("merge_mode=None (two separate outputs) is not supported");
    const inner = o.innerConfig("layer");
    if (!["LSTM", "GRU", "SimpleRNN"].includes(inner.c.layer.type))
      o.c.fail(`wrapping ${inner.c.layer.type} is not supported (LSTM, GRU, SimpleRNN are)`);
    if (o.c.has("backward_layer")) {
      const back = o.innerConfig("backward_layer");
      if (back.c.layer.type !== inner.c.layer.type || back.c.int("units") !== inner.c.int("units"))
        o.c.fail("a backward_layer that differs from the forward layer is not supported");
    }
    return recurrent(inner, xs, { merge: typeof mode === "string" ? mode : "concat" });
  },
  TimeDistributed: timeDistributed,
};

/** The Keras layer classes the builder knows. */
export const KERAS_LAYER_TYPES: readonly string[] = Object.keys(LAYERS);

/** Layers, and the keras.ops operations Python operators on Keras tensors record. */
const RULES: Readonly<Record<string, LayerRule>> = { ...LAYERS, ...OPERATOR_RULES };

/**
 * Other names `keras.layers` / `tf.keras.layers` export for the same classes (Keras 2 and 3):
 * `MaxPool2D` is `MaxPooling2D`, so the layer is recorded under its class name, as Keras does.
 */
export const KERAS_ALIASES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    ["1D", "2D", "3D"].flatMap((r) => [
      [`MaxPool${r}`, `MaxPooling${r}`],
      [`AvgPool${r}`, `AveragePooling${r}`],
      [`GlobalMaxPool${r}`, `GlobalMaxPooling${r}`],
      [`GlobalAvgPool${r}`, `GlobalAveragePooling${r}`],
      [`Convolution${r}`, `Conv${r}`],
      [`Convolution${r}Transpose`, `Conv${r}Transpose`],
      [`SeparableConvolution${r}`, `SeparableConv${r}`],
    ]),
  ),
  Deconvolution2D: "Conv2DTranspose",
  Deconv2D: "Conv2DTranspose",
  Deconvolution3D: "Conv3DTranspose",
  Deconv3D: "Conv3DTranspose",
};

/** A layer the builder cannot follow, kept in its place: its output and its parameters are unknown. */
export interface KerasUnknownLayer {
  readonly path: string;
  readonly reason: string;
}

const NO_INPUT =
  "no input shape: give the first layer input_shape=(…) or start the model with keras.Input(shape=(…))";

function declaredInput(l: KerasLayer | undefined): Extract<KNode, { kind: "input" }> | undefined {
  if (!l) return undefined;
  const c = l.config;
  const full = shapeDims(c["batch_shape"] ?? c["batch_input_shape"]);
  // Keras 2 gives an Embedding without an input shape the input (None, input_length).
  const length = c["input_length"];
  const inner =
    shapeDims(c["input_shape"] ?? c["shape"]) ??
    (l.type === "Embedding" ? [typeof length === "number" ? length : "None"] : undefined);
  const shape = full ?? (inner ? ["None", ...inner] : undefined);
  if (!shape) return undefined;
  const dtype = l.type === "InputLayer" ? kerasDType(c["dtype"]) : "float32";
  return { kind: "input", name: l.type === "InputLayer" ? l.name : "input", shape, dtype };
}

/** Wrapped layers are written {class_name, config} (Bidirectional's `layer`, TimeDistributed's). */
function innerLayer(o: LayerConfig, key: string): KerasLayer {
  const v = o.raw(key);
  if (!isObject(v) || typeof v["class_name"] !== "string" || !isObject(v["config"]))
    return o.fail(`${key} is not a layer`);
  const config: KObject = v["config"];
  return {
    type: v["class_name"],
    name: typeof config["name"] === "string" ? config["name"] : o.layer.name,
    config,
    ...(o.layer.source ? { source: o.layer.source } : {}),
  };
}

/** The variable the source bound a tensor to (output `index` of `node`), if any: its value's name. */
export type KerasSourceName = (node: KNode, index: number) => string | undefined;

class Build {
  private readonly inputNames = new Set<string>();
  readonly unknown: KerasUnknownLayer[] = [];
  constructor(
    private readonly b: GraphBuilder,
    private readonly sourceName: KerasSourceName,
  ) {}

  private input(n: Extract<KNode, { kind: "input" }>): PyTensor {
    let name = n.name;
    for (let k = 1; this.inputNames.has(name); k++) name = `${n.name}_${k}`;
    this.inputNames.add(name);
    return this.b.input(name, n.dtype, [...n.shape]);
  }

  /** Nodes and weights of `l`, named after `as` (the wrapper, for Bidirectional's LSTM). */
  private ops(l: KerasLayer, as: KerasLayer, prefix: string): LayerOps {
    const name = prefix + as.name;
    const base = {
      scope: name,
      layerName: name,
      layerType: as.type,
      ...(as.source ? { source: as.source } : {}),
    };
    const b = this.b;
    const c = new LayerConfig(l);
    const ops: LayerOps = {
      c,
      b,
      op: (opType, inputs, attrs = {}, outputs = 1) => b.op(opType, inputs, attrs, { ...base, outputs }),
      one: (opType, inputs, attrs = {}, domain) =>
        b.op(opType, inputs, attrs, { ...base, ...(domain ? { domain } : {}) })[0] as PyTensor,
      weight: (suffix, dims, role = "parameter") => b.weight(`${name}/${suffix}`, dims, role),
      inner: (key, xs) => this.apply(innerLayer(c, key), xs, as, prefix),
      innerConfig: (key) => this.ops(innerLayer(c, key), as, prefix),
      shape: (x) => {
        if (x.state.shape) return x.state.shape;
        const why = b.shapeErrors[b.shapeErrors.length - 1];
        return c.fail(`the shape of its input is unknown${why ? ` (${why.layer}: ${why.message})` : ""}`);
      },
    };
    return ops;
  }

  apply(l: KerasLayer, xs: readonly PyTensor[], as: KerasLayer = l, prefix = ""): PyTensor[] {
    if (l.model) return this.model(l.model, xs, `${prefix}${l.name}/`);
    const rule = RULES[l.type];
    if (!rule || l.unknownReason !== undefined)
      return this.opaque(l, as, prefix, xs, l.unknownReason ?? `ConvLens has no rule for ${l.type}`);
    try {
      const out = rule(this.ops(l, as, prefix), xs);
      return Array.isArray(out) ? [...(out as readonly PyTensor[])] : [out as PyTensor];
    } catch (e) {
      if (e instanceof NotConstantError) return this.opaque(l, as, prefix, xs, e.message);
      // After an unknown layer every size is unknown: later layers become unknown too, never an error.
      if (!(e instanceof KerasBuildError) || xs.every((x) => x.state.shape)) throw e;
      return this.opaque(l, as, prefix, xs, "the shape of its input is unknown");
    }
  }

  /** One node with no op rule in the layer's place: the analysis shows its output as unknown. */
  private opaque(
    l: KerasLayer,
    as: KerasLayer,
    prefix: string,
    xs: readonly PyTensor[],
    reason: string,
  ): PyTensor[] {
    const name = prefix + as.name;
    this.unknown.push({ path: name, reason: `${as.type} "${name}": ${reason}` });
    return this.b.op(
      `keras.${l.type}`,
      xs.map((x) => x.value),
      {},
      { scope: name, layerName: name, layerType: as.type, ...(as.source ? { source: as.source } : {}) },
    );
  }

  /** `memo`: the nodes built so far, kept by a caller that builds a growing graph again and again. */
  model(
    m: KerasModel,
    given: readonly PyTensor[] | undefined,
    prefix: string,
    memo = new Map<KNode, PyTensor[]>(),
  ): PyTensor[] {
    if (m.layers) {
      const layers = m.layers;
      let x = given?.[0];
      if (!x) {
        const decl =
          m.input ??
          declaredInput(layers[0]) ??
          (m.buildInputShape
            ? { kind: "input" as const, name: "input", shape: m.buildInputShape, dtype: "float32" as const }
            : undefined);
        if (!decl)
          throw new KerasBuildError(layers.length === 0 ? "the Sequential model has no layers" : NO_INPUT);
        // Token ids feed an Embedding: the input holds integers.
        const firstReal = layers.find((l) => l.type !== "InputLayer");
        x = this.input(firstReal?.type === "Embedding" ? { ...decl, dtype: "int64" } : decl);
      }
      for (const l of layers) x = this.apply(l, [x], l, prefix)[0] ?? x;
      return [x];
    }
    // Each tensor's value is named by the source's variable (names only: no node, id or number changes).
    const remember = (n: KNode, ts: PyTensor[]): PyTensor[] => {
      memo.set(n, ts);
      ts.forEach((t, i) => {
        const name = this.sourceName(n, i);
        if (name !== undefined) this.b.nameValue(t.value, name);
      });
      return ts;
    };
    (m.inputs ?? []).forEach((n, i) => memo.has(n) || remember(n, [given?.[i] ?? this.input(n)]));
    const visiting = new Set<KNode>();
    const visit = (n: KNode): PyTensor[] => {
      const hit = memo.get(n);
      if (hit) return hit;
      if (n.kind === "input") return remember(n, [this.input(n)]);
      if (visiting.has(n))
        throw new KerasBuildError(`layer "${n.layer.name}" depends on its own output (a cycle)`);
      visiting.add(n);
      const ins = n.inputs.map((r) => pick(visit(r.node), r.index, r.node));
      // Inside a custom layer's call(): an operator is that layer; a layer it applies is named under it.
      const w = n.within;
      const as = !w
        ? n.layer
        : n.layer.type.startsWith("ops.")
          ? w
          : { ...n.layer, name: `${w.name}/${n.layer.name}` };
      return remember(n, this.apply(n.layer, ins, as, prefix));
    };
    const pick = (ts: PyTensor[], i: number, n: KNode): PyTensor =>
      ts[i] ??
      (() => {
        throw new KerasBuildError(
          `${n.kind === "apply" ? `layer "${n.layer.name}"` : `input "${n.name}"`} has no output #${i}`,
        );
      })();
    if (!m.outputs || m.outputs.length === 0) {
      const why = m.outputsUnknown?.[0];
      if (why === undefined) throw new KerasBuildError("the model has no outputs");
      // Build the layers the source did record, so the error names the first whose output became unknown.
      for (const n of m.order ?? []) {
        try {
          visit(n);
        } catch {
          break;
        }
      }
      const first = this.unknown[0];
      throw new KerasBuildError(
        `the model's output is unknown${first ? ` from layer ${first.reason}` : ""} (${why})`,
      );
    }
    // Build in the order the layers were created (as model.summary() lists them), only what the outputs need.
    if (m.order) {
      const needed = new Set<KNode>();
      const stack = m.outputs.map((r) => r.node);
      for (let n = stack.pop(); n; n = stack.pop()) {
        if (needed.has(n)) continue;
        needed.add(n);
        if (n.kind === "apply") stack.push(...n.inputs.map((r) => r.node));
      }
      for (const n of m.order) if (needed.has(n)) visit(n);
    }
    return m.outputs.map((r) => pick(visit(r.node), r.index, r.node));
  }
}

/**
 * Build the model's graph; returns the names of its outputs and the layers whose outputs are unknown.
 * `sourceName`: the variables Python source bound tensors to (a saved file has none).
 */
export function buildKeras(
  m: KerasModel,
  b: GraphBuilder,
  sourceName: KerasSourceName = () => undefined,
): { outputs: string[]; unknown: readonly KerasUnknownLayer[] } {
  const build = new Build(b, sourceName);
  const outputs = build.model(m, undefined, "").map((t) => t.value);
  return { outputs, unknown: build.unknown };
}

/**
 * The model's output tensors built into `b` (their inferred shapes are what the source reads mid-run); the
 * nodes already in `memo` (built into the same `b` by an earlier call) are not built again.
 */
export function buildKerasTensors(m: KerasModel, b: GraphBuilder, memo?: Map<KNode, PyTensor[]>): PyTensor[] {
  return new Build(b, () => undefined).model(m, undefined, "", memo);
}

/** The model notes that say which layers are unknown and why (shown with the model's warnings). */
export function unknownLayerNotes(unknown: readonly KerasUnknownLayer[]): string[] {
  return unknown.map((u) => `unknown: ${u.reason}; its output and its parameters are not counted`);
}
