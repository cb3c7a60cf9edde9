/**
 * Receptive-field algebra (Araujo et al., Distill 2019), generalised so that
 * transposed convolutions and upsampling stay exact: along one axis, the input
 * region of unit o = P·m + r is [lo[r] + m·T, hi[r] + m·T]. Ordinary networks have
 * period P = 1 (start = lo[0], size = hi[0] − lo[0] + 1, stride = T); after a stride-s
 * transposed convolution the region depends on o mod s, so P grows instead of
 * rounding. Regions are bounding boxes; merges take the union over paths.
 */
import type { Shape } from "../ir/types";

export interface RFAxis {
  /** Extent in input pixels of unit 0's region, first to last inclusive. */
  readonly size: number;
  /** Input pixels the region moves per output unit (may be fractional after upsampling). */
  readonly stride: number;
  /** Input coordinate of unit 0's first pixel; negative = padding. */
  readonly start: number;
}

/**
 * Receptive field of a value: per spatial axis, or global (after pooling/flatten/dense), or none.
 * `globalContext`: the unit's local field (the axes) is also rescaled by something that saw the
 * whole input, broadcast over the spatial axes (a squeeze-and-excitation gate); absent = no.
 */
export type RFInfo =
  | {
      readonly kind: "spatial";
      readonly axes: readonly RFAxis[];
      readonly misaligned: boolean;
      readonly globalContext?: boolean;
    }
  | { readonly kind: "global" }
  | null;

export interface AxisField {
  readonly period: number;
  /** Input displacement per `period` units. */
  readonly step: number;
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/**
 * Per tensor axis: the field along it, or null for non-spatial axes (batch, channels).
 * `channels` splits axis 1 into ranges whose fields differ: a channel concat of an
 * inception block, followed by per-channel ops (ReLU, pooling), keeps each branch's own field.
 * `axes` is always the union over all channels, which a convolution sees.
 */
export interface ChannelSegment {
  readonly count: number;
  readonly axes: readonly (AxisField | null)[];
  readonly globalContext?: boolean;
}
/**
 * `globalContext`: besides its local field, the value was rescaled (or shifted) by a quantity
 * that sees the whole input and is broadcast over the spatial axes: a squeeze-and-excitation
 * gate. The local field is what moves with the unit; the context is the same for every unit.
 * `uniformAxes` (global values only): axes of the value along which it is a broadcast copy
 * (Expand of a pooled [N,C,1,1] gate), so that it still acts as a per-channel scale.
 */
export type ValueField =
  | {
      readonly kind: "axes";
      readonly axes: readonly (AxisField | null)[];
      readonly misaligned: boolean;
      readonly channels?: readonly ChannelSegment[];
      readonly globalContext?: boolean;
    }
  | { readonly kind: "global"; readonly uniformAxes?: readonly number[] };

/** The field as one union over all channels (what a convolution sees). */
export function withoutChannels(f: ValueField & { kind: "axes" }): ValueField & { kind: "axes" } {
  return { kind: "axes", axes: f.axes, misaligned: f.misaligned, ...contextOf(f) };
}

/** The global-context flag of a field, to spread into a field built from it (absent when false). */
export function contextOf(f: { readonly globalContext?: boolean } | undefined): { globalContext?: true } {
  return f?.globalContext ? { globalContext: true } : {};
}

/**
 * How one output axis reads its input axis: unit o reads input units
 * [first(o), last(o)], and map(o + q) = map(o) + r (q output units shift the window by r input units).
 */
export interface WindowMap {
  readonly q: number;
  readonly r: number;
  readonly first: (o: number) => number;
  readonly last: (o: number) => number;
}

export const IDENTITY_AXIS: AxisField = { period: 1, step: 1, lo: [0], hi: [0] };

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** Input region [first, last] of unit o along this axis. */
export function regionOf(f: AxisField, o: number): [number, number] {
  return [loAt(f, o), hiAt(f, o)];
}

function loAt(f: AxisField, o: number): number {
  const m = Math.floor(o / f.period);
  return (f.lo[o - m * f.period] ?? 0) + m * f.step;
}
function hiAt(f: AxisField, o: number): number {
  const m = Math.floor(o / f.period);
  return (f.hi[o - m * f.period] ?? 0) + m * f.step;
}

// Periods beyond this mean an unusual upsampling chain; cap the work and accept a bounding box.
const MAX_PERIOD = 64;

/** Compose an input axis field with a window map (conv, pool, transposed conv, resize, slice, pad). */
export function applyWindow(f: AxisField, w: WindowMap): AxisField {
  const k = f.period / gcd(w.r, f.period);
  let period = w.q * k;
  let step = ((w.r * k) / f.period) * f.step;
  if (period > MAX_PERIOD) {
    period = w.q;
    step = (w.r / f.period) * f.step;
  }
  const lo: number[] = [];
  const hi: number[] = [];
  for (let r = 0; r < period; r++) {
    const a = w.first(r);
    const b = w.last(r);
    let mn = Infinity;
    let mx = -Infinity;
    for (let o = a; o <= b; o++) {
      mn = Math.min(mn, loAt(f, o));
      mx = Math.max(mx, hiAt(f, o));
    }
    // A unit that reads no input (a transposed conv's gap) inherits its neighbour's window.
    if (a > b) {
      mn = loAt(f, a);
      mx = hiAt(f, a);
    }
    lo.push(mn);
    hi.push(mx);
  }
  return { period, step, lo, hi };
}

/** Union of two fields of the same axis (residual add, concat, skip connections). */
export function unionAxis(a: AxisField, b: AxisField): { field: AxisField; aligned: boolean } {
  const aligned = a.step * b.period === b.step * a.period;
  const period = Math.min((a.period * b.period) / gcd(a.period, b.period), MAX_PERIOD);
  const step = (a.step / a.period) * period;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let r = 0; r < period; r++) {
    lo.push(Math.min(loAt(a, r), loAt(b, r)));
    hi.push(Math.max(hiAt(a, r), hiAt(b, r)));
  }
  return { field: { period, step, lo, hi }, aligned };
}

/**
 * Union of several values' fields, broadcasting from the right as elementwise ops do.
 * `shapes` (the operands' shapes, when known) lets a global operand that is broadcast over
 * every spatial axis of the others (its dims there are 1: a per-channel or per-sample scale,
 * an SE gate) leave their local field in place, flagged `globalContext`. A global operand of
 * full spatial extent makes the result global: each unit then reads a different global value.
 */
export function unionFields(
  fields: readonly (ValueField | undefined)[],
  rank: number,
  shapes?: readonly (Shape | undefined)[],
): ValueField | undefined {
  const present = fields.filter((f): f is ValueField => f !== undefined);
  if (present.length === 0) return undefined;
  const only = present[0];
  if (present.length === 1 && only && (only.kind === "global" || only.axes.length === rank)) return only;
  const local = localOperands(fields, rank, shapes);
  if (!local) return { kind: "global" };
  if (local.context && local.fields.length === 1 && local.fields[0]?.axes.length === rank)
    return withContext(local.fields[0]);
  const axes: (AxisField | null)[] = new Array<AxisField | null>(rank).fill(null);
  let misaligned = false;
  for (const f of local.fields) {
    misaligned ||= f.misaligned;
    const offset = rank - f.axes.length;
    f.axes.forEach((a, i) => {
      if (!a || i + offset < 0) return;
      const cur = axes[i + offset];
      if (!cur) axes[i + offset] = a;
      else {
        const u = unionAxis(cur, a);
        misaligned ||= !u.aligned;
        axes[i + offset] = u.field;
      }
    });
  }
  const context = local.context || local.fields.some((f) => f.globalContext);
  return { kind: "axes", axes, misaligned, ...(context ? { globalContext: true as const } : {}) };
}

type AxesField = ValueField & { kind: "axes" };

/**
 * The operands' fields that move with the output unit, and whether others only add context.
 * An operand broadcast along a spatial axis of the output (dim 1 there, or a broadcast copy) is
 * read at the same place by every unit: along that axis its field is context, not part of the
 * unit's window. undefined (the result is global) when a global operand is not broadcast along
 * every spatial axis, or when some spatial axis is left with no local field.
 */
function localOperands(
  fields: readonly (ValueField | undefined)[],
  rank: number,
  shapes: readonly (Shape | undefined)[] | undefined,
): { fields: AxesField[]; context: boolean } | undefined {
  const spatial = new Set<number>();
  fields.forEach((f) => {
    if (f?.kind === "axes") f.axes.forEach((a, i) => a && spatial.add(i + rank - f.axes.length));
  });
  if (spatial.size === 0)
    return fields.some((f) => f?.kind === "global")
      ? undefined
      : { fields: fields.filter((f): f is AxesField => f?.kind === "axes"), context: false };
  const outDims = Array.from({ length: rank }, (_, k) => {
    let d: Shape[number] = 1;
    for (const s of shapes ?? []) {
      const v = s?.[k - rank + s.length];
      if (v !== undefined && v !== 1) d = v;
    }
    return d;
  });
  // Along output axis k the operand is a broadcast copy: no such axis, dim 1 where the output's is not, or
  // expanded.
  const broadcastAlong = (f: ValueField, shape: Shape | undefined, k: number): boolean => {
    if (!shape) return false;
    const i = k - rank + shape.length;
    if (i < 0) return true;
    if (f.kind === "global" && f.uniformAxes?.includes(i)) return true;
    return shape[i] === 1 && outDims[k] !== 1;
  };
  const local: AxesField[] = [];
  let context = false;
  let global = false;
  fields.forEach((f, n) => {
    if (!f) return;
    const shape = shapes?.[n];
    if (f.kind === "global") {
      global ||= [...spatial].some((k) => !broadcastAlong(f, shape, k));
      context = true;
      return;
    }
    const offset = rank - f.axes.length;
    const cut = f.axes.map((a, i) => (a && broadcastAlong(f, shape, i + offset) ? null : a));
    if (cut.every((a, i) => a === f.axes[i])) local.push(f);
    else {
      context = true;
      local.push({ kind: "axes", axes: cut, misaligned: f.misaligned, ...contextOf(f) });
    }
  });
  if (global) return undefined;
  const covered = (k: number) => local.some((f) => f.axes[k - rank + f.axes.length]);
  return [...spatial].every(covered) ? { fields: local, context } : undefined;
}

/** The field flagged as having seen global context, every channel segment too. */
function withContext(f: AxesField): ValueField {
  return {
    ...f,
    globalContext: true,
    ...(f.channels ? { channels: f.channels.map((c) => ({ ...c, globalContext: true })) } : {}),
  };
}

export function hasSpatial(f: ValueField | undefined): boolean {
  return f !== undefined && (f.kind === "global" || f.axes.some((a) => a !== null));
}

/** The user-facing summary: per spatial axis size / stride / start of unit 0. */
export function summarizeField(f: ValueField | undefined): RFInfo {
  if (!f) return null;
  if (f.kind === "global") return { kind: "global" };
  const axes: RFAxis[] = [];
  // One unit means one position of one channel: report channel 0's field.
  const unit = f.channels?.[0] ?? f;
  for (const a of unit.axes) {
    if (!a) continue;
    const lo = a.lo[0] ?? 0;
    axes.push({ size: (a.hi[0] ?? 0) - lo + 1, stride: a.step / a.period, start: lo });
  }
  return axes.length ? { kind: "spatial", axes, misaligned: f.misaligned, ...contextOf(unit) } : null;
}

/** Window map of a convolution or pooling axis. */
export function slidingWindow(kernel: number, stride: number, padBegin: number, dilation: number): WindowMap {
  const extent = (kernel - 1) * dilation;
  return {
    q: 1,
    r: stride,
    first: (o) => o * stride - padBegin,
    last: (o) => o * stride - padBegin + extent,
  };
}

/** Window map of a transposed convolution axis: output o receives input i when i·s − pad + j·d = o. */
export function transposedWindow(
  kernel: number,
  stride: number,
  padBegin: number,
  dilation: number,
): WindowMap {
  const extent = (kernel - 1) * dilation;
  return {
    q: stride,
    r: 1,
    first: (o) => Math.ceil((o + padBegin - extent) / stride),
    last: (o) => Math.floor((o + padBegin) / stride),
  };
}

/** Concatenation along the channel axis: each input's channels keep their own field. */
export function concatChannels(
  fields: readonly (ValueField | undefined)[],
  counts: readonly (number | undefined)[],
  rank: number,
): ValueField | undefined {
  const union = unionFields(fields, rank);
  if (!union || union.kind === "global" || counts.some((c) => c === undefined)) return union;
  const channels: ChannelSegment[] = [];
  fields.forEach((f, i) => {
    const count = counts[i] ?? 0;
    if (f?.kind === "axes" && f.channels) channels.push(...f.channels);
    else
      channels.push({
        count,
        axes: f?.kind === "axes" ? f.axes : new Array<AxisField | null>(rank).fill(null),
        ...contextOf(f?.kind === "axes" ? f : undefined),
      });
  });
  return { ...union, channels };
}

/** Apply a per-axis transform to the union and to every channel segment. */
export function mapAxes(
  f: ValueField & { kind: "axes" },
  fn: (a: AxisField | null, axis: number) => AxisField | null,
  keepChannels: boolean,
): ValueField {
  const axes = f.axes.map(fn);
  if (!keepChannels || !f.channels) return { kind: "axes", axes, misaligned: f.misaligned, ...contextOf(f) };
  const channels = f.channels.map((c) => ({ count: c.count, axes: c.axes.map(fn), ...contextOf(c) }));
  return { kind: "axes", axes, misaligned: f.misaligned, ...contextOf(f), channels };
}
