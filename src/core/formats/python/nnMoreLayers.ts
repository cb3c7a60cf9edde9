/**
 * The rest of torch.nn's layers with a deterministic output shape: the less common
 * activations, RMSNorm, distances, EmbeddingBag, the recurrent cells, and the Lazy* modules
 * (which take their input size from the first call, and become the plain class as PyTorch's do).
 */
import {
  F,
  T,
  one,
  op,
  reject,
  unary,
  w,
  normalizedInput,
  normalizedShape,
  type LayerCall,
  type LayerSpec,
} from "./nnLayerKit";
import { ArgError, getBool, getFloat, getInt } from "./pyArgs";
import { NONE, int, str, tuple, unknown, type PyTensor, type PyValue } from "./values";

const first = (ts: PyTensor[]): PyTensor => ts[0] as PyTensor;

/** Softmax's dim=None rule (torch.nn.functional._get_softmax_dim): 0 for ranks 0, 1, 3, else 1. */
export function softmaxDim(c: LayerCall): number {
  const d = c.args.get("dim");
  if (d && d.t !== "none") return getInt(c.args, "dim");
  const r = c.x.state.shape?.length;
  if (r === undefined) throw new ArgError("dim=None on an input of unknown rank");
  return r === 0 || r === 1 || r === 3 ? 0 : 1;
}

/** GLU: split the dim in halves a, b; a · σ(b). */
const glu: LayerSpec = {
  params: ["dim"],
  defaults: { dim: int(-1) },
  forward(c) {
    const dim = getInt(c.args, "dim");
    const shape = c.x.state.shape;
    const size = shape?.[dim < 0 ? dim + shape.length : dim];
    if (typeof size === "number" && size % 2 !== 0)
      return reject(c, `Halving dimension must be even, but dimension ${dim} is size ${size}`);
    const [a, b] = op(c, "Split", [c.x.value], { axis: dim }, { outputs: 2 });
    if (!a || !b) return unknown("GLU split");
    return one(op(c, "Mul", [a.value, first(op(c, "Sigmoid", [b.value], {})).value], {}));
  },
};

/** Softmin(x) = Softmax(−x). */
const softmin: LayerSpec = {
  params: ["dim"],
  defaults: {},
  forward: (c) =>
    one(op(c, "Softmax", [first(op(c, "Neg", [c.x.value], {})).value], { axis: softmaxDim(c) })),
};

const shrink = (soft: boolean): LayerSpec =>
  unary("Shrink", ["lambd"], (c) => {
    const l = getFloat(c.args, "lambd", 0.5);
    return { lambd: l, bias: soft ? l : 0 };
  });

/**
 * RMSNorm(normalized_shape, eps=None, elementwise_affine=True): a weight over the normalised dims, no bias.
 */
const rmsNorm: LayerSpec = {
  params: ["normalized_shape", "eps", "elementwise_affine"],
  defaults: { eps: NONE, elementwise_affine: T },
  forward(c) {
    const dims = normalizedShape(c.args);
    const tail = c.x.state.shape?.slice(-dims.length);
    if (tail && tail.some((d, i) => typeof d === "number" && d !== dims[i]))
      return reject(
        c,
        `${c.type} expects trailing dims [${dims.join(", ")}] but receives [${tail.join(", ")}]`,
      );
    const inputs = [c.x.value];
    if (getBool(c.args, "elementwise_affine", true)) inputs.push(w(c, "weight", dims));
    return one(op(c, "RMSNormalization", inputs, { axis: -dims.length }));
  },
  aloneInput: normalizedInput,
};

/** The second input of a two-input layer (CosineSimilarity, PairwiseDistance). */
function second(c: LayerCall): PyTensor | undefined {
  const x2 = c.rest[0] ?? c.kwargs.get("x2");
  return x2?.t === "tensor" ? x2 : undefined;
}

/** Σ x1·x2 / (‖x1‖·‖x2‖) along dim; the dim disappears. */
const cosineSimilarity: LayerSpec = {
  params: ["dim", "eps"],
  defaults: { dim: int(1) },
  forward(c) {
    const x2 = second(c);
    if (!x2) return unknown("CosineSimilarity needs two tensors");
    const r1 = c.x.state.shape?.length,
      r2 = x2.state.shape?.length;
    if (r1 === undefined || r1 !== r2)
      return unknown("CosineSimilarity of inputs of different or unknown ranks is not followed");
    const axes = [getInt(c.args, "dim")];
    const dot = first(
      op(c, "ReduceSum", [first(op(c, "Mul", [c.x.value, x2.value], {})).value], { axes, keepdims: 0 }),
    );
    const n1 = first(op(c, "ReduceL2", [c.x.value], { axes, keepdims: 0 }));
    const n2 = first(op(c, "ReduceL2", [x2.value], { axes, keepdims: 0 }));
    return one(op(c, "Div", [dot.value, first(op(c, "Mul", [n1.value, n2.value], {})).value], {}));
  },
};

/** ‖x1 − x2 + eps‖_p over the last dim. */
const pairwiseDistance: LayerSpec = {
  params: ["p", "eps", "keepdim"],
  defaults: { keepdim: F },
  forward(c) {
    const x2 = second(c);
    if (!x2) return unknown("PairwiseDistance needs two tensors");
    const p = getFloat(c.args, "p", 2);
    const diff = first(op(c, "Sub", [c.x.value, x2.value], {}));
    const attrs = { axes: [-1], keepdims: getBool(c.args, "keepdim", false) ? 1 : 0 };
    if (p === 1 || p === 2) return one(op(c, p === 1 ? "ReduceL1" : "ReduceL2", [diff.value], attrs));
    const powered = first(
      op(c, "Pow", [first(op(c, "Abs", [diff.value], {})).value, c.b.constScalar(p)], {}),
    );
    return one(
      op(c, "Pow", [first(op(c, "ReduceSum", [powered.value], attrs)).value, c.b.constScalar(1 / p)], {}),
    );
  },
};

/** EmbeddingBag on a 2-D input (one bag per row): a look-up, then the bag's mean / sum / max. */
const embeddingBag: LayerSpec = {
  params: [
    "num_embeddings",
    "embedding_dim",
    "max_norm",
    "norm_type",
    "scale_grad_by_freq",
    "mode",
    "sparse",
    "_weight",
    "include_last_offset",
    "padding_idx",
  ],
  defaults: { mode: str("mean") },
  forward(c) {
    if (c.x.state.shape?.length !== 2)
      return unknown("EmbeddingBag with offsets (a 1-D input) is not followed: the bag count is data");
    const mode = c.args.get("mode");
    const reduce =
      mode?.t === "str" && mode.v === "sum"
        ? "ReduceSum"
        : mode?.t === "str" && mode.v === "max"
          ? "ReduceMax"
          : "ReduceMean";
    const table = w(c, "weight", [getInt(c.args, "num_embeddings"), getInt(c.args, "embedding_dim")]);
    const rows = first(op(c, "Gather", [table, c.x.value], { axis: 0 }));
    return one(op(c, reduce, [rows.value], { axes: [1], keepdims: 0 }));
  },
  defaultInput: () => ({ dtype: "int64", shape: [1, 32] }),
};

/**
 * LSTMCell / GRUCell / RNNCell: one step of the ONNX recurrent op (sequence length 1), so the
 * MACs are gates · (input + hidden) · hidden · batch, as for the full layers.
 */
function cell(gates: number, opType: "LSTM" | "GRU" | "RNN"): LayerSpec {
  return {
    params:
      opType === "RNN"
        ? ["input_size", "hidden_size", "bias", "nonlinearity"]
        : ["input_size", "hidden_size", "bias"],
    defaults: { bias: T },
    forward(c) {
      const [i, h] = [getInt(c.args, "input_size"), getInt(c.args, "hidden_size")];
      const rank = c.x.state.shape?.length;
      if (rank !== 1 && rank !== 2)
        return rank === undefined
          ? unknown(`${c.type} input of unknown rank`)
          : reject(c, `${c.type}: Expected input to be 1-D or 2-D but received ${rank}-D tensor`);
      // (N, in) → (1, N, in); an unbatched (in) → (1, 1, in).
      const axes = c.b.constInts(rank === 1 ? [0, 1] : [0]);
      const seq = first(op(c, "Unsqueeze", [c.x.value, axes], {}));
      const inputs = [seq.value, w(c, "weight_ih", [1, gates * h, i]), w(c, "weight_hh", [1, gates * h, h])];
      inputs.push(getBool(c.args, "bias", true) ? w(c, "bias", [1, 2 * gates * h]) : "");
      const hx = c.rest[0] ?? c.kwargs.get("hx");
      const states = hx?.t === "tuple" ? hx.items : hx ? [hx] : [];
      if (states.length && states.every((s): s is PyTensor => s.t === "tensor")) {
        inputs.push(
          "",
          ...states.map(
            (s) => first(op(c, "Unsqueeze", [s.value, c.b.constInts(rank === 1 ? [0, 1] : [0])], {})).value,
          ),
        );
      }
      const outs = op(c, opType, inputs, { hidden_size: h }, { outputs: opType === "LSTM" ? 3 : 2 });
      const squeeze = (t: PyTensor | undefined) =>
        t
          ? first(op(c, "Squeeze", [t.value, c.b.constInts(rank === 1 ? [0, 1] : [0])], {}))
          : unknown("no state");
      // h' (and c' for the LSTM cell): the layer's last node is h', what the table shows.
      if (opType !== "LSTM") return squeeze(outs[1]);
      const cNext = squeeze(outs[2]);
      return tuple([squeeze(outs[1]), cNext]);
    },
  };
}

/**
 * A Lazy* module: the size PyTorch infers from the first input (channels, or features for
 * LazyLinear) fills `inArg`, then the plain layer runs; afterwards it *is* that class.
 */
export function lazy(
  spec: LayerSpec,
  becomes: string,
  inArg: string,
  axis: (rank: number) => number,
  params: string[],
  defaults: Readonly<Record<string, PyValue>> = {},
): LayerSpec {
  return {
    params,
    defaults: { ...spec.defaults, ...defaults },
    forward(c) {
      const shape = c.x.state.shape;
      const d = shape?.[axis(shape.length)];
      if (typeof d !== "number")
        return unknown(`${c.type} infers ${inArg} from an input size that is not known`);
      const args = new Map(c.args);
      args.set(inArg, int(d));
      return spec.forward({ ...c, args, type: c.type.startsWith("Lazy") ? becomes : c.type });
    },
  };
}

export const MORE_LAYERS: Readonly<Record<string, LayerSpec>> = {
  GLU: glu,
  Softmin: softmin,
  Softshrink: shrink(true),
  Hardshrink: shrink(false),
  Tanhshrink: unary("Tanhshrink", []),
  Threshold: unary("Threshold", ["threshold", "value", "inplace"], (c) => ({
    threshold: getFloat(c.args, "threshold", 0),
  })),
  // In eval mode RReLU is a leaky ReLU with the mean slope.
  RReLU: unary("LeakyRelu", ["lower", "upper", "inplace"], (c) => ({
    alpha: (getFloat(c.args, "lower", 1 / 8) + getFloat(c.args, "upper", 1 / 3)) / 2,
  })),
  FeatureAlphaDropout: unary("Dropout", ["p", "inplace"]),
  RMSNorm: rmsNorm,
  CosineSimilarity: cosineSimilarity,
  PairwiseDistance: pairwiseDistance,
  EmbeddingBag: embeddingBag,
  LSTMCell: cell(4, "LSTM"),
  GRUCell: cell(3, "GRU"),
  RNNCell: cell(1, "RNN"),
};
