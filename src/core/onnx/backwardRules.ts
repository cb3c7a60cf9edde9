/**
 * Backward rules, one entry per op: given the gradient of a node's output, emit
 * ONNX nodes computing the gradient of its data input. Rectifying layers follow
 * the chosen method (saliency = true gradient; guided backprop; Zeiler & Fergus
 * deconvnet); every other op uses its ordinary gradient, as the papers define.
 */
import type { AttrValue, Dim, Node } from "../ir/types";

export type Method = "saliency" | "guided" | "deconvnet" | "guided_all_act" | "deconvnet_all_act";

/** Emits nodes into the backward graph. */
export interface GradEmitter {
  /** Add a node; returns its output value names. */
  node(opType: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, outputs?: number): string[];
  constInts(values: readonly number[]): string;
  constFloats(values: readonly number[], dims: readonly number[]): string;
  shapeOf(value: string): readonly Dim[] | undefined;
  /** Float attribute (kept FLOAT when written). */
  floatAttr(name: string): void;
}

export interface GradContext {
  readonly node: Node;
  /** Gradient of the node's first output. */
  readonly dy: string;
  readonly method: Method;
  readonly e: GradEmitter;
}

/** Returns the gradient for each data input position (undefined = no gradient flows there). */
export type GradRule = (c: GradContext) => (string | undefined)[];

class NoRule extends Error {}
export { NoRule };

function ints(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function numeric(shape: readonly Dim[] | undefined, what: string): number[] {
  if (!shape || !shape.every((d): d is number => typeof d === "number")) throw new NoRule(`the shape of ${what} is not known`);
  return [...shape];
}

const rectifier: GradRule = ({ node, dy, method, e }) => {
  const x = node.inputs[0] ?? "";
  const pos = () => e.node("Cast", [e.node("Greater", [x, e.constFloats([0], [])])[0] ?? ""], { to: 1 })[0] ?? "";
  if (method === "saliency") return [e.node("Mul", [dy, pos()])[0]];
  if (method === "deconvnet" || method === "deconvnet_all_act") return [e.node("Relu", [dy])[0]];
  return [e.node("Mul", [e.node("Relu", [dy])[0] ?? "", pos()])[0]];
};

/** Clip (ReLU6): gradient where min < x < max; the guided / deconvnet variants rectify like ReLU. */
const clip: GradRule = ({ node, dy, method, e }) => {
  const x = node.inputs[0] ?? "";
  const lo = node.inputs[1] || (typeof node.attrs["min"] === "number" ? e.constFloats([node.attrs["min"]], []) : "");
  const hi = node.inputs[2] || (typeof node.attrs["max"] === "number" ? e.constFloats([node.attrs["max"]], []) : "");
  if (method === "deconvnet" || method === "deconvnet_all_act") return [e.node("Relu", [dy])[0]];
  // Float masks multiplied, not a bool And: And has no WebGPU kernel (see maxPool below).
  const mask = (op: string, bound: string) => e.node("Cast", [e.node(op, [x, bound])[0] ?? ""], { to: 1 })[0] ?? "";
  let inside = lo ? mask("Greater", lo) : "";
  if (hi) {
    const below = mask("Less", hi);
    inside = inside ? (e.node("Mul", [inside, below])[0] ?? "") : below;
  }
  const signal = method === "saliency" ? dy : (e.node("Relu", [dy])[0] ?? "");
  return [inside ? e.node("Mul", [signal, inside])[0] : signal];
};

/** Smooth activations: the ordinary derivative from the forward values (the *_all_act methods rectify instead). */
function smooth(derivative: (c: GradContext) => string): GradRule {
  return (c) => {
    if (c.method === "deconvnet_all_act") return [c.e.node("Relu", [c.dy])[0]];
    const d = derivative(c);
    const signal = c.method === "guided_all_act" ? (c.e.node("Relu", [c.dy])[0] ?? "") : c.dy;
    return [c.e.node("Mul", [signal, d])[0]];
  };
}

/** tanh′(x) = 4·e^(−2|x|) / (1 + e^(−2|x|))², from the input: 1 − tanh² cancels to 0 in float32 once tanh rounds to 1. */
const tanh = smooth(({ node, e }) => {
  const t = e.node("Exp", [e.node("Mul", [e.node("Abs", [node.inputs[0] ?? ""])[0] ?? "", e.constFloats([-2], [])])[0] ?? ""])[0] ?? "";
  const den = e.node("Add", [e.constFloats([1], []), t])[0] ?? "";
  return e.node("Div", [e.node("Mul", [t, e.constFloats([4], [])])[0] ?? "", e.node("Mul", [den, den])[0] ?? ""])[0] ?? "";
});

const sigmoid = smooth(({ node, e }) => {
  const y = node.outputs[0] ?? "";
  return e.node("Mul", [y, e.node("Sub", [e.constFloats([1], []), y])[0] ?? ""])[0] ?? "";
});

/** Conv: the transposed convolution with the same weights, strides, pads, dilations and groups. */
const conv: GradRule = ({ node, dy, e }) => {
  const x = numeric(e.shapeOf(node.inputs[0] ?? ""), "the conv input");
  const y = numeric(e.shapeOf(node.outputs[0] ?? ""), "the conv output");
  const w = numeric(e.shapeOf(node.inputs[1] ?? ""), "the conv weight");
  const n = x.length - 2;
  const k = ints(node, "kernel_shape") ?? w.slice(2);
  const s = ints(node, "strides") ?? new Array<number>(n).fill(1);
  const d = ints(node, "dilations") ?? new Array<number>(n).fill(1);
  const p = ints(node, "pads") ?? new Array<number>(2 * n).fill(0);
  if (typeof node.attrs["auto_pad"] === "string" && node.attrs["auto_pad"] !== "NOTSET") throw new NoRule("Conv with auto_pad");
  // output_padding restores the input size the forward stride rounded away.
  const outPad = x.slice(2).map((xi, i) => xi - ((s[i] ?? 1) * ((y[i + 2] ?? 1) - 1) + (d[i] ?? 1) * ((k[i] ?? 1) - 1) + 1 - (p[i] ?? 0) - (p[i + n] ?? 0)));
  const group = typeof node.attrs["group"] === "number" ? node.attrs["group"] : 1;
  return [e.node("ConvTranspose", [dy, node.inputs[1] ?? ""], { kernel_shape: k, strides: s, dilations: d, pads: p, group, output_padding: outPad })[0]];
};

/** Gemm Y = X·Wᵀ (transB) or X·W: dX = dY·W or dY·Wᵀ. */
const gemm: GradRule = ({ node, dy, e }) => {
  if (node.attrs["transA"] === 1) throw new NoRule("Gemm with transA");
  const w = node.inputs[1] ?? "";
  const transB = node.attrs["transB"] === 1;
  const wt = transB ? w : (e.node("Transpose", [w], { perm: [1, 0] })[0] ?? "");
  const alpha = typeof node.attrs["alpha"] === "number" ? node.attrs["alpha"] : 1;
  const g = e.node("MatMul", [dy, wt])[0] ?? "";
  return [alpha === 1 ? g : e.node("Mul", [g, e.constFloats([alpha], [])])[0]];
};

const reshapeBack: GradRule = ({ node, dy, e }) => [e.node("Reshape", [dy, e.constInts(numeric(e.shapeOf(node.inputs[0] ?? ""), "the input"))])[0]];

/** Average pooling spreads each gradient evenly over its window: a depthwise transposed conv with 1/|window|. */
const averagePool: GradRule = ({ node, dy, e }) => {
  const x = numeric(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const k = ints(node, "kernel_shape") ?? [];
  const n = k.length;
  const s = ints(node, "strides") ?? new Array<number>(n).fill(1);
  const p = ints(node, "pads") ?? new Array<number>(2 * n).fill(0);
  const y = numeric(e.shapeOf(node.outputs[0] ?? ""), "the pool output");
  const c = x[1] ?? 1;
  const area = k.reduce((a, b) => a * b, 1);
  const weight = e.constFloats(new Array<number>(c * area).fill(1 / area), [c, 1, ...k]);
  const outPad = x.slice(2).map((xi, i) => xi - ((s[i] ?? 1) * ((y[i + 2] ?? 1) - 1) + (k[i] ?? 1) - (p[i] ?? 0) - (p[i + n] ?? 0)));
  return [e.node("ConvTranspose", [dy, weight], { kernel_shape: k, strides: s, pads: p, group: c, output_padding: outPad })[0]];
};

/**
 * Max pooling routes each gradient to its window's maximum (the forward "switches"),
 * the first one on ties as PyTorch does (after a ReLU many windows are all zero).
 * Built from Slice / Equal / DepthToSpace, which every backend runs (MaxPool's Indices
 * output does not run on WebGPU); exact when kernel = stride, square, without padding.
 */
const maxPool: GradRule = ({ node, dy, e }) => {
  const k = ints(node, "kernel_shape") ?? [];
  const s = ints(node, "strides") ?? k.map(() => 1);
  const p = ints(node, "pads") ?? [];
  const x = numeric(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const y = numeric(e.shapeOf(node.outputs[0] ?? ""), "the pool output");
  const tiled = k.length === 2 && k[0] === k[1] && k.every((v, i) => v === s[i]) && p.every((v) => v === 0) && x.slice(2).every((d, i) => d === (y[i + 2] ?? 0) * (k[i] ?? 1));
  if (!tiled) {
    // Overlapping or padded windows: the forward indices and MaxUnpool (these run on the wasm backend).
    const attrs: Record<string, AttrValue> = { kernel_shape: k, strides: s, pads: p.length ? p : k.flatMap(() => [0, 0]) };
    if (node.attrs["ceil_mode"] === 1) attrs["ceil_mode"] = 1;
    const [, indices] = e.node("MaxPool", [node.inputs[0] ?? ""], attrs, 2);
    return [e.node("MaxUnpool", [dy, indices ?? "", e.constInts(x)], { kernel_shape: k, strides: s, pads: attrs["pads"] as number[] })[0]];
  }
  const kk = k[0] ?? 1;
  const pooled = node.outputs[0] ?? "";
  let taken = "";
  const parts: string[] = [];
  // One strided slice per window offset, row-major: offset (i, j) holds X[:, :, i::k, j::k].
  // The masks are 0/1 floats (hit = eq·(1 − taken), taken += hit), not bools with And / Or / Not:
  // onnxruntime-web 1.30 has no WebGPU And / Or, runs them on the CPU, and the bool tensors
  // passed between the two came back wrong on WebGPU (tools/gpu/gpuBench.ts found it).
  for (let i = 0; i < kk; i++)
    for (let j = 0; j < kk; j++) {
      const xs = e.node("Slice", [node.inputs[0] ?? "", e.constInts([i, j]), e.constInts([x[2] ?? 0, x[3] ?? 0]), e.constInts([2, 3]), e.constInts([kk, kk])])[0] ?? "";
      let hit = e.node("Cast", [e.node("Equal", [xs, pooled])[0] ?? ""], { to: 1 })[0] ?? "";
      if (taken) hit = e.node("Mul", [hit, e.node("Sub", [e.constFloats([1], []), taken])[0] ?? ""])[0] ?? "";
      taken = taken ? (e.node("Add", [taken, hit])[0] ?? "") : hit;
      parts.push(e.node("Mul", [dy, hit])[0] ?? "");
    }
  // DCR: output[c, h·k+i, w·k+j] = input[(i·k + j)·C + c, h, w].
  return [e.node("DepthToSpace", [e.node("Concat", parts, { axis: 1 })[0] ?? ""], { blocksize: kk, mode: "DCR" })[0]];
};

const globalAveragePool: GradRule = ({ node, dy, e }) => {
  const x = numeric(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const area = x.slice(2).reduce((a, b) => a * b, 1);
  return [e.node("Expand", [e.node("Mul", [dy, e.constFloats([1 / area], [])])[0] ?? "", e.constInts(x)])[0]];
};

const passThrough: GradRule = ({ dy }) => [dy];

const add: GradRule = ({ node, dy, e }) => {
  const out = numeric(e.shapeOf(node.outputs[0] ?? ""), "the sum");
  return node.inputs.map((i) => {
    const s = e.shapeOf(i);
    return s && s.length === out.length && s.every((d, k) => d === out[k]) ? dy : undefined;
  });
};

const concat: GradRule = ({ node, dy, e }) => {
  const axis = typeof node.attrs["axis"] === "number" ? node.attrs["axis"] : 0;
  let start = 0;
  return node.inputs.map((i) => {
    const size = numeric(e.shapeOf(i), "a concat input")[axis < 0 ? axis + (e.shapeOf(i)?.length ?? 0) : axis] ?? 0;
    const g = e.node("Slice", [dy, e.constInts([start]), e.constInts([start + size]), e.constInts([axis])])[0];
    start += size;
    return g;
  });
};

export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Relu: rectifier,
  Clip: clip,
  Tanh: tanh,
  Sigmoid: sigmoid,
  Conv: conv,
  Gemm: gemm,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  AveragePool: averagePool,
  MaxPool: maxPool,
  GlobalAveragePool: globalAveragePool,
  Identity: passThrough,
  Dropout: passThrough,
  Add: add,
  Concat: concat,
};
