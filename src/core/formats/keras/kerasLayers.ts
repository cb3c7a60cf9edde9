/**
 * The rules of the Keras layers by class name — what each layer computes, as ops of the shared IR, read
 * from its `get_config()` names — and the other names Keras exports for the same classes.
 * Convolutions and poolings are in kerasConvLayers.ts, recurrent layers in kerasRecurrent.ts.
 */
import { KERAS_DOMAIN } from "../../ops/kerasOps";
import type { PyTensor } from "../python/values";
import { CONV_RULES } from "./kerasConvLayers";
import {
  activate,
  activationName,
  channelsLast,
  first,
  known,
  rankOf,
  spatial,
  type LayerOps,
  type LayerRule,
} from "./kerasLayerOps";
import { untuple, type KValue } from "./kerasModel";
import { recurrent } from "./kerasRecurrent";

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
  // [batch, spatial…, channels] or [batch, channels, spatial…].
  const side = (i: 0 | 1) =>
    channelsLast(o) ? [0, ...p.map((q) => q[i]), 0] : [0, 0, ...p.map((q) => q[i])];
  return o.one("Pad", [x.value, o.b.constInts([...side(0), ...side(1)])]);
}

function crop(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const p = sides(o, "cropping", rankOf(o.c.layer.type), 0);
  const from = channelsLast(o) ? 1 : 2;
  const axes = p.map((_, i) => i + from);
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
  const scales = channelsLast(o) ? [1, ...s, 1] : [1, 1, ...s];
  return o.one("Resize", [x.value, "", o.b.constFloats(scales)], { mode });
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

export const LAYERS: Readonly<Record<string, LayerRule>> = {
  InputLayer: (o, xs) => first(o, xs),
  ...CONV_RULES,
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
