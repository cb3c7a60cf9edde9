/**
 * Backward rules, one entry per op: given the gradient of a node's output, emit
 * ONNX nodes computing the gradient of its data input. Rectifying layers follow
 * the chosen method (saliency = true gradient; guided backprop; Zeiler & Fergus
 * deconvnet); every other op uses its ordinary gradient, as the papers define.
 * The windowed ops' rules are in backwardWindowRules.ts; the contract in backwardRuleKit.ts.
 */
import { attrFloat, attrInt } from "../ops/dims";
import { NoRule, knownShape, type GradContext, type GradRule } from "./backwardRuleKit";
import { averagePool, conv, globalAveragePool, maxPool } from "./backwardWindowRules";

const rectifier: GradRule = ({ node, dy, method, e }) => {
  const x = node.inputs[0] ?? "";
  const pos = () =>
    e.node("Cast", [e.node("Greater", [x, e.constFloats([0], [])])[0] ?? ""], { to: 1 })[0] ?? "";
  if (method === "saliency") return [e.node("Mul", [dy, pos()])[0]];
  if (method === "deconvnet" || method === "deconvnet_all_act") return [e.node("Relu", [dy])[0]];
  return [e.node("Mul", [e.node("Relu", [dy])[0] ?? "", pos()])[0]];
};

/** Clip (ReLU6): gradient where min < x < max; the guided / deconvnet variants rectify like ReLU. */
const clip: GradRule = ({ node, dy, method, e }) => {
  const x = node.inputs[0] ?? "";
  const lo =
    node.inputs[1] || (typeof node.attrs["min"] === "number" ? e.constFloats([node.attrs["min"]], []) : "");
  const hi =
    node.inputs[2] || (typeof node.attrs["max"] === "number" ? e.constFloats([node.attrs["max"]], []) : "");
  if (method === "deconvnet" || method === "deconvnet_all_act") return [e.node("Relu", [dy])[0]];
  // Float masks multiplied, not a bool And: And has no WebGPU kernel (see maxPool below).
  const mask = (op: string, bound: string) =>
    e.node("Cast", [e.node(op, [x, bound])[0] ?? ""], { to: 1 })[0] ?? "";
  let inside = lo ? mask("Greater", lo) : "";
  if (hi) {
    const below = mask("Less", hi);
    inside = inside ? (e.node("Mul", [inside, below])[0] ?? "") : below;
  }
  const signal = method === "saliency" ? dy : (e.node("Relu", [dy])[0] ?? "");
  return [inside ? e.node("Mul", [signal, inside])[0] : signal];
};

/**
 * Smooth activations: the ordinary derivative from the forward values (the *_all_act methods rectify
 * instead).
 */
function smooth(derivative: (c: GradContext) => string): GradRule {
  return (c) => {
    if (c.method === "deconvnet_all_act") return [c.e.node("Relu", [c.dy])[0]];
    const d = derivative(c);
    const signal = c.method === "guided_all_act" ? (c.e.node("Relu", [c.dy])[0] ?? "") : c.dy;
    return [c.e.node("Mul", [signal, d])[0]];
  };
}

/**
 * tanh′(x) = 4·e^(−2|x|) / (1 + e^(−2|x|))², from the input: 1 − tanh² cancels to 0 in float32 once tanh
 * rounds to 1.
 */
const tanh = smooth(({ node, e }) => {
  const t =
    e.node("Exp", [
      e.node("Mul", [e.node("Abs", [node.inputs[0] ?? ""])[0] ?? "", e.constFloats([-2], [])])[0] ?? "",
    ])[0] ?? "";
  const den = e.node("Add", [e.constFloats([1], []), t])[0] ?? "";
  return (
    e.node("Div", [
      e.node("Mul", [t, e.constFloats([4], [])])[0] ?? "",
      e.node("Mul", [den, den])[0] ?? "",
    ])[0] ?? ""
  );
});

const sigmoid = smooth(({ node, e }) => {
  const y = node.outputs[0] ?? "";
  return e.node("Mul", [y, e.node("Sub", [e.constFloats([1], []), y])[0] ?? ""])[0] ?? "";
});

/** HardSwish x·relu6(x + 3)/6: 0 below −3, (2x + 3)/6 between, 1 from 3 on (float masks, as for Clip). */
const hardSwish = smooth(({ node, e }) => {
  const x = node.inputs[0] ?? "";
  const f = (v: number) => e.constFloats([v], []);
  const op = (type: string, a: string, b: string) => e.node(type, [a, b])[0] ?? "";
  const mask = (type: string, bound: number) => e.node("Cast", [op(type, x, f(bound))], { to: 1 })[0] ?? "";
  const below3 = mask("Less", 3);
  const slope = op("Div", op("Add", op("Add", x, x), f(3)), f(6));
  return op("Add", op("Mul", slope, op("Mul", mask("Greater", -3), below3)), op("Sub", f(1), below3));
});

/** Gemm Y = X·Wᵀ (transB) or X·W: dX = dY·W or dY·Wᵀ. */
const gemm: GradRule = ({ node, dy, e }) => {
  if (attrInt(node, "transA", 0) === 1) throw new NoRule("Gemm with transA");
  const w = node.inputs[1] ?? "";
  const transB = attrInt(node, "transB", 0) === 1;
  const wt = transB ? w : (e.node("Transpose", [w], { perm: [1, 0] })[0] ?? "");
  const alpha = attrFloat(node, "alpha", 1);
  const g = e.node("MatMul", [dy, wt])[0] ?? "";
  return [alpha === 1 ? g : e.node("Mul", [g, e.constFloats([alpha], [])])[0]];
};

/** MatMul Y = X·W with W a weight matrix (Keras Dense): dX = dY·Wᵀ. */
const matMul: GradRule = ({ node, dy, e, isData }) => {
  const w = node.inputs[1] ?? "";
  if (isData(w) || e.shapeOf(w)?.length !== 2) throw new NoRule("MatMul of two activations or a batch");
  return [e.node("MatMul", [dy, e.node("Transpose", [w], { perm: [1, 0] })[0] ?? ""])[0]];
};

/** Transpose by perm: the gradient goes back by the inverse permutation. */
const transpose: GradRule = ({ node, dy, e }) => {
  const perm = node.attrs["perm"];
  if (!Array.isArray(perm)) throw new NoRule("Transpose without perm");
  const inverse = perm.map((_, i) => perm.map(Number).indexOf(i));
  return [e.node("Transpose", [dy], { perm: inverse })[0]];
};

/** ReduceMean over its axes attribute (TFLite's MEAN, Keras's global pooling): dY spread over each group. */
const reduceMean: GradRule = ({ node, dy, e, constant }) => {
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the mean's input");
  // Axes an attribute up to opset 17, a constant input from 18.
  const raw = node.inputs[1] ? constant(node.inputs[1]) : node.attrs["axes"];
  if ((node.inputs[1] && raw === undefined) || (raw !== undefined && !Array.isArray(raw)))
    throw new NoRule("ReduceMean whose axes are not constant");
  if (Array.isArray(raw) && raw.length === 0 && attrInt(node, "noop_with_empty_axes", 0) === 1) return [dy];
  const axes =
    Array.isArray(raw) && raw.length > 0 ? raw.map((a) => (Number(a) + x.length) % x.length) : x.keys();
  const reduced = new Set(axes);
  const count = [...reduced].reduce((a, i) => a * (x[i] ?? 1), 1);
  const kept = e.node("Reshape", [dy, e.constInts(x.map((d, i) => (reduced.has(i) ? 1 : d)))])[0] ?? "";
  return [
    e.node("Expand", [e.node("Mul", [kept, e.constFloats([1 / count], [])])[0] ?? "", e.constInts(x)])[0],
  ];
};

/** Constant Pad (pads an attribute or a constant input): the gradient is dY without the padding. */
const pad: GradRule = ({ node, dy, e, constant }) => {
  const mode = node.attrs["mode"] ?? "constant";
  if (mode !== "constant") throw new NoRule(`Pad mode ${String(mode)}`);
  const raw = node.attrs["pads"];
  const pads = Array.isArray(raw) ? raw.map(Number) : constant(node.inputs[1] ?? "");
  if (!pads || node.inputs[3] || pads.some((p) => p < 0)) throw new NoRule("Pad whose pads are not constant");
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the padded input");
  const begin = x.map((_, i) => pads[i] ?? 0);
  const slice = [e.constInts(begin), e.constInts(x.map((d, i) => (begin[i] ?? 0) + d))];
  return [e.node("Slice", [dy, ...slice])[0]];
};

const reshapeBack: GradRule = ({ node, dy, e }) => [
  e.node("Reshape", [dy, e.constInts(knownShape(e.shapeOf(node.inputs[0] ?? ""), "the input"))])[0],
];

const passThrough: GradRule = ({ dy }) => [dy];

const add: GradRule = ({ node, dy, e }) => {
  const out = knownShape(e.shapeOf(node.outputs[0] ?? ""), "the sum");
  return node.inputs.map((i) => {
    const s = e.shapeOf(i);
    return s && s.length === out.length && s.every((d, k) => d === out[k]) ? dy : undefined;
  });
};

const concat: GradRule = ({ node, dy, e }) => {
  const axis = attrInt(node, "axis", 0);
  let start = 0;
  return node.inputs.map((i) => {
    const size =
      knownShape(e.shapeOf(i), "a concat input")[axis < 0 ? axis + (e.shapeOf(i)?.length ?? 0) : axis] ?? 0;
    const g = e.node("Slice", [
      dy,
      e.constInts([start]),
      e.constInts([start + size]),
      e.constInts([axis]),
    ])[0];
    start += size;
    return g;
  });
};

export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Relu: rectifier,
  Clip: clip,
  Tanh: tanh,
  Sigmoid: sigmoid,
  HardSwish: hardSwish,
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  Transpose: transpose,
  ReduceMean: reduceMean,
  Pad: pad,
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
