/**
 * Darknet sections that move pixels around rather than mix channels, each from the previous layer's
 * output and Darknet's sizes of it: [local] (local_layer.c), [reorg] / [reorg3d] and [crop] (crop_layer.c).
 */
import type { AttrValue } from "../../ir/types";
import { DARKNET_DOMAIN } from "../../ops/darknetOps";
import { CfgError, Unfollowed, cfgInt as int, type Section } from "./darknetCfg";

/** One section's view of the reader: its previous output, Darknet's sizes of it, and the node makers. */
export interface SectionInput {
  readonly s: Section;
  readonly id: string;
  readonly prev: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  emit(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, domain?: string): string;
  weight(name: string, dims: number[], role?: "parameter" | "buffer"): string;
  consts(name: string, values: number[]): string;
}

/** A section's output and Darknet's sizes of it. */
export interface SectionOutput {
  readonly out: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/**
 * local_layer.c: a convolution with separate filters at every output position. Darknet sizes the output as
 * (h - 1)/stride + 1 when pad=1 but im2col pads one pixel, which agree only for size 3; other sizes with
 * pad=1 are left unknown rather than guessed.
 */
export function localSection(io: SectionInput, activation: (x: string) => string): SectionOutput {
  const { s, id, c, h, w } = io;
  const filters = int(s, "filters", 1),
    size = int(s, "size", 1),
    stride = int(s, "stride", 1),
    pad = int(s, "pad", 0) ? 1 : 0;
  if (pad && size !== 3)
    throw new Unfollowed(
      `[local] at line ${s.line}: pad=1 with size=${size} (Darknet's output size and im2col disagree)`,
    );
  const oh = Math.floor((h + 2 * pad - size) / stride) + 1,
    ow = Math.floor((w + 2 * pad - size) / stride) + 1;
  const y = io.emit(
    "Local",
    [
      io.prev,
      io.weight(`${id}.weights`, [oh * ow, filters, c, size, size]),
      io.weight(`${id}.biases`, [filters, oh, ow]),
    ],
    { kernel_shape: [size, size], strides: [stride, stride], pads: [pad, pad, pad, pad] },
    DARKNET_DOMAIN,
  );
  return { out: activation(y), c: filters, h: oh, w: ow };
}

/** [reorg3d] (SpaceToDepth) and [reorg] (Darknet's original channel order). */
export function reorgSection(io: SectionInput): SectionOutput {
  const { s, id, prev, c, h, w } = io;
  const st = int(s, "stride", 2);
  let out: string;
  if (s.type === "reorg3d") out = io.emit("SpaceToDepth", [prev], { blocksize: st });
  else {
    // Darknet's original [reorg] (reorg_cpu with forward=0 and the layer's input sizes) reads
    // the input as if it were C/s² × H·s × W·s and space-to-depths that: the same shape as
    // SpaceToDepth, another channel order. AlexeyAB's fork keeps it as [reorg]; [reorg3d] is
    // the plain SpaceToDepth.
    if (c % (st * st) !== 0)
      throw new CfgError(
        `[reorg] at line ${s.line}: ${c} channels are not divisible by stride² = ${st * st}`,
      );
    const view = io.emit("Reshape", [prev, io.consts(`${id}.view`, [-1, c / (st * st), h * st, w * st])]);
    const moved = io.emit("SpaceToDepth", [view], { blocksize: st });
    out = io.emit("Reshape", [
      moved,
      io.consts(`${id}.shape`, [-1, c * st * st, Math.floor(h / st), Math.floor(w / st)]),
    ]);
  }
  return { out, c: c * st * st, h: Math.floor(h / st), w: Math.floor(w / st) };
}

/**
 * crop_layer at test time: the centred crop_height × crop_width window, scaled to [-1, 1] unless noadjust.
 * `floats` makes a float constant of the layer's definition (a number is a scalar).
 */
export function cropSection(io: SectionInput, floats: (name: string, v: number) => string): SectionOutput {
  const { s, id, c, h, w } = io;
  const ch = int(s, "crop_height", 1),
    cw = int(s, "crop_width", 1);
  const dy = Math.floor((h - ch) / 2),
    dx = Math.floor((w - cw) / 2);
  let y = io.emit("Slice", [
    io.prev,
    io.consts(`${id}.starts`, [dy, dx]),
    io.consts(`${id}.ends`, [dy + ch, dx + cw]),
    io.consts(`${id}.axes`, [2, 3]),
  ]);
  if (!int(s, "noadjust", 0))
    y = io.emit("Add", [io.emit("Mul", [y, floats(`${id}.scale`, 2)]), floats(`${id}.shift`, -1)]);
  return { out: y, c, h: ch, w: cw };
}
