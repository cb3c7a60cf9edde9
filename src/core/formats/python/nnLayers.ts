/**
 * torch.nn leaf layers as data: each entry gives the constructor signature
 * (names and defaults, as in PyTorch) and how a call emits IR nodes (ONNX op
 * types, so shapes, MACs and receptive fields come from the shared op table).
 * NN_LAYERS gathers every family's table; this file holds the linear layers,
 * activations, dropout, flatten and the Lazy* convolutions and norms.
 */
import { I1, T, channelFix, one, op, unary, w, type LayerCall, type LayerSpec } from "./nnLayerKit";
import { getBool, getFloat, getInt } from "./pyArgs";
import { int, unknown, type PyTensor } from "./values";
import { CONV_LAYERS, conv } from "./nnConvLayers";
import { POOL_LAYERS } from "./nnPoolLayers";
import { NORM_LAYERS, norm } from "./nnNormLayers";
import { SEQUENCE_LAYERS } from "./nnSequenceLayers";
import { RESHAPE_LAYERS } from "./nnReshapeLayers";
import { MORE_LAYERS, lazy, softmaxDim } from "./nnMoreLayers";

const linear: LayerSpec = {
  params: ["in_features", "out_features", "bias"],
  defaults: { bias: T },
  forward(c) {
    const fin = getInt(c.args, "in_features"),
      fout = getInt(c.args, "out_features");
    const bias = getBool(c.args, "bias", true);
    const explain = (m: string) => (/input features/.test(m) ? channelFix(c, "in_features", m) : undefined);
    if (c.x.state.shape?.length === 2) {
      const inputs = [c.x.value, w(c, "weight", [fout, fin])];
      if (bias) inputs.push(w(c, "bias", [fout]));
      return one(op(c, "Gemm", inputs, { transB: 1 }, { explain }));
    }
    const mm = op(
      c,
      "MatMul",
      [c.x.value, w(c, "weight", [fin, fout])],
      {},
      {
        explain: (m) =>
          explain(
            m.replace(
              /MatMul inner dimensions differ: (\d+) vs (\d+)/,
              "Linear expects $2 input features but receives $1",
            ),
          ),
      },
    );
    return bias ? one(op(c, "Add", [(mm[0] as PyTensor).value, w(c, "bias", [fout])], {})) : one(mm);
  },
  defaultInput: (a) => ({
    dtype: "float32",
    shape: [1, a.get("in_features")?.t === "int" ? (a.get("in_features") as { v: number }).v : 128],
  }),
};

const embedding: LayerSpec = {
  params: ["num_embeddings", "embedding_dim", "padding_idx"],
  defaults: {},
  forward: (c) =>
    one(
      op(
        c,
        "Gather",
        [w(c, "weight", [getInt(c.args, "num_embeddings"), getInt(c.args, "embedding_dim")]), c.x.value],
        { axis: 0 },
      ),
    ),
  defaultInput: () => ({ dtype: "int64", shape: [1, 32] }),
};

const flatten: LayerSpec = {
  params: ["start_dim", "end_dim"],
  defaults: { start_dim: I1, end_dim: int(-1) },
  forward(c) {
    const start = getInt(c.args, "start_dim"),
      end = getInt(c.args, "end_dim");
    const shape = c.x.state.shape;
    if (start === 1 && end === -1) return one(op(c, "Flatten", [c.x.value], { axis: 1 }));
    if (!shape) return unknown("flatten of an unknown shape");
    const r = shape.length;
    const s = start < 0 ? start + r : start,
      e = end < 0 ? end + r : end;
    const target = [
      ...shape.slice(0, s).map(() => 0),
      -1,
      ...shape.slice(e + 1).map((d) => (typeof d === "number" ? d : 0)),
    ];
    return one(op(c, "Reshape", [c.x.value, c.b.constInts(target)], {}));
  },
};

// An Identity node, so the module is a row of its own as PyTorch lists it.
const identity: LayerSpec = {
  params: [],
  defaults: {},
  forward: (c) => one(op(c, "Identity", [c.x.value], {})),
};

/** y_o = x1ᵀ W_o x2 + b_o, as one Einsum (MACs = batch · in1 · in2 · out). */
const bilinear: LayerSpec = {
  params: ["in1_features", "in2_features", "out_features", "bias"],
  defaults: { bias: T },
  forward(c) {
    const x2 = c.rest[0];
    if (x2?.t !== "tensor") return unknown("Bilinear needs two tensors");
    const [i, j, o] = [
      getInt(c.args, "in1_features"),
      getInt(c.args, "in2_features"),
      getInt(c.args, "out_features"),
    ];
    // (*, in1) and (*, in2): one einsum letter per leading dim (none of i, j, o).
    const lead = "abcdefgh".slice(0, Math.max(0, (c.x.state.shape?.length ?? 2) - 1));
    const y = one(
      op(c, "Einsum", [c.x.value, w(c, "weight", [o, i, j]), x2.value], {
        equation: `${lead}i,oij,${lead}j->${lead}o`,
      }),
    );
    return getBool(c.args, "bias", true) && y.t === "tensor"
      ? one(op(c, "Add", [y.value, w(c, "bias", [o])], {}))
      : y;
  },
};

const unflatten: LayerSpec = {
  params: ["dim", "unflattened_size"],
  defaults: {},
  forward(c) {
    const shape = c.x.state.shape;
    const dim = getInt(c.args, "dim");
    const sizes = c.args.get("unflattened_size");
    const parts =
      sizes && (sizes.t === "tuple" || sizes.t === "list")
        ? sizes.items.map((v) => (v.t === "int" ? v.v : NaN))
        : [];
    if (!shape || parts.some(Number.isNaN)) return unknown("Unflatten with sizes that are not constant");
    const d = dim < 0 ? dim + shape.length : dim;
    const target = [...shape.slice(0, d).map(() => 0), ...parts, ...shape.slice(d + 1).map(() => 0)];
    return one(op(c, "Reshape", [c.x.value, c.b.constInts(target)], {}));
  },
};

/**
 * LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*: in_channels / num_features from the
 * input.
 */
function lazyLayers(): Record<string, LayerSpec> {
  const out: Record<string, LayerSpec> = {};
  // Batched (N, C, *spatial) or unbatched (C, *spatial): the channel axis PyTorch reads.
  const channel = (rank: number) => (r: number) => (r === rank + 1 ? 0 : 1);
  for (const rank of [1, 2, 3]) {
    // PyTorch's Lazy* signatures are the layer's without in_channels (its first parameter).
    const convParams = conv(rank, false).params.slice(1);
    const tParams = conv(rank, true).params.slice(1);
    out[`LazyConv${rank}d`] = lazy(
      conv(rank, false),
      `Conv${rank}d`,
      "in_channels",
      channel(rank),
      convParams,
    );
    out[`LazyConvTranspose${rank}d`] = lazy(
      conv(rank, true),
      `ConvTranspose${rank}d`,
      "in_channels",
      channel(rank),
      tParams,
    );
    const normParams = ["eps", "momentum", "affine", "track_running_stats"];
    out[`LazyBatchNorm${rank}d`] = lazy(
      norm("BatchNormalization", "num_features", "affine", true, true),
      `BatchNorm${rank}d`,
      "num_features",
      () => 1,
      normParams,
    );
    // The lazy instance norms default to affine=True and track_running_stats=True, unlike InstanceNorm.
    out[`LazyInstanceNorm${rank}d`] = lazy(
      norm("InstanceNormalization", "num_features", "affine", true, false),
      `InstanceNorm${rank}d`,
      "num_features",
      channel(rank),
      normParams,
      { affine: T, track_running_stats: T },
    );
  }
  return out;
}

export const NN_LAYERS: Readonly<Record<string, LayerSpec>> = {
  ...CONV_LAYERS,
  Linear: linear,
  LazyLinear: lazy(linear, "Linear", "in_features", (r) => r - 1, ["out_features", "bias"]),
  ...POOL_LAYERS,
  ...NORM_LAYERS,
  ReLU: unary("Relu", ["inplace"]),
  ReLU6: unary("Clip", ["inplace"]),
  LeakyReLU: unary("LeakyRelu", ["negative_slope", "inplace"], (c) => ({
    alpha: getFloat(c.args, "negative_slope", 0.01),
  })),
  PReLU: {
    params: ["num_parameters", "init"],
    defaults: { num_parameters: I1 },
    forward: (c) => one(op(c, "PRelu", [c.x.value, w(c, "weight", [getInt(c.args, "num_parameters")])], {})),
  },
  ELU: unary("Elu", ["alpha", "inplace"], (c) => ({ alpha: getFloat(c.args, "alpha", 1) })),
  SELU: unary("Selu"),
  CELU: unary("Celu", ["alpha", "inplace"], (c) => ({ alpha: getFloat(c.args, "alpha", 1) })),
  GELU: unary("Gelu"),
  SiLU: unary("Silu"),
  Mish: unary("Mish"),
  Sigmoid: unary("Sigmoid"),
  Tanh: unary("Tanh"),
  Hardswish: unary("HardSwish"),
  Hardsigmoid: unary("HardSigmoid"),
  Hardtanh: unary("Hardtanh"),
  Softplus: unary("Softplus"),
  Softsign: unary("Softsign"),
  LogSigmoid: unary("LogSigmoid"),
  Softmax: unary("Softmax", ["dim"], (c) => ({ axis: softmaxDim(c) })),
  LogSoftmax: unary("LogSoftmax", ["dim"], (c) => ({ axis: softmaxDim(c) })),
  Softmax2d: unary("Softmax", [], () => ({ axis: -3 })),
  Dropout: unary("Dropout", ["p", "inplace"]),
  Dropout1d: unary("Dropout", ["p", "inplace"]),
  Dropout2d: unary("Dropout", ["p", "inplace"]),
  Dropout3d: unary("Dropout", ["p", "inplace"]),
  AlphaDropout: unary("Dropout", ["p", "inplace"]),
  Identity: identity,
  Flatten: flatten,
  Unflatten: unflatten,
  Bilinear: bilinear,
  Embedding: embedding,
  ...SEQUENCE_LAYERS,
  ...RESHAPE_LAYERS,
  ...MORE_LAYERS,
  ...lazyLayers(),
};

export type { LayerCall, LayerSpec };
