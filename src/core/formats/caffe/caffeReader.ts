/**
 * Caffe .prototxt reader: the text-format protobuf is parsed generically
 * (textProto.ts), then each layer becomes ONNX-style IR nodes named after the
 * layer. Both input styles, legacy V1 `layers` and current `layer`, in-place
 * layers (top == bottom) and TRAIN-phase layers are handled.
 */
import type { AttrValue, Dim, Model, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { CAFFE_DOMAIN } from "../../ops/caffeOps";
import { lineSpans } from "../lineSpans";
import { dataLayerTops } from "./caffeData";
import { moreLayers } from "./caffeMoreLayers";
import { shapeLayers } from "./caffeShapeLayers";
import { ssdRecurrentLayers } from "./caffeSsdRecurrent";
import { Net, UnknownSize, UnsupportedLayer, numeric, twoDims } from "./caffeNet";
import { parseTextProto, type TextMessage } from "./textProto";

/** Shapes given by the user (--input-shape, convlens.inputShapes): by input name, "*" for the first input. */
export interface CaffeReadOptions {
  readonly inputShapes?: Readonly<Record<string, readonly Dim[]>>;
}

/** Legacy V1 enum layer types → current names. */
const V1_TYPES: Readonly<Record<string, string>> = {
  CONVOLUTION: "Convolution",
  DECONVOLUTION: "Deconvolution",
  POOLING: "Pooling",
  INNER_PRODUCT: "InnerProduct",
  RELU: "ReLU",
  SIGMOID: "Sigmoid",
  TANH: "TanH",
  LRN: "LRN",
  SOFTMAX: "Softmax",
  SOFTMAX_LOSS: "SoftmaxWithLoss",
  DROPOUT: "Dropout",
  CONCAT: "Concat",
  ELTWISE: "Eltwise",
  SPLIT: "Split",
  SLICE: "Slice",
  FLATTEN: "Flatten",
  DATA: "Data",
  ACCURACY: "Accuracy",
  BNLL: "BNLL",
  ABSVAL: "AbsVal",
  POWER: "Power",
  SILENCE: "Silence",
  IMAGE_DATA: "ImageData",
  HDF5_DATA: "HDF5Data",
  MEMORY_DATA: "MemoryData",
  WINDOW_DATA: "WindowData",
  DUMMY_DATA: "DummyData",
  EXP: "Exp",
  THRESHOLD: "Threshold",
  ARGMAX: "ArgMax",
  EUCLIDEAN_LOSS: "EuclideanLoss",
  SIGMOID_CROSS_ENTROPY_LOSS: "SigmoidCrossEntropyLoss",
  HINGE_LOSS: "HingeLoss",
  INFOGAIN_LOSS: "InfogainLoss",
  MULTINOMIAL_LOGISTIC_LOSS: "MultinomialLogisticLoss",
  CONTRASTIVE_LOSS: "ContrastiveLoss",
  HDF5_OUTPUT: "HDF5Output",
};
const SKIPPED = new Set([
  "Accuracy",
  "SoftmaxWithLoss",
  "EuclideanLoss",
  "SigmoidCrossEntropyLoss",
  "HingeLoss",
  "InfogainLoss",
  "MultinomialLogisticLoss",
  "ContrastiveLoss",
  "SmoothL1Loss",
  "MultiBoxLoss",
  "HDF5Output",
  "Silence",
]);

export function looksLikeCaffe(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 8192));
  return /\blayers?\s*\{/.test(head) && /\btype\s*:/.test(head);
}

export function readCaffe(bytes: Uint8Array, opts: CaffeReadOptions = {}): Model {
  const text = new TextDecoder().decode(bytes);
  const root = parseTextProto(text);
  const lines = lineSpans(text);
  const net = new Net();
  const inputs: ValueInfo[] = [];
  const notes: string[] = [];
  const paramsUnknown: { path: string; reason: string }[] = [];
  // The user's shape replaces the file's (or the data layer's) for the named input, "*" for the first one.
  const declare = (name: string, shape: Dim[] | undefined) => {
    // Data layers of other stages (test-on-train, test-on-test) feed the same blob: the first one
    // is the input, a later one adds nothing (and no second "give the input shape" note).
    if (inputs.some((i) => i.name === name)) return true;
    const given = opts.inputShapes?.[name] ?? (inputs.length === 0 ? opts.inputShapes?.["*"] : undefined);
    inputs.push(net.input(name, given ? [...given] : shape));
    return given !== undefined;
  };
  // Old style: input: "data" with input_shape { dim } or four input_dim per input.
  const inputNames = root.all("input").map(String);
  const inputDims = root.nums("input_dim");
  inputNames.forEach((name, i) => {
    const shapeMsg = root.msgs("input_shape")[i];
    const shape = shapeMsg ? shapeMsg.nums("dim") : inputDims.slice(i * 4, i * 4 + 4);
    if (shape.length === 0) throw new ModelError(`input "${name}" has no input_shape or input_dim`);
    declare(name, shape);
  });
  const layers = [...root.msgs("layer"), ...root.msgs("layers")];
  if (layers.length === 0) {
    // A solver (the other .prototxt people open) holds no layers: it names the net file to open.
    const named = root.str("net") ?? root.str("train_net");
    if (named !== undefined)
      throw new ModelError(`A Caffe solver, not a network: open the net file it names ("${named}").`);
    throw new ModelError("No layer { … } blocks: not a Caffe network definition.");
  }
  let unknownLayers = 0;
  for (const l of layers) {
    const raw = l.str("type") ?? "";
    const type = V1_TYPES[raw] ?? raw;
    const name = l.str("name") ?? `${type}_${net.nodes.length}`;
    const phases = l.msgs("include").map((m) => m.str("phase"));
    if (phases.includes("TRAIN") || SKIPPED.has(type)) continue;
    const tops = l.all("top").map(String);
    if (type === "Input") {
      const shapes = l.msg("input_param")?.msgs("shape") ?? [];
      tops.forEach((t, i) => declare(t, (shapes[i] ?? shapes[0])?.nums("dim") ?? []));
      continue;
    }
    const data = dataLayerTops(l, type, name);
    if (data) {
      // The first top is the data; the others (labels) are produced too, so loss layers skip cleanly.
      const given = tops.map((t, i) => declare(t, data.shapes[i]));
      if (data.note && !given[0]) notes.push(data.note);
      continue;
    }
    const bottoms = l.all("bottom").map((b) => net.blob(String(b), l.line));
    net.def = lines[l.line - 1];
    net.beginLayer(l);
    let outs: string[];
    try {
      outs = caffeLayer(net, l, type, name, bottoms);
    } catch (e) {
      if (!(e instanceof UnknownSize) && !(e instanceof UnsupportedLayer)) throw e;
      // Kept in its place with unknown outputs: the first reason is told, the layers it makes unknown
      // counted.
      if (e instanceof UnsupportedLayer || unknownLayers === 0) notes.push(`unknown: ${e.message}`);
      if (e instanceof UnknownSize) unknownLayers++;
      outs = net.opaque(name, type, bottoms, Math.max(1, tops.length));
      paramsUnknown.push({ path: name, reason: e.message });
    }
    tops.forEach((t, i) => net.setBlob(t, outs[i] ?? outs[0] ?? ""));
  }
  if (unknownLayers > 1)
    notes.push(`unknown: ${unknownLayers - 1} later layers need sizes that are unknown after it.`);
  if (inputs.length === 0)
    throw new ModelError("The network declares no input shape (input_shape, input_dim or an Input layer).");
  const consumed = new Set(net.nodes.flatMap((n) => n.inputs));
  const outputs = net.nodes
    .flatMap((n) => n.outputs)
    .filter((o) => !consumed.has(o))
    .map((name) => ({ name, dtype: "float32" as const, shape: undefined }));
  return {
    format: "caffe",
    graph: {
      name: root.str("name") ?? "caffe",
      nodes: net.nodes,
      inputs,
      outputs,
      initializers: net.initializers,
      valueInfo: new Map(),
    },
    // Layers with no ONNX operator are nodes of ConvLens's Caffe domain, declared like any domain.
    opsets: net.nodes.some((n) => n.domain === CAFFE_DOMAIN) ? { "": 17, [CAFFE_DOMAIN]: 1 } : { "": 17 },
    producer: "Caffe prototxt",
    irVersion: 0,
    weightless: true,
    ...(notes.length ? { notes } : {}),
    ...(paramsUnknown.length ? { paramsUnknown } : {}),
  };
}

/**
 * LRN with norm_region: WITHIN_CHANNEL, built as Caffe's lrn_layer builds it: x² average-pooled over a
 * local_size × local_size window (stride 1, padded to keep the size, padding counted), then
 * (1 + alpha·that)^−beta times x. A spatial window: the receptive field grows by local_size − 1.
 */
function withinChannelLrn(
  net: Net,
  node: (op: string, inputs: string[], attrs?: Record<string, AttrValue>) => string[],
  name: string,
  p: TextMessage,
  x: string,
): string[] {
  const size = p.num("local_size") ?? 5;
  const pad = Math.floor((size - 1) / 2);
  const scalar = (what: string, v: number) => net.floats(`${name}.${what}`, [v]);
  const square = node("Mul", [x, x])[0] ?? "";
  const mean = node("AveragePool", [square], {
    kernel_shape: [size, size],
    strides: [1, 1],
    pads: [pad, pad, pad, pad],
    count_include_pad: 1,
  })[0];
  const scaled = node("Mul", [mean ?? "", scalar("alpha", p.num("alpha") ?? 1)])[0] ?? "";
  const shifted = node("Add", [scaled, scalar("one", 1)])[0] ?? "";
  const factor = node("Pow", [shifted, scalar("minus_beta", -(p.num("beta") ?? 0.75))])[0] ?? "";
  return node("Mul", [x, factor]);
}

function caffeLayer(net: Net, l: TextMessage, type: string, name: string, b: string[]): string[] {
  const x = b[0] ?? "";
  const xs = () => numeric(net.state(x)?.shape);
  const node = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outs = 1) =>
    net.node(name, type, op, inputs, attrs, outs);
  const channels = () => {
    const c = net.state(x)?.shape?.[1];
    if (typeof c !== "number")
      throw new UnknownSize(`layer "${name}" (line ${l.line}): the channels of its input are unknown`);
    return c;
  };
  switch (type) {
    case "Convolution":
    case "ConvolutionDepthwise":
    case "Deconvolution": {
      const p = l.msg("convolution_param") ?? l;
      const c = channels();
      // ShuffleNet's / MobileNet's fork layer (conv_dw_layer.cpp): one k×k filter per input channel,
      // as many outputs as inputs; its num_output and group are not read.
      const depthwise = type === "ConvolutionDepthwise";
      const out = depthwise ? c : (p.num("num_output") ?? 0);
      const group = depthwise ? c : (p.num("group") ?? 1);
      const k = twoDims(p, "kernel_size", "kernel_h", "kernel_w", 1);
      const s = twoDims(p, "stride", "stride_h", "stride_w", 1);
      const pad = twoDims(p, "pad", "pad_h", "pad_w", 0);
      const d = twoDims(p, "dilation", "dilation_h", "dilation_w", 1);
      const deconv = type === "Deconvolution";
      const w = net.weight(`${name}.weight`, deconv ? [c, out / group, ...k] : [out, c / group, ...k]);
      const inputs = [x, w];
      if (p.first("bias_term") !== false) inputs.push(net.weight(`${name}.bias`, [out]));
      return node(deconv ? "ConvTranspose" : "Conv", inputs, {
        kernel_shape: k,
        strides: s,
        pads: [...pad, ...pad],
        dilations: d,
        group,
      });
    }
    case "Pooling": {
      const p = l.msg("pooling_param") ?? l;
      const pool = String(p.first("pool") ?? "MAX");
      const max = pool === "MAX" || pool === "0";
      if (p.first("global_pooling") === true) return node(max ? "GlobalMaxPool" : "GlobalAveragePool", [x]);
      const k = twoDims(p, "kernel_size", "kernel_h", "kernel_w", 1);
      const s = twoDims(p, "stride", "stride_h", "stride_w", 1);
      const pad = twoDims(p, "pad", "pad_h", "pad_w", 0);
      // Caffe rounds pooled sizes up (and clips a window that would start in the padding) unless
      // round_mode: FLOOR (BVLC) or ceil_mode: false (a widespread fork field) says down; its
      // average divides by the window within the padded input, padding included.
      const floor = String(p.first("round_mode") ?? "CEIL") === "FLOOR" || p.first("ceil_mode") === false;
      return node(max ? "MaxPool" : "AveragePool", [x], {
        kernel_shape: k,
        strides: s,
        pads: [...pad, ...pad],
        ceil_mode: floor ? 0 : 1,
        ...(max ? {} : { count_include_pad: 1 }),
      });
    }
    case "InnerProduct": {
      const p = l.msg("inner_product_param") ?? l;
      const out = p.num("num_output") ?? 0;
      const axis = p.num("axis") ?? 1;
      const shape = xs();
      if (!shape) throw new UnknownSize(`layer "${name}" (line ${l.line}): the size of its input is unknown`);
      const flat = node("Flatten", [x], { axis })[0] ?? "";
      const k = shape.slice(axis).reduce((a, v) => a * v, 1);
      // transpose: true stores the weight as [in, out].
      const transpose = p.first("transpose") === true;
      const inputs = [flat, net.weight(`${name}.weight`, transpose ? [k, out] : [out, k])];
      if (p.first("bias_term") !== false) inputs.push(net.weight(`${name}.bias`, [out]));
      return node("Gemm", inputs, { transB: transpose ? 0 : 1 });
    }
    case "ReLU": {
      const slope = l.msg("relu_param")?.num("negative_slope") ?? 0;
      return slope ? node("LeakyRelu", [x], { alpha: slope }) : node("Relu", [x]);
    }
    case "PReLU":
      return node("PRelu", [
        x,
        net.weight(
          `${name}.slope`,
          l.msg("prelu_param")?.first("channel_shared") === true ? [1] : [channels(), 1, 1],
        ),
      ]);
    case "Sigmoid":
      return node("Sigmoid", [x]);
    case "TanH":
      return node("Tanh", [x]);
    case "ELU":
      return node("Elu", [x]);
    case "AbsVal":
      return node("Abs", [x]);
    case "BNLL":
      return node("Softplus", [x]);
    case "LRN": {
      const p = l.msg("lrn_param") ?? l;
      const region = String(p.first("norm_region") ?? "ACROSS_CHANNELS");
      if (region === "WITHIN_CHANNEL" || region === "1") return withinChannelLrn(net, node, name, p, x);
      return node("LRN", [x], {
        size: p.num("local_size") ?? 5,
        alpha: p.num("alpha") ?? 1,
        beta: p.num("beta") ?? 0.75,
        bias: p.num("k") ?? 1,
      });
    }
    case "BatchNorm": {
      // Caffe's BatchNorm holds statistics only (no learned scale): they are buffers; a Scale layer follows.
      const c = channels();
      const eps = l.msg("batch_norm_param")?.num("eps") ?? 1e-5;
      const inputs = [
        x,
        net.floats(`${name}.one`, new Array<number>(c).fill(1)),
        net.floats(`${name}.zero`, new Array<number>(c).fill(0)),
        net.weight(`${name}.mean`, [c], "buffer"),
        net.weight(`${name}.variance`, [c], "buffer"),
      ];
      return node("BatchNormalization", inputs, { epsilon: eps });
    }
    case "Scale":
    case "Bias": {
      const c = channels();
      const rank = net.state(x)?.shape?.length ?? 4;
      const dims = [c, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
      let y = x;
      if (type === "Scale") y = node("Mul", [y, net.weight(`${name}.weight`, dims)])[0] ?? y;
      if (type === "Bias" || l.msg("scale_param")?.first("bias_term") === true)
        y = node("Add", [y, net.weight(`${name}.bias`, dims)])[0] ?? y;
      return [y];
    }
    case "Eltwise": {
      const p = l.msg("eltwise_param");
      const op = String(p?.first("operation") ?? "SUM");
      if (op === "PROD" || op === "0") return node("Mul", b);
      if (op === "MAX" || op === "2") return node("Max", b);
      // SUM with coefficients (coeff: 1 coeff: -1 is a difference): each input scaled first.
      const coeff = p?.nums("coeff") ?? [];
      const terms = b.map((v, i) =>
        coeff[i] === undefined || coeff[i] === 1
          ? v
          : (node("Mul", [v, net.floats(`${name}.coeff${i}`, [coeff[i] ?? 1])])[0] ?? v),
      );
      return node("Sum", terms);
    }
    default: {
      const more =
        shapeLayers(net, l, type, name, b) ??
        moreLayers(net, l, type, name, b) ??
        ssdRecurrentLayers(net, l, type, name, b);
      if (more) return more;
      throw new UnsupportedLayer(
        `layer "${name}" (line ${l.line}): Caffe layer type "${type}" is not supported; its outputs are unknown`,
      );
    }
  }
}
