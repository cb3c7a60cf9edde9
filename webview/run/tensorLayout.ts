/**
 * How a layer's output is drawn: a grid of 2-D channel maps ([N, C, H, W];
 * the middle frame of [N, C, D, H, W]), rows for 1-D signals ([N, C, L]), or bars
 * for a vector. Plus statistics, histograms, value ranges and grid tiling. Pure.
 */

export type Layout =
  | {
      readonly kind: "maps";
      readonly channels: number;
      readonly height: number;
      readonly width: number;
      /** Offset of channel c's plane = c * channelStride + frameOffset. */
      readonly channelStride: number;
      readonly frameOffset: number;
      /** "frame 8 of 16" for 3-D outputs. */
      readonly note: string | null;
    }
  | { readonly kind: "rows"; readonly channels: number; readonly length: number }
  | { readonly kind: "vector"; readonly length: number }
  | { readonly kind: "none"; readonly reason: string };

/** Drops a leading batch dim of 1 (or keeps the first sample of a bigger batch). */
export function layoutOf(dims: readonly number[]): Layout {
  const d = dims.length >= 3 ? dims.slice(1) : dims.length === 2 && dims[0] === 1 ? dims.slice(1) : [...dims];
  const batchNote = dims.length >= 3 && (dims[0] ?? 1) > 1 ? `first of ${dims[0]} samples` : null;
  if (d.some((x) => x === 0)) return { kind: "none", reason: "the output is empty" };
  if (d.length === 3) {
    const [c, h, w] = d as [number, number, number];
    return {
      kind: "maps",
      channels: c,
      height: h,
      width: w,
      channelStride: h * w,
      frameOffset: 0,
      note: batchNote,
    };
  }
  if (d.length === 4) {
    const [c, f, h, w] = d as [number, number, number, number];
    const mid = Math.floor(f / 2);
    const note = `frame ${mid + 1} of ${f}` + (batchNote === null ? "" : `, ${batchNote}`);
    return {
      kind: "maps",
      channels: c,
      height: h,
      width: w,
      channelStride: f * h * w,
      frameOffset: mid * h * w,
      note,
    };
  }
  if (d.length === 2) return { kind: "rows", channels: d[0]!, length: d[1]! };
  if (d.length === 1) return { kind: "vector", length: d[0]! };
  if (d.length === 0) return { kind: "vector", length: 1 };
  return { kind: "none", reason: `${dims.length}-D outputs are not drawn` };
}

export interface Stats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  /** Fraction of exact zeros (dead ReLU units). */
  readonly zeros: number;
  readonly count: number;
}

/** Statistics of `count` values from `offset` (default: all). NaN/∞ are skipped. */
export function stats(data: ArrayLike<number>, offset = 0, count = data.length - offset): Stats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let zeros = 0;
  let n = 0;
  for (let i = offset; i < offset + count; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
  }
  if (n === 0) return { min: 0, max: 0, mean: 0, std: 0, zeros: 0, count: 0 };
  const mean = sum / n;
  return {
    min,
    max,
    mean,
    std: Math.sqrt(Math.max(0, sq / n - mean * mean)),
    zeros: zeros / count,
    count: n,
  };
}

/** Statistics over the planes of a maps layout (not the other frames or samples). */
export function mapStats(
  data: ArrayLike<number>,
  layout: Extract<Layout, { kind: "maps" }>,
  channel?: number,
): Stats {
  const plane = layout.height * layout.width;
  if (channel !== undefined) return stats(data, channel * layout.channelStride + layout.frameOffset, plane);
  if (layout.channelStride === plane && layout.frameOffset === 0)
    return stats(data, 0, plane * layout.channels);
  const flat = new Float32Array(plane * layout.channels);
  for (let c = 0; c < layout.channels; c++) {
    const o = c * layout.channelStride + layout.frameOffset;
    for (let i = 0; i < plane; i++) flat[c * plane + i] = data[o + i]!;
  }
  return stats(flat);
}

export interface Histogram {
  readonly lo: number;
  readonly hi: number;
  readonly counts: number[];
}

/** `bins` equal-width bins over [min, max] of the values (one bin when they are all equal). */
export function histogram(
  data: ArrayLike<number>,
  bins: number,
  offset = 0,
  count = data.length - offset,
): Histogram {
  const s = stats(data, offset, count);
  const n = s.max > s.min ? bins : 1;
  const counts = new Array<number>(n).fill(0);
  const width = (s.max - s.min) / n;
  for (let i = offset; i < offset + count; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    const b = width > 0 ? Math.min(n - 1, Math.floor((v - s.min) / width)) : 0;
    counts[b]!++;
  }
  return { lo: s.min, hi: s.max, counts };
}

export type NormMode = "channel" | "layer";

/** Value range mapped to the colour map's ends, per channel or shared by the layer. */
export function displayRange(mode: NormMode, channel: Stats, layer: Stats): [number, number] {
  const s = mode === "channel" ? channel : layer;
  return [s.min, s.max];
}

/** Integer zoom so a tile's longer side lands near `target` CSS pixels (1 for big maps: CSS shrinks them). */
export function tileScale(width: number, height: number, target = 96): number {
  const side = Math.max(width, height, 1);
  return Math.max(1, Math.round(target / side));
}

export interface GridLayout {
  readonly cols: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
  /** Top-left corner of tile i. */
  position(i: number): { x: number; y: number };
}

/**
 * Tiles n images of tileW×tileH with `gap` pixels between them, about as wide as tall (or `cols` columns).
 */
export function gridLayout(n: number, tileW: number, tileH: number, gap: number, cols?: number): GridLayout {
  const c = Math.max(1, Math.min(n, cols ?? Math.ceil(Math.sqrt((n * tileH) / Math.max(1, tileW)))));
  const r = Math.max(1, Math.ceil(n / c));
  return {
    cols: c,
    rows: r,
    width: c * tileW + (c - 1) * gap,
    height: r * tileH + (r - 1) * gap,
    position: (i) => ({ x: (i % c) * (tileW + gap), y: Math.floor(i / c) * (tileH + gap) }),
  };
}

/** Numbers of any numeric typed array (BigInt64 included) as float64. */
export function toNumbers(
  data: ArrayLike<number | bigint> | readonly (number | bigint)[],
): Float64Array | Float32Array {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** "0.123", "-1.5e-5", "12,345" style short numbers for stats and tooltips. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
