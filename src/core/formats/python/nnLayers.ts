/**
 * torch.nn leaf layers as data: each entry gives the constructor signature
 * (names and defaults, as in PyTorch) and how a call emits IR nodes (ONNX op
 * types, so shapes, MACs and receptive fields come from the shared op table).
 */
import type { AttrValue } from "../../ir/types";
import type { QuickFix } from "./graphBuilder";
import { F, I0, I1, T, one, op, w, type LayerCall, type LayerSpec } from "./nnLayerKit";
import { ArgError, getBool, getFloat, getInt, getTuple, isNoneOrMissing } from "./pyArgs";
import { NONE, int, str, unknown, type PyTensor, type PyValue } from "./values";
import { SEQUENCE_LAYERS } from "./nnSequenceLayers";

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
    const before = producer && (producer.opType === "Flatten" || producer.opType === "Reshape") ? c.b.states.get(producer.inputs[0] ?? "")?.shape : undefined;
    const dims = before?.slice(1);
    if (dims && dims.length > 1 && dims.every((d) => typeof d === "number") && String(dims.reduce<number>((a, d) => a * (d as number), 1)) === got)
      fixes.push({ span, replacement: dims.join(" * "), title: `Change ${argName} to ${dims.join(" * ")}` });
  }
  return { message: shape ? `${message} (input ${shape.join("×")})` : message, fixes };
}

function conv(rank: number, transposed: boolean): LayerSpec {
  const params = transposed
    ? ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"]
    : ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"];
  return {
    params,
    defaults: { stride: I1, padding: I0, output_padding: I0, dilation: I1, groups: I1, bias: T },
    forward(c) {
      const cin = getInt(c.args, "in_channels"),
        cout = getInt(c.args, "out_channels"),
        g = getInt(c.args, "groups");
      const k = getTuple(c.args, "kernel_size", rank);
      const attrs: Record<string, AttrValue> = { kernel_shape: k, strides: getTuple(c.args, "stride", rank), dilations: getTuple(c.args, "dilation", rank), group: g };
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
      return one(op(c, label, inputs, attrs, { explain: (m) => (/input channels/.test(m) ? channelFix(c, "in_channels", m.replace(/^Conv(Transpose)? /, `${c.type} `)) : undefined) }));
    },
    defaultInput: (a) => {
      const cin = a.get("in_channels");
      const ch = cin?.t === "int" ? cin.v : 3;
      return { dtype: "float32", shape: rank === 1 ? [1, ch, 128] : rank === 2 ? [1, ch, 224, 224] : [1, ch, 16, 112, 112] };
    },
  };
}

function lpPool(c: LayerCall, rank: number): PyValue {
  const k = getTuple(c.args, "kernel_size", rank);
  const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
  return one(op(c, "LpPool", [c.x.value], { kernel_shape: k, strides: s, p: getInt(c.args, "norm_type") }));
}

function pool(rank: number, kind: "Max" | "Avg"): LayerSpec {
  const params = kind === "Max" ? ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"] : ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"];
  return {
    params,
    defaults: { stride: NONE, padding: I0, dilation: I1, ceil_mode: F },
    forward(c) {
      const k = getTuple(c.args, "kernel_size", rank);
      const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
      const p = getTuple(c.args, "padding", rank);
      const attrs: Record<string, AttrValue> = { kernel_shape: k, strides: s, pads: [...p, ...p], ceil_mode: getBool(c.args, "ceil_mode", false) ? 1 : 0 };
      if (kind === "Max") attrs["dilations"] = getTuple(c.args, "dilation", rank);
      return one(op(c, kind === "Max" ? "MaxPool" : "AveragePool", [c.x.value], attrs));
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
      const outs = outV && (outV.t === "tuple" || outV.t === "list") ? outV.items : new Array<PyValue>(rank).fill(outV ?? NONE);
      const sizes = outs.map((v, i) => {
        const d = v.t === "int" ? v.v : shape?.[shape.length - rank + i];
        return typeof d === "number" ? d : NaN;
      });
      if (sizes.every((x) => x === 1)) return one(op(c, kind === "Max" ? "GlobalMaxPool" : "GlobalAveragePool", [c.x.value], {}));
      const ins = shape?.slice(-rank);
      if (!ins || !ins.every((d): d is number => typeof d === "number")) return unknown("adaptive pooling of an unknown size");
      const strides = ins.map((d, i) => Math.floor(d / (sizes[i] ?? 1)));
      const kernel = ins.map((d, i) => d - ((sizes[i] ?? 1) - 1) * (strides[i] ?? 1));
      return one(op(c, kind === "Max" ? "MaxPool" : "AveragePool", [c.x.value], { kernel_shape: kernel, strides, pads: new Array<number>(2 * rank).fill(0) }));
    },
  };
}

function norm(opType: string, channelsArg: string, affineArg: string, affineDefault: boolean, buffers: boolean): LayerSpec {
  return {
    params: opType === "GroupNormalization" ? ["num_groups", "num_channels", "eps", "affine"] : [channelsArg, "eps", "momentum", affineArg, "track_running_stats"],
    defaults: {},
    forward(c) {
      const ch = getInt(c.args, channelsArg);
      const xc = c.x.state.shape?.[1];
      if (typeof xc === "number" && xc !== ch) {
        const span = c.argSpans.get(channelsArg) ?? c.callSpan;
        c.b.diagnostics.push({ span: c.callSpan, message: `${c.type} expects ${ch} channels but receives ${xc} (input ${c.x.state.shape?.join("×")})`, severity: "error", fixes: [{ span, replacement: String(xc), title: `Change ${channelsArg} to ${xc}` }] });
        return unknown(`${c.type} channel mismatch`);
      }
      const inputs = [c.x.value];
      if (getBool(c.args, affineArg, affineDefault)) inputs.push(w(c, "weight", [ch]), w(c, "bias", [ch]));
      if (buffers && getBool(c.args, "track_running_stats", true)) inputs.push(w(c, "running_mean", [ch], "buffer"), w(c, "running_var", [ch], "buffer"));
      return one(op(c, opType, inputs, { epsilon: getFloat(c.args, "eps", 1e-5) }));
    },
  };
}

function activation(opType: string, params: string[] = [], attrs: (c: LayerCall) => Record<string, AttrValue> = () => ({})): LayerSpec {
  return { params, defaults: {}, forward: (c) => one(op(c, opType, [c.x.value], attrs(c))) };
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
    const mm = op(c, "MatMul", [c.x.value, w(c, "weight", [fin, fout])], {}, { explain: (m) => explain(m.replace(/MatMul inner dimensions differ: (\d+) vs (\d+)/, "Linear expects $2 input features but receives $1")) });
    return bias ? one(op(c, "Add", [(mm[0] as PyTensor).value, w(c, "bias", [fout])], {})) : one(mm);
  },
  defaultInput: (a) => ({ dtype: "float32", shape: [1, a.get("in_features")?.t === "int" ? (a.get("in_features") as { v: number }).v : 128] }),
};

const embedding: LayerSpec = {
  params: ["num_embeddings", "embedding_dim", "padding_idx"],
  defaults: {},
  forward: (c) => one(op(c, "Gather", [w(c, "weight", [getInt(c.args, "num_embeddings"), getInt(c.args, "embedding_dim")]), c.x.value], { axis: 0 })),
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
    const target = [...shape.slice(0, s).map(() => 0), -1, ...shape.slice(e + 1).map((d) => (typeof d === "number" ? d : 0))];
    return one(op(c, "Reshape", [c.x.value, c.b.constInts(target)], {}));
  },
};

const identity: LayerSpec = { params: [], defaults: {}, forward: (c) => c.x };

/** y_o = x1ᵀ W_o x2 + b_o, as one Einsum (MACs = batch · in1 · in2 · out). */
const bilinear: LayerSpec = {
  params: ["in1_features", "in2_features", "out_features", "bias"],
  defaults: { bias: T },
  forward(c) {
    const x2 = c.rest[0];
    if (x2?.t !== "tensor") return unknown("Bilinear needs two tensors");
    const [i, j, o] = [getInt(c.args, "in1_features"), getInt(c.args, "in2_features"), getInt(c.args, "out_features")];
    const y = one(op(c, "Einsum", [c.x.value, w(c, "weight", [o, i, j]), x2.value], { equation: "bi,oij,bj->bo" }));
    return getBool(c.args, "bias", true) && y.t === "tensor" ? one(op(c, "Add", [y.value, w(c, "bias", [o])], {})) : y;
  },
};

const unflatten: LayerSpec = {
  params: ["dim", "unflattened_size"],
  defaults: {},
  forward(c) {
    const shape = c.x.state.shape;
    const dim = getInt(c.args, "dim");
    const sizes = c.args.get("unflattened_size");
    const parts = sizes && (sizes.t === "tuple" || sizes.t === "list") ? sizes.items.map((v) => (v.t === "int" ? v.v : NaN)) : [];
    if (!shape || parts.some(Number.isNaN)) return unknown("Unflatten with sizes that are not constant");
    const d = dim < 0 ? dim + shape.length : dim;
    const target = [...shape.slice(0, d).map(() => 0), ...parts, ...shape.slice(d + 1).map(() => 0)];
    return one(op(c, "Reshape", [c.x.value, c.b.constInts(target)], {}));
  },
};

export const NN_LAYERS: Readonly<Record<string, LayerSpec>> = {
  Conv1d: conv(1, false),
  Conv2d: conv(2, false),
  Conv3d: conv(3, false),
  ConvTranspose1d: conv(1, true),
  ConvTranspose2d: conv(2, true),
  ConvTranspose3d: conv(3, true),
  Linear: linear,
  LazyLinear: { ...linear, params: ["out_features", "bias"] },
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
      const dims = ns?.t === "int" ? [ns.v] : ns && (ns.t === "tuple" || ns.t === "list") ? ns.items.map((v) => (v.t === "int" ? v.v : NaN)) : [NaN];
      if (dims.some(Number.isNaN)) throw new ArgError("normalized_shape is not constant");
      const inputs = [c.x.value];
      if (getBool(c.args, "elementwise_affine", true)) inputs.push(w(c, "weight", dims), w(c, "bias", dims));
      return one(op(c, "LayerNormalization", inputs, { axis: -dims.length }));
    },
  },
  LocalResponseNorm: activation("LRN", ["size"], (c) => ({ size: getInt(c.args, "size") })),
  ReLU: activation("Relu", ["inplace"]),
  ReLU6: activation("Clip", ["inplace"]),
  LeakyReLU: activation("LeakyRelu", ["negative_slope", "inplace"]),
  PReLU: {
    params: ["num_parameters", "init"],
    defaults: { num_parameters: I1 },
    forward: (c) => one(op(c, "PRelu", [c.x.value, w(c, "weight", [getInt(c.args, "num_parameters")])], {})),
  },
  ELU: activation("Elu"),
  SELU: activation("Selu"),
  CELU: activation("Celu"),
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
  Softmax: activation("Softmax", ["dim"], (c) => ({ axis: c.args.get("dim")?.t === "int" ? getInt(c.args, "dim") : -1 })),
  LogSoftmax: activation("LogSoftmax", ["dim"], (c) => ({ axis: c.args.get("dim")?.t === "int" ? getInt(c.args, "dim") : -1 })),
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
  LPPool1d: { params: ["norm_type", "kernel_size", "stride", "ceil_mode"], defaults: { stride: NONE }, forward: (c) => lpPool(c, 1) },
  LPPool2d: { params: ["norm_type", "kernel_size", "stride", "ceil_mode"], defaults: { stride: NONE }, forward: (c) => lpPool(c, 2) },
  Embedding: embedding,
  ...SEQUENCE_LAYERS,
  PixelShuffle: activation("DepthToSpace", ["upscale_factor"], (c) => ({ blocksize: getInt(c.args, "upscale_factor"), mode: "CRD" })),
  Upsample: {
    params: ["size", "scale_factor", "mode", "align_corners"],
    defaults: { mode: str("nearest") },
    forward(c) {
      const rank = (c.x.state.shape?.length ?? 4) - 2;
      const sf = c.args.get("scale_factor");
      if (!sf || sf.t === "none") return unknown("Upsample by size is not followed yet");
      const s = getTuple(c.args, "scale_factor", rank);
      const mode = c.args.get("mode");
      return one(op(c, "Resize", [c.x.value, "", c.b.constInts([1, 1, ...s])], { mode: mode?.t === "str" && mode.v !== "nearest" ? "linear" : "nearest" }));
    },
  },
  ZeroPad2d: {
    params: ["padding"],
    defaults: {},
    forward(c) {
      const [l, r, t, b] = getTuple(c.args, "padding", 4).length === 4 ? getTuple(c.args, "padding", 4) : [0, 0, 0, 0];
      return one(op(c, "Pad", [c.x.value, c.b.constInts([0, 0, t ?? 0, l ?? 0, 0, 0, b ?? 0, r ?? 0])], {}));
    },
  },
};

export type { LayerCall, LayerSpec };
