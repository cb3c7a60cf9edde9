/**
 * Darknet's [shortcut] between tensors of different shapes, as `shortcut_cpu` computes it:
 * the output keeps the previous layer's shape (w2×h2×c2); the `from` layer (w1×h1×c1) is
 * read every `stride = w1/w2` positions, or written every `sample = w2/w1` positions, and
 * only the first min(c1, c2) channels and min(h), min(w) positions are added. Written here
 * as Slice (with steps) → zero insertion (Reshape, Pad, Reshape) → Pad to the output shape,
 * so shapes, costs and values all follow Darknet.
 */
import type { AttrValue } from "../../ir/types";

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
