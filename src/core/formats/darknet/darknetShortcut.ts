/**
 * Darknet's [shortcut] between tensors of different shapes, as `shortcut_cpu` computes it (and
 * AlexeyAB's weighted sum, below):
 * the output keeps the previous layer's shape (w2×h2×c2); the `from` layer (w1×h1×c1) is
 * read every `stride = w1/w2` positions, or written every `sample = w2/w1` positions, and
 * only the first min(c1, c2) channels and min(h), min(w) positions are added. Written here
 * as Slice (with steps) → zero insertion (Reshape, Pad, Reshape) → Pad to the output shape,
 * so shapes, costs and values all follow Darknet.
 */
import type { AttrValue } from "../../ir/types";
import { Unfollowed } from "./darknetCfg";

export interface Chw {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

export interface ShortcutOps {
  emit(opType: string, inputs: string[], attrs?: Record<string, AttrValue>): string;
  consts(name: string, values: number[]): string;
}

/** The `from` tensor `x` (shape `from`) laid onto the previous layer's shape `to`, ready to be added. */
export function fitShortcut(o: ShortcutOps, id: string, x: string, from: Chw, to: Chw): string {
  if (from.c === to.c && from.h === to.h && from.w === to.w) return x;
  const stride = Math.max(1, Math.floor(from.w / to.w));
  const sample = Math.max(1, Math.floor(to.w / from.w));
  const c = Math.min(from.c, to.c);
  const h = Math.min(from.h, to.h);
  const w = Math.min(from.w, to.w);
  let y = o.emit("Slice", [
    x,
    o.consts(`${id}.from_starts`, [0, 0, 0]),
    o.consts(`${id}.from_ends`, [c, (h - 1) * stride + 1, (w - 1) * stride + 1]),
    o.consts(`${id}.from_axes`, [1, 2, 3]),
    o.consts(`${id}.from_steps`, [1, stride, stride]),
  ]);
  let [outH, outW] = [h, w];
  if (sample > 1) {
    // Position (j, i) goes to (j·sample, i·sample): put sample−1 zeros after every row and column.
    const split = o.emit("Reshape", [y, o.consts(`${id}.split`, [0, c, h, 1, w, 1])]);
    const padded = o.emit("Pad", [
      split,
      o.consts(`${id}.gaps`, [0, 0, 0, 0, 0, 0, 0, 0, 0, sample - 1, 0, sample - 1]),
    ]);
    y = o.emit("Reshape", [padded, o.consts(`${id}.merge`, [0, c, h * sample, w * sample])]);
    [outH, outW] = [h * sample, w * sample];
  }
  if (outH > to.h || outW > to.w) {
    y = o.emit("Slice", [
      y,
      o.consts(`${id}.fit_starts`, [0, 0]),
      o.consts(`${id}.fit_ends`, [to.h, to.w]),
      o.consts(`${id}.fit_axes`, [2, 3]),
    ]);
    [outH, outW] = [Math.min(outH, to.h), Math.min(outW, to.w)];
  }
  if (c === to.c && outH === to.h && outW === to.w) return y;
  return o.emit("Pad", [y, o.consts(`${id}.pads`, [0, 0, 0, 0, 0, to.c - c, to.h - outH, to.w - outW])]);
}

/** weights_type → weights per layer summed: one (per_feature, per_layer) or one per channel. */
const PER_LAYER: Readonly<Record<string, (c: number) => number>> = {
  per_feature: () => 1,
  per_layer: () => 1,
  per_channel: (c) => c,
};

/**
 * AlexeyAB's [shortcut] weights (parse_shortcut): undefined without weights_type; else how many
 * weights each summed layer has and how they are normalised (an older parser.c spelled the key
 * weights_normalizion).
 */
export function shortcutWeights(
  opts: ReadonlyMap<string, string>,
  where: string,
  c: number,
): { perLayer: number; normalization: "none" | "relu" | "softmax" } | undefined {
  const type = opts.get("weights_type") ?? "none";
  if (type === "none") return undefined;
  const per = PER_LAYER[type];
  if (!per) throw new Unfollowed(`${where}: weights_type=${type} is none of per_feature, per_channel`);
  const norm = opts.get("weights_normalization") ?? opts.get("weights_normalizion") ?? "none";
  const normalization = norm === "avg_relu" ? "relu" : norm;
  if (normalization !== "none" && normalization !== "relu" && normalization !== "softmax")
    throw new Unfollowed(`${where}: weights_normalization=${norm} is none of none, relu, softmax`);
  return { perLayer: per(c), normalization };
}

/**
 * The weighted sum of shortcut_multilayer_cpu (blas.c): Σ_k x_k · w_k over the previous layer's tensor
 * (k = 0) and each fitted `from` tensor, with w [n + 1, perLayer] (a channel's weight, or the layer's)
 * normalised over k — relu: relu(w) / (ε + Σ relu(w)), softmax: exp(w − max) / (ε + Σ exp(w − max)),
 * ε = 0.0001 — as Darknet computes it for every output element.
 */
export function weightedSum(
  o: ShortcutOps & { floats(name: string, v: number): string },
  id: string,
  xs: readonly string[],
  normalization: "none" | "relu" | "softmax",
  weights: { name: string; perLayer: number },
): string {
  let w = weights.name;
  if (normalization !== "none") {
    const e =
      normalization === "relu"
        ? o.emit("Relu", [w])
        : o.emit("Exp", [o.emit("Sub", [w, o.emit("ReduceMax", [w], { axes: [0], keepdims: 1 })])]);
    const sum = o.emit("ReduceSum", [e, o.consts(`${id}.sum_axes`, [0])], { keepdims: 1 });
    w = o.emit("Div", [e, o.emit("Add", [sum, o.floats(`${id}.eps`, 0.0001)])]);
  }
  const terms = xs.map((x, k) => {
    const wk = o.emit("Gather", [w, o.consts(`${id}.k${k}`, [k])], { axis: 0 });
    // [1, perLayer] → [perLayer, 1, 1]: one weight per channel of an N×C×H×W map, or one for all.
    return o.emit("Mul", [x, o.emit("Reshape", [wk, o.consts(`${id}.w_shape`, [weights.perLayer, 1, 1])])]);
  });
  return terms.slice(1).reduce((sum, t) => o.emit("Add", [sum, t]), terms[0] ?? "");
}
