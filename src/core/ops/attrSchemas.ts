/**
 * The attributes of each op as the ONNX operator schemas define them (name, type, default),
 * as data beside the op's shape / cost / RF / backward rules. The ONNX writer takes an
 * attribute's type from here (a Python `1.0` is the JS number 1: only the schema knows that
 * Elu's alpha is a FLOAT), readers need not set types by hand, and the forward and backward
 * rules read attributes through the same helpers (ops/dims.ts). Ops without attributes have no entry.
 */
import type { AttrValue } from "../ir/types";

export type AttrType = "float" | "int" | "string" | "floats" | "ints" | "strings" | "tensor" | "graph";

export interface AttrSpec {
  readonly name: string;
  readonly type: AttrType;
  /** The schema's default; absent when the attribute is required or has no single default. */
  readonly default?: AttrValue;
}

/** AttributeProto.AttributeType codes (onnx.proto). */
export const ONNX_ATTR_CODES: Readonly<Record<AttrType, number>> = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
};

const f = (name: string, dflt?: number): AttrSpec => ({
  name,
  type: "float",
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const i = (name: string, dflt?: number): AttrSpec => ({
  name,
  type: "int",
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const s = (name: string, dflt?: string): AttrSpec => ({
  name,
  type: "string",
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const ints = (name: string): AttrSpec => ({ name, type: "ints" });
const floats = (name: string): AttrSpec => ({ name, type: "floats" });
const strings = (name: string): AttrSpec => ({ name, type: "strings" });

/** Conv-like windows: auto_pad, dilations, kernel_shape, pads, strides. */
const WINDOW = [
  s("auto_pad", "NOTSET"),
  ints("dilations"),
  ints("kernel_shape"),
  ints("pads"),
  ints("strides"),
];
const REDUCE = [ints("axes"), i("keepdims", 1), i("noop_with_empty_axes", 0)];
const RNN_COMMON = [
  floats("activation_alpha"),
  floats("activation_beta"),
  strings("activations"),
  f("clip"),
  s("direction", "forward"),
  i("hidden_size"),
  i("layout", 0),
];

export const ATTR_SCHEMAS: Readonly<Record<string, readonly AttrSpec[]>> = {
  ArgMax: [i("axis", 0), i("keepdims", 1), i("select_last_index", 0)],
  ArgMin: [i("axis", 0), i("keepdims", 1), i("select_last_index", 0)],
  AveragePool: [...WINDOW, i("ceil_mode", 0), i("count_include_pad", 0)],
  BatchNormalization: [f("epsilon", 1e-5), f("momentum", 0.9), i("training_mode", 0)],
  Bernoulli: [i("dtype"), f("seed")],
  BitShift: [s("direction")],
  Cast: [i("saturate", 1), i("to")],
  Celu: [f("alpha", 1)],
  Clip: [f("max"), f("min")],
  Col2Im: [ints("dilations"), ints("pads"), ints("strides")],
  Concat: [i("axis")],
  ConstantOfShape: [{ name: "value", type: "tensor" }],
  Conv: [...WINDOW, i("group", 1)],
  ConvTranspose: [...WINDOW, i("group", 1), ints("output_padding"), ints("output_shape")],
  DepthToSpace: [i("blocksize"), s("mode", "DCR")],
  Dropout: [f("ratio", 0.5), i("seed")],
  Einsum: [s("equation")],
  Elu: [f("alpha", 1)],
  Flatten: [i("axis", 1)],
  Gather: [i("axis", 0)],
  Gelu: [s("approximate", "none")],
  Gemm: [f("alpha", 1), f("beta", 1), i("transA", 0), i("transB", 0)],
  GlobalLpPool: [i("p", 2)],
  GroupNormalization: [f("epsilon", 1e-5), i("num_groups"), i("stash_type", 1)],
  GRU: [...RNN_COMMON, i("linear_before_reset", 0)],
  HardSigmoid: [f("alpha", 0.2), f("beta", 0.5)],
  Hardmax: [i("axis", -1)],
  InstanceNormalization: [f("epsilon", 1e-5)],
  IsInf: [i("detect_negative", 1), i("detect_positive", 1)],
  LayerNormalization: [i("axis", -1), f("epsilon", 1e-5), i("stash_type", 1)],
  LeakyRelu: [f("alpha", 0.01)],
  LogSoftmax: [i("axis", -1)],
  LpNormalization: [i("axis", -1), i("p", 2)],
  LpPool: [...WINDOW, i("ceil_mode", 0), i("p", 2)],
  LRN: [f("alpha", 1e-4), f("beta", 0.75), f("bias", 1), i("size")],
  LSTM: [...RNN_COMMON, i("input_forget", 0)],
  MaxPool: [...WINDOW, i("ceil_mode", 0), i("storage_order", 0)],
  MaxUnpool: [ints("kernel_shape"), ints("pads"), ints("strides")],
  MeanVarianceNormalization: [ints("axes")],
  Mod: [i("fmod", 0)],
  NonMaxSuppression: [i("center_point_box", 0)],
  Pad: [s("mode", "constant")],
  ReduceL1: REDUCE,
  ReduceL2: REDUCE,
  ReduceLogSum: REDUCE,
  ReduceLogSumExp: REDUCE,
  ReduceMax: REDUCE,
  ReduceMean: REDUCE,
  ReduceMin: REDUCE,
  ReduceProd: REDUCE,
  ReduceSum: REDUCE,
  ReduceSumSquare: REDUCE,
  Reshape: [i("allowzero", 0)],
  Resize: [
    i("antialias", 0),
    ints("axes"),
    s("coordinate_transformation_mode", "half_pixel"),
    f("cubic_coeff_a", -0.75),
    i("exclude_outside", 0),
    f("extrapolation_value", 0),
    s("keep_aspect_ratio_policy", "stretch"),
    s("mode", "nearest"),
    s("nearest_mode", "round_prefer_floor"),
  ],
  RMSNormalization: [i("axis", -1), f("epsilon", 1e-5), i("stash_type", 1)],
  RNN: RNN_COMMON,
  Selu: [f("alpha", 1.67326319217681884765625), f("gamma", 1.05070102214813232421875)],
  Shape: [i("end"), i("start", 0)],
  Shrink: [f("bias", 0), f("lambd", 0.5)],
  Softmax: [i("axis", -1)],
  SpaceToDepth: [i("blocksize")],
  Split: [i("axis", 0), i("num_outputs")],
  Squeeze: [ints("axes")],
  ThresholdedRelu: [f("alpha", 1)],
  TopK: [i("axis", -1), i("largest", 1), i("sorted", 1)],
  Transpose: [ints("perm")],
  Unsqueeze: [ints("axes")],
  Upsample: [s("mode", "nearest"), floats("scales")],
};

/** An op's attribute spec (also for ops without shape rules, e.g. ones only written for the runtime). */
export function attrSpec(opType: string, name: string): AttrSpec | undefined {
  return ATTR_SCHEMAS[opType]?.find((a) => a.name === name);
}

/** The ONNX type code of an op's attribute, from its schema; undefined when the schema does not list it. */
export function attrTypeCode(opType: string, name: string): number | undefined {
  const spec = attrSpec(opType, name);
  return spec ? ONNX_ATTR_CODES[spec.type] : undefined;
}
