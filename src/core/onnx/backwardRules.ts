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
