/**
 * Darknet's recurrent sections as standard ONNX ops, for running (the `lower` rules of their op-table
 * entries, darknetOps.ts): one step from the zero state, as
 * ConvLens analyses them (one row, one step of one sequence). Each inner layer is the Gemm or Conv
 * Darknet runs (with its batch norm and activation); the state is zeros of the inner output's shape
 * (Shape → ConstantOfShape), so a state layer gives exactly what Darknet's does on its first step.
 *
 * [rnn], [crnn] (rnn_layer.c, crnn_layer.c: state = input(x) + self(state), output = output(state)),
 * [lstm] (lstm_layer.c), AlexeyAB's [conv_lstm] (forward_conv_lstm_layer) and [history]
 * (forward_history_layer) run; an [lstm]'s weights cannot be loaded (the two Darknets write its inner
 * layers in different orders: darknetWeights.ts), so it runs on generated weights. [gru] does not run:
 * the activation of its h̃ differs between versions of the same source (pjreddie's gru_layer.c squashes
 * it with the logistic unless the cfg's tanh=1 in later commits, unless compiled with USET in earlier
 * ones; AlexeyAB's uses tanh), so a .cfg does not say what Darknet computes.
 */
import type { Node } from "../ir/types";
import { ACTIVATIONS } from "../formats/darknet/darknetCfg";
import type { LoweringBuilder as Lowering } from "./types";

interface Inner {
  readonly weights: string;
  readonly biases: string;
  /** scales, rolling mean, rolling variance, where batch-normalised. */
  readonly bn?: readonly [string, string, string];
}

const attr = (node: Node, name: string) => node.attrs[name];
const attrNum = (node: Node, name: string, dflt: number): number => {
  const v = attr(node, name);
  return typeof v === "number" ? v : dflt;
};

/** The node's inner layers, in its input order: weights, biases and (batch-normalised) three more each. */
function innerLayers(node: Node): Inner[] {
  const per = attrNum(node, "batch_normalize", 0) ? 5 : 2;
  const out: Inner[] = [];
  for (let i = 1; i + per <= node.inputs.length; i += per) {
    const [weights = "", biases = "", s = "", m = "", v = ""] = node.inputs.slice(i, i + per);
    out.push(per === 5 ? { weights, biases, bn: [s, m, v] } : { weights, biases });
  }
  return out;
}

function activate(l: Lowering, x: string, act: string): string {
  const op = ACTIVATIONS[act];
  if (op === undefined && !(act in ACTIVATIONS))
    throw new Error(`activation ${act} is not one ConvLens runs`);
  if (!op) return x;
  if (op === "Clip") return l.emit(op, [x, l.scalar(0), l.scalar(6)]);
  return l.emit(op, [x], op === "LeakyRelu" ? { alpha: 0.1 } : {});
}

/**
 * An inner layer as Darknet runs it: x·Wᵀ or the convolution, batch norm with the biases as its shift
 * (or the biases), the activation.
 */
function applyInner(l: Lowering, x: string, inner: Inner, act: string, conv?: Node["attrs"]): string {
  const biases = inner.bn ? [] : [inner.biases];
  let y = conv
    ? l.emit("Conv", [x, inner.weights, ...biases], conv)
    : l.emit("Gemm", [x, inner.weights, ...biases], { transB: 1 });
  if (inner.bn) {
    const [scales, mean, variance] = inner.bn;
    y = l.emit("BatchNormalization", [y, scales, inner.biases, mean, variance]);
  }
  return activate(l, y, act);
}

const zerosLike = (l: Lowering, x: string) => l.emit("ConstantOfShape", [l.emit("Shape", [x])]);

function convAttrs(node: Node): Node["attrs"] {
  const keep = ["kernel_shape", "strides", "pads", "dilations", "group"];
  return Object.fromEntries(Object.entries(node.attrs).filter(([k]) => keep.includes(k)));
}

/** [rnn] and [crnn]: state = input(x) + self(0) on the first step; output = output(state). */
export function lowerRnn(node: Node, l: Lowering): string {
  if (attrNum(node, "logistic", 0) !== 0)
    throw new Error(
      "its logistic= is read by AlexeyAB's Darknet (the self layer's activation) and not by pjreddie's",
    );
  const [input, self, output] = innerLayers(node);
  if (!input || !self || !output) throw new Error("its inner layers are missing");
  const act = String(attr(node, "activation") ?? "logistic");
  const conv = node.opType === "CRNN" ? convAttrs(node) : undefined;
  const x = conv ? (node.inputs[0] ?? "") : l.emit("Flatten", [node.inputs[0] ?? ""], { axis: 1 });
  const fromInput = applyInner(l, x, input, act, conv);
  const state = l.emit("Add", [fromInput, applyInner(l, zerosLike(l, fromInput), self, act, conv)]);
  return applyInner(l, state, output, act, conv);
}

/**
 * One LSTM step from h = c = 0 over x: AlexeyAB's forward_conv_lstm_layer (conv set: convolutions,
 * the section's activation, optional peephole layers vf, vi, vo) and lstm_layer.c (connected layers,
 * linear). Inner layers in build order uf, ui, ug, uo, wf, wi, wg, wo (, vf, vi, vo).
 */
function lstmStep(node: Node, l: Lowering, x: string, act: string, conv?: Node["attrs"]): string {
  const [uf, ui, ug, uo, wf, wi, wg, wo, vf, vi, vo] = innerLayers(node);
  if (!uf || !ui || !ug || !uo || !wf || !wi || !wg || !wo) throw new Error("its inner layers are missing");
  const peephole = attrNum(node, "peephole", 0) !== 0;
  if (peephole && (!vf || !vi || !vo)) throw new Error("its peephole layers are missing");
  const run = (layer: Inner, input: string) => applyInner(l, input, layer, act, conv);
  const fromX = { f: run(uf, x), i: run(ui, x), g: run(ug, x), o: run(uo, x) };
  const zeros = zerosLike(l, fromX.f);
  const sum = (...xs: string[]) => xs.reduce((a, b) => l.emit("Add", [a, b]));
  const peep = (layer: Inner | undefined, input: string) => (peephole && layer ? [run(layer, input)] : []);
  const f = l.emit("Sigmoid", [sum(run(wf, zeros), fromX.f, ...peep(vf, zeros))]);
  const i = l.emit("Sigmoid", [sum(run(wi, zeros), fromX.i, ...peep(vi, zeros))]);
  const g = l.emit("Tanh", [sum(run(wg, zeros), fromX.g)]);
  const c = l.emit("Add", [l.emit("Mul", [f, zeros]), l.emit("Mul", [i, g])]);
  const o = l.emit("Sigmoid", [sum(run(wo, zeros), fromX.o, ...peep(vo, c))]);
  return l.emit("Mul", [o, l.emit("Tanh", [c])]);
}

/** AlexeyAB's [conv_lstm], first step. */
export const lowerConvLstm = (node: Node, l: Lowering): string =>
  lstmStep(node, l, node.inputs[0] ?? "", String(attr(node, "activation") ?? "linear"), convAttrs(node));

/** [lstm] (forward_lstm_layer, lstm_layer.c), first step: x read as one row of values. */
export const lowerLstm = (node: Node, l: Lowering): string =>
  lstmStep(node, l, l.emit("Flatten", [node.inputs[0] ?? ""], { axis: 1 }), "linear");

/** AlexeyAB's forward_history_layer, first step: the input, then history_size − 1 zeroed steps. */
export function lowerHistory(node: Node, l: Lowering): string {
  const x = node.inputs[0] ?? "";
  const size = attrNum(node, "history_size", 4);
  if (size === 1) return l.emit("Identity", [x]);
  const before = l.emit("Tile", [x, l.ints([1, size - 1, 1, 1])]);
  return l.emit("Concat", [x, zerosLike(l, before)], { axis: 1 });
}
