/**
 * torch.nn leaf layers as data: each entry gives the constructor signature
 * (names and defaults, as in PyTorch) and how a call emits IR nodes (ONNX op
 * types, so shapes, MACs and receptive fields come from the shared op table).
 */
import type { AttrValue } from "../../ir/types";
import type { QuickFix } from "./graphBuilder";
import { F, I0, I1, T, one, op, w, type LayerCall, type LayerSpec } from "./nnLayerKit";
import { ArgError, getBool, getFloat, getInt, getTuple, isNoneOrMissing } from "./pyArgs";
import { NONE, int, tuple, unknown, type PyTensor, type PyValue } from "./values";
import { SEQUENCE_LAYERS } from "./nnSequenceLayers";
import { RESHAPE_LAYERS } from "./nnReshapeLayers";
import { MORE_LAYERS, lazy, softmaxDim } from "./nnMoreLayers";

/** Fix for "expects N input channels/features but receives M": replace the constructor's constant. */
function channelFix(c: LayerCall, argName: string, message: string): { message: string; fixes?: QuickFix[] } {
  const got = /receives (\d+)/.exec(message)?.[1];
  const span = c.argSpans.get(argName);
  const shape = c.x.state.shape;
  const fixes: QuickFix[] = [];
  if (got && span) {
    fixes.push({ span, replacement: got, title: `Change ${argName} to ${got}` });
    // After a flatten, the product of the flattened dims says where the number comes from (64 * 13 * 13).
    const producer = c.b.nodes.find((n) => n.outputs.includes(c.x.value));
    const before =
      producer && (producer.opType === "Flatten" || producer.opType === "Reshape")
        ? c.b.states.get(producer.inputs[0] ?? "")?.shape
        : undefined;
    const dims = before?.slice(1);
    if (
      dims &&
      dims.length > 1 &&
      dims.every((d) => typeof d === "number") &&
      String(dims.reduce<number>((a, d) => a * (d as number), 1)) === got
    )
      fixes.push({ span, replacement: dims.join(" * "), title: `Change ${argName} to ${dims.join(" * ")}` });
  }
  return { message: shape ? `${message} (input ${shape.join("×")})` : message, fixes };
}

function conv(rank: number, transposed: boolean): LayerSpec {
  const params = transposed
    ? [
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "output_padding",
        "groups",
        "bias",
        "dilation",
        "padding_mode",
      ]
    : [
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
        "padding_mode",
      ];
  return {
    params,
    defaults: { stride: I1, padding: I0, output_padding: I0, dilation: I1, groups: I1, bias: T },
    forward(c) {
      const cin = getInt(c.args, "in_channels"),
        cout = getInt(c.args, "out_channels"),
        g = getInt(c.args, "groups");
      const k = getTuple(c.args, "kernel_size", rank);
      const attrs: Record<string, AttrValue> = {
        kernel_shape: k,
        strides: getTuple(c.args, "stride", rank),
        dilations: getTuple(c.args, "dilation", rank),
        group: g,
      };
      const pad = c.args.get("padding");
      if (pad?.t === "str") attrs["auto_pad"] = pad.v === "same" ? "SAME_UPPER" : "VALID";
      else {
        const p = getTuple(c.args, "padding", rank);
        attrs["pads"] = [...p, ...p];
      }
      if (transposed) attrs["output_padding"] = getTuple(c.args, "output_padding", rank);
      const weight = w(c, "weight", transposed ? [cin, cout / g, ...k] : [cout, cin / g, ...k]);
      const inputs = [c.x.value, weight];
      if (getBool(c.args, "bias", true)) inputs.push(w(c, "bias", [cout]));
      const label = transposed ? "ConvTranspose" : "Conv";
      return one(
        op(c, label, inputs, attrs, {
          explain: (m) =>
            /input channels/.test(m)
              ? channelFix(c, "in_channels", m.replace(/^Conv(Transpose)? /, `${c.type} `))
              : undefined,
        }),
      );
    },
    defaultInput: (a) => {
      const cin = a.get("in_channels");
      const ch = cin?.t === "int" ? cin.v : 3;
      return {
        dtype: "float32",
        shape: rank === 1 ? [1, ch, 128] : rank === 2 ? [1, ch, 224, 224] : [1, ch, 16, 112, 112],
      };
    },
  };
}

function lpPool(c: LayerCall, rank: number): PyValue {
  const k = getTuple(c.args, "kernel_size", rank);
  const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
  return one(op(c, "LpPool", [c.x.value], { kernel_shape: k, strides: s, p: getInt(c.args, "norm_type") }));
}

function pool(rank: number, kind: "Max" | "Avg"): LayerSpec {
  const params =
    kind === "Max"
      ? ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]
      : ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"];
  return {
    params,
    defaults: { stride: NONE, padding: I0, dilation: I1, ceil_mode: F },
    forward(c) {
      const k = getTuple(c.args, "kernel_size", rank);
      const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
      const p = getTuple(c.args, "padding", rank);
      const attrs: Record<string, AttrValue> = {
        kernel_shape: k,
        strides: s,
        pads: [...p, ...p],
        ceil_mode: getBool(c.args, "ceil_mode", false) ? 1 : 0,
      };
      if (kind === "Max") attrs["dilations"] = getTuple(c.args, "dilation", rank);
      // return_indices=True: (values, indices), what MaxUnpool takes.
      const indices = kind === "Max" && getBool(c.args, "return_indices", false);
      const outs = op(c, kind === "Max" ? "MaxPool" : "AveragePool", [c.x.value], attrs, {
        outputs: indices ? 2 : 1,
      });
      return indices ? tuple(outs) : one(outs);
    },
  };
}

/** Adaptive pooling: global when the output is 1, else the kernel/stride PyTorch's exporter derives. */
function adaptive(rank: number, kind: "Max" | "Avg"): LayerSpec {
  return {
    params: ["output_size", "return_indices"],
    defaults: {},
    forward(c) {
      const shape = c.x.state.shape;
      const outV = c.args.get("output_size");
      const outs =
        outV && (outV.t === "tuple" || outV.t === "list")
          ? outV.items
          : new Array<PyValue>(rank).fill(outV ?? NONE);
      const sizes = outs.map((v, i) => {
        const d = v.t === "int" ? v.v : shape?.[shape.length - rank + i];
        return typeof d === "number" ? d : NaN;
      });
      const indices = kind === "Max" && getBool(c.args, "return_indices", false);
      if (sizes.every((x) => x === 1) && !indices)
        return one(op(c, kind === "Max" ? "GlobalMaxPool" : "GlobalAveragePool", [c.x.value], {}));
      const ins = shape?.slice(-rank);
      if (!ins || !ins.every((d): d is number => typeof d === "number"))
        return unknown("adaptive pooling of an unknown size");
      const strides = ins.map((d, i) => Math.floor(d / (sizes[i] ?? 1)));
      const kernel = ins.map((d, i) => d - ((sizes[i] ?? 1) - 1) * (strides[i] ?? 1));
      const pooled = op(
        c,
        kind === "Max" ? "MaxPool" : "AveragePool",
        [c.x.value],
        { kernel_shape: kernel, strides, pads: new Array<number>(2 * rank).fill(0) },
        { outputs: indices ? 2 : 1 },
      );
      return indices ? tuple(pooled) : one(pooled);
    },
  };
}

function norm(
  opType: string,
  channelsArg: string,
  affineArg: string,
  affineDefault: boolean,
  buffers: boolean,
): LayerSpec {
  return {
    params:
      opType === "GroupNormalization"
        ? ["num_groups", "num_channels", "eps", "affine"]
        : [channelsArg, "eps", "momentum", affineArg, "track_running_stats"],
    defaults: {},
    forward(c) {
      const ch = getInt(c.args, channelsArg);
      const xc = c.x.state.shape?.[1];
      if (typeof xc === "number" && xc !== ch) {
        const span = c.argSpans.get(channelsArg) ?? c.callSpan;
        c.b.diagnostics.push({
          span: c.callSpan,
          message: `${c.type} expects ${ch} channels but receives ${xc} (input ${c.x.state.shape?.join("×")})`,
          severity: "error",
          fixes: [{ span, replacement: String(xc), title: `Change ${channelsArg} to ${xc}` }],
        });
        return unknown(`${c.type} channel mismatch`);
      }
      const inputs = [c.x.value];
      if (getBool(c.args, affineArg, affineDefault)) inputs.push(w(c, "weight", [ch]), w(c, "bias", [ch]));
      if (buffers && getBool(c.args, "track_running_stats", true))
        inputs.push(w(c, "running_mean", [ch], "buffer"), w(c, "running_var", [ch], "buffer"));
      return one(op(c, opType, inputs, { epsilon: getFloat(c.args, "eps", 1e-5) }));
    },
  };
}

function activation(
  opType: string,
  params: string[] = [],
  attrs: (c: LayerCall) => Record<string, AttrValue> = () => ({}),
): LayerSpec {
  return { params, defaults: {}, forward: (c) => one(op(c, opType, [c.x.value], attrs(c))) };
}

/** nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0): ONNX LRN's size, alpha, beta, bias. */
function lrnAttrs(c: LayerCall): Record<string, AttrValue> {
  return {
    size: getInt(c.args, "size"),
    alpha: getFloat(c.args, "alpha", 1e-4),
    beta: getFloat(c.args, "beta", 0.75),
    bias: getFloat(c.args, "k", 1),
  };
}

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
    const convParams = [
      "out_channels",
      "kernel_size",
      "stride",
      "padding",
      "dilation",
      "groups",
      "bias",
      "padding_mode",
    ];
    const tParams = [
      "out_channels",
      "kernel_size",
      "stride",
      "padding",
      "output_padding",
      "groups",
      "bias",
      "dilation",
      "padding_mode",
    ];
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
  Conv1d: conv(1, false),
  Conv2d: conv(2, false),
  Conv3d: conv(3, false),
  ConvTranspose1d: conv(1, true),
  ConvTranspose2d: conv(2, true),
  ConvTranspose3d: conv(3, true),
  Linear: linear,
  LazyLinear: lazy(linear, "Linear", "in_features", (r) => r - 1, ["out_features", "bias"]),
  MaxPool1d: pool(1, "Max"),
  MaxPool2d: pool(2, "Max"),
  MaxPool3d: pool(3, "Max"),
  AvgPool1d: pool(1, "Avg"),
  AvgPool2d: pool(2, "Avg"),
  AvgPool3d: pool(3, "Avg"),
  AdaptiveAvgPool1d: adaptive(1, "Avg"),
  AdaptiveAvgPool2d: adaptive(2, "Avg"),
  AdaptiveAvgPool3d: adaptive(3, "Avg"),
  AdaptiveMaxPool1d: adaptive(1, "Max"),
  AdaptiveMaxPool2d: adaptive(2, "Max"),
  AdaptiveMaxPool3d: adaptive(3, "Max"),
  BatchNorm1d: norm("BatchNormalization", "num_features", "affine", true, true),
  BatchNorm2d: norm("BatchNormalization", "num_features", "affine", true, true),
  BatchNorm3d: norm("BatchNormalization", "num_features", "affine", true, true),
  InstanceNorm1d: norm("InstanceNormalization", "num_features", "affine", false, false),
  InstanceNorm2d: norm("InstanceNormalization", "num_features", "affine", false, false),
  InstanceNorm3d: norm("InstanceNormalization", "num_features", "affine", false, false),
  GroupNorm: norm("GroupNormalization", "num_channels", "affine", true, false),
  LayerNorm: {
    params: ["normalized_shape", "eps", "elementwise_affine", "bias"],
    defaults: { elementwise_affine: T },
    forward(c) {
      const ns = c.args.get("normalized_shape");
      const dims =
        ns?.t === "int"
          ? [ns.v]
          : ns && (ns.t === "tuple" || ns.t === "list")
            ? ns.items.map((v) => (v.t === "int" ? v.v : NaN))
            : [NaN];
      if (dims.some(Number.isNaN)) throw new ArgError("normalized_shape is not constant");
      const inputs = [c.x.value];
      if (getBool(c.args, "elementwise_affine", true))
        inputs.push(w(c, "weight", dims), ...(getBool(c.args, "bias", true) ? [w(c, "bias", dims)] : []));
      return one(op(c, "LayerNormalization", inputs, { axis: -dims.length }));
    },
  },
  LocalResponseNorm: activation("LRN", ["size", "alpha", "beta", "k"], lrnAttrs),
  CrossMapLRN2d: activation("LRN", ["size", "alpha", "beta", "k"], lrnAttrs),
  SyncBatchNorm: norm("BatchNormalization", "num_features", "affine", true, true),
  ReLU: activation("Relu", ["inplace"]),
  ReLU6: activation("Clip", ["inplace"]),
  LeakyReLU: activation("LeakyRelu", ["negative_slope", "inplace"], (c) => ({
    alpha: getFloat(c.args, "negative_slope", 0.01),
  })),
  PReLU: {
    params: ["num_parameters", "init"],
    defaults: { num_parameters: I1 },
    forward: (c) => one(op(c, "PRelu", [c.x.value, w(c, "weight", [getInt(c.args, "num_parameters")])], {})),
  },
  ELU: activation("Elu", ["alpha", "inplace"], (c) => ({ alpha: getFloat(c.args, "alpha", 1) })),
  SELU: activation("Selu"),
  CELU: activation("Celu", ["alpha", "inplace"], (c) => ({ alpha: getFloat(c.args, "alpha", 1) })),
  GELU: activation("Gelu"),
  SiLU: activation("Silu"),
  Mish: activation("Mish"),
  Sigmoid: activation("Sigmoid"),
  Tanh: activation("Tanh"),
  Hardswish: activation("HardSwish"),
  Hardsigmoid: activation("HardSigmoid"),
  Hardtanh: activation("Hardtanh"),
  Softplus: activation("Softplus"),
  Softsign: activation("Softsign"),
  LogSigmoid: activation("LogSigmoid"),
  Softmax: activation("Softmax", ["dim"], (c) => ({ axis: softmaxDim(c) })),
  LogSoftmax: activation("LogSoftmax", ["dim"], (c) => ({ axis: softmaxDim(c) })),
  Softmax2d: activation("Softmax", [], () => ({ axis: -3 })),
  Dropout: activation("Dropout", ["p", "inplace"]),
  Dropout1d: activation("Dropout", ["p", "inplace"]),
  Dropout2d: activation("Dropout", ["p", "inplace"]),
  Dropout3d: activation("Dropout", ["p", "inplace"]),
  AlphaDropout: activation("Dropout", ["p", "inplace"]),
  Identity: identity,
  Flatten: flatten,
  Unflatten: unflatten,
  Bilinear: bilinear,
  LPPool1d: {
    params: ["norm_type", "kernel_size", "stride", "ceil_mode"],
    defaults: { stride: NONE },
    forward: (c) => lpPool(c, 1),
  },
  LPPool2d: {
    params: ["norm_type", "kernel_size", "stride", "ceil_mode"],
    defaults: { stride: NONE },
    forward: (c) => lpPool(c, 2),
  },
  Embedding: embedding,
  ...SEQUENCE_LAYERS,
  ...RESHAPE_LAYERS,
  ...MORE_LAYERS,
  ...lazyLayers(),
};

export type { LayerCall, LayerSpec };
