/**
 * Darknet .weights: a header (major, minor, revision, images seen) and then, layer by layer in cfg
 * order, float32 tensors as load_weights_upto (parser.c) reads them: a convolution's biases,
 * (scales, rolling mean, rolling variance when batch-normalised), weights; a connected layer's
 * biases, weights, then its batch norm's three; a [batchnorm]'s biases, scales, mean, variance;
 * [local] biases and weights. Recurrent sections hold inner layers read in a fixed order: [rnn]
 * input, self, output (connected), [crnn] the same (convolutions), AlexeyAB's [conv_lstm] vf, vi,
 * vo (peephole), wf, wi, wg, wo, uf, ui, ug, uo. [gru] and [lstm] are refused: pjreddie's Darknet
 * writes their inner layers in another order than AlexeyAB's (save_weights_upto: wz, wr, wh, uz,
 * ur, uh against uz, ur, uh, wz, wr, wh, which an older pjreddie parser.c (header 0.1.0) wrote;
 * wi, wf, wo, wg, ui… against wf, wi, wg, wo, uf…, as Hank.ai's Darknet also writes). Nothing in
 * the files tells them apart: the header is the writer's version (pjreddie's a constant 0.2.0,
 * AlexeyAB's its build's version macros), which no load_weights_upto reads to choose an order, and
 * [gru] / [lstm] take the same keys (output=, batch_normalize=) in both Darknets.
 */
import type { Model, Tensor } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { elementCount } from "../../ir/tensorData";

const BN = ["scales", "rolling_mean", "rolling_variance"];

/** Inner layers of a recurrent section in the order the file holds them. */
const INNER_ORDER: Readonly<Record<string, readonly string[]>> = {
  rnn: ["input", "self", "output"],
  crnn: ["input", "self", "output"],
  conv_lstm: ["vf", "vi", "vo", "wf", "wi", "wg", "wo", "uf", "ui", "ug", "uo"],
};

const FORK_ORDERS: Readonly<Record<string, string>> = {
  gru:
    "pjreddie's Darknet writes wz, wr, wh, uz, ur, uh, AlexeyAB's (and pjreddie's older one) " +
    "uz, ur, uh, wz, wr, wh",
  lstm: "pjreddie's Darknet writes wi, wf, wo, wg, ui, uf, uo, ug, AlexeyAB's wf, wi, wg, wo, uf, ui, ug, uo",
};

export function applyDarknetWeights(model: Model, bytes: Uint8Array): { model: Model; loaded: number } {
  if (bytes.byteLength < 16) throw new ModelError("Not a Darknet .weights file: shorter than its header.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getInt32(0, true),
    minor = view.getInt32(4, true);
  // "seen" became 64-bit in format 0.2; connected weights were stored transposed by very old files.
  let pos = 12 + (major * 10 + minor >= 2 ? 8 : 4);
  const transpose = major > 1000 || minor > 1000;
  const initializers = new Map(model.graph.initializers);
  const types = new Map<number, string>();
  for (const n of model.graph.nodes)
    if (n.layer !== undefined && n.layerType !== undefined) types.set(Number(n.layer), n.layerType);
  const layers = new Set<number>();
  for (const name of initializers.keys()) {
    const m = /^(\d+)\.(?:\w+\.)?(biases|weights)$/.exec(name);
    if (m) layers.add(Number(m[1]));
  }
  let loaded = 0;
  const take = (name: string) => {
    const t = initializers.get(name);
    if (!t) return;
    const n = elementCount(t.dims);
    if (pos + n * 4 > bytes.byteLength)
      throw new ModelError(`The .weights file ends before layer ${name.split(".")[0]} (${name}).`);
    let copy: Uint8Array = new Uint8Array(bytes.subarray(pos, pos + n * 4));
    if (transpose && t.dims.length === 2) copy = transposed(copy, t.dims[1] ?? 0, t.dims[0] ?? 0);
    initializers.set(name, { ...t, storage: { kind: "inline", bytes: copy } } as Tensor);
    pos += n * 4;
    loaded++;
  };
  /**
   * One convolution's or connected layer's tensors; a connected one (rank-2 weights) reads its batch
   * norm last.
   */
  const takeLayer = (prefix: string) => {
    const connected = initializers.get(`${prefix}.weights`)?.dims.length === 2;
    take(`${prefix}.biases`);
    if (!connected) BN.forEach((k) => take(`${prefix}.${k}`));
    take(`${prefix}.weights`);
    if (connected) BN.forEach((k) => take(`${prefix}.${k}`));
  };
  for (const i of [...layers].sort((a, b) => a - b)) {
    const type = types.get(i) ?? "";
    const fork = FORK_ORDERS[type];
    if (fork)
      throw new ModelError(
        `ConvLens cannot load Darknet .weights into the [${type}] at layer ${i}: ${fork}; the file ` +
          `does not say which wrote it (its header ${major}.${minor}.${view.getInt32(8, true)} is a ` +
          `version no Darknet reads to choose the order, and the cfg's [${type}] keys are the same in both).`,
      );
    const inner = INNER_ORDER[type];
    if (inner) inner.forEach((sub) => takeLayer(`${i}.${sub}`));
    else takeLayer(String(i));
  }
  if (pos !== bytes.byteLength)
    throw new ModelError(
      `The .weights file has ${bytes.byteLength - pos} bytes more than the cfg's layers use: it belongs to another cfg.`,
    );
  return { model: { ...model, graph: { ...model.graph, initializers } }, loaded };
}

/** A float32 [rows, cols] matrix's bytes as [cols, rows] (Darknet's transpose_matrix). */
function transposed(bytes: Uint8Array, rows: number, cols: number): Uint8Array {
  const src = new Float32Array(bytes.slice().buffer);
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c] ?? 0;
  return new Uint8Array(out.buffer);
}
