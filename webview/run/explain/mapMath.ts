/**
 * Numbers behind the Explain views, without DOM: a gradient or CAM tensor
 * reduced to one plane (channels combined by max |value|), normalised for a
 * diverging or |value| colour map, upsampled bilinearly to the input size,
 * blended over the input picture, Guided Grad-CAM's product, and the input
 * tensor drawn back as a picture. Unit-tested under Node.
 */
import { colormapLut } from "../colormap";
import { layoutOf } from "../tensorLayout";

/** One 2-D plane of floats, row-major. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export type MapColours = "signed" | "magnitude";

/** How a tensor splits into channel planes: [H, W] is one plane; [N, C, H, W] C planes; [N, C, L] rows. */
export function planesOf(dims: readonly number[]): {
  channels: number;
  height: number;
  width: number;
  stride: number;
  offset: number;
} {
  if (dims.length === 2) return { channels: 1, height: dims[0]!, width: dims[1]!, stride: 0, offset: 0 };
  if (dims.length <= 1) return { channels: 1, height: 1, width: dims[0] ?? 1, stride: 0, offset: 0 };
  const l = layoutOf(dims);
  if (l.kind === "maps")
    return {
      channels: l.channels,
      height: l.height,
      width: l.width,
      stride: l.channelStride,
      offset: l.frameOffset,
    };
  if (l.kind === "rows")
    return { channels: l.channels, height: 1, width: l.length, stride: l.length, offset: 0 };
  const n = dims.reduce((a, b) => a * b, 1);
  return { channels: 1, height: 1, width: n, stride: 0, offset: 0 };
}

/** At each pixel, the value of the channel with the largest |value| (its sign kept). */
export function combineChannels(data: ArrayLike<number>, dims: readonly number[]): Plane {
  const p = planesOf(dims);
  const n = p.width * p.height;
  const out = new Float32Array(n);
  for (let c = 0; c < p.channels; c++) {
    const o = c * p.stride + p.offset;
    for (let i = 0; i < n; i++) {
      const v = data[o + i] ?? 0;
      if (Math.abs(v) > Math.abs(out[i]!)) out[i] = v;
    }
  }
  return { width: p.width, height: p.height, data: out };
}

/** Σ over channels of |value| at each pixel (gradient mass, for the effective receptive field). */
export function sumAbsChannels(data: ArrayLike<number>, dims: readonly number[]): Plane {
  const p = planesOf(dims);
  const n = p.width * p.height;
  const out = new Float32Array(n);
  for (let c = 0; c < p.channels; c++) {
    const o = c * p.stride + p.offset;
    for (let i = 0; i < n; i++) out[i]! += Math.abs(data[o + i] ?? 0);
  }
  return { width: p.width, height: p.height, data: out };
}

/** Largest |value| (0 for an empty or all-zero map; NaN and ∞ skipped). */
export function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

/**
 * Values scaled for colouring: "signed" → v / max|v| in [−1, 1] (0 stays 0),
 * "magnitude" → |v| / max|v| in [0, 1]. An all-zero map stays all zeros.
 */
export function normalise(data: ArrayLike<number>, mode: MapColours): Float32Array {
  const m = maxAbs(data);
  const out = new Float32Array(data.length);
  if (m === 0) return out;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const t = Number.isFinite(v) ? v / m : 0;
    out[i] = mode === "signed" ? t : Math.abs(t);
  }
  return out;
}

/**
 * Bilinear resize of a plane with half-pixel centres, as PyTorch's
 * F.interpolate(mode="bilinear", align_corners=False) (edges clamped).
 */
export function upsampleBilinear(src: Plane, width: number, height: number): Plane {
  if (src.width === width && src.height === height) return src;
  const axis = (s: number, d: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } => {
    const i0 = new Int32Array(d);
    const i1 = new Int32Array(d);
    const t = new Float32Array(d);
    const scale = s / d;
    for (let i = 0; i < d; i++) {
      const x = Math.max(0, (i + 0.5) * scale - 0.5);
      const a = Math.min(s - 1, Math.floor(x));
      i0[i] = a;
      i1[i] = Math.min(s - 1, a + 1);
      t[i] = x - a;
    }
    return { i0, i1, t };
  };
  const xs = axis(src.width, width);
  const ys = axis(src.height, height);
  const out = new Float32Array(width * height);
  const d = src.data;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y]! * src.width;
    const r1 = ys.i1[y]! * src.width;
    const ty = ys.t[y]!;
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const tx = xs.t[x]!;
      const top = d[r0 + c0]! * (1 - tx) + d[r0 + c1]! * tx;
      const bottom = d[r1 + c0]! * (1 - tx) + d[r1 + c1]! * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return { width, height, data: out };
}

/** Guided Grad-CAM: every channel of the guided-backprop map times the CAM (already at the input size). */
export function guidedGradCam(guided: ArrayLike<number>, dims: readonly number[], cam: Plane): Float32Array {
  const p = planesOf(dims);
  if (p.width !== cam.width || p.height !== cam.height)
    throw new Error(`Grad-CAM map ${cam.height}×${cam.width} does not fit the input ${p.height}×${p.width}`);
  const out = Float32Array.from(guided);
  const n = p.width * p.height;
  for (let c = 0; c < p.channels; c++) {
    const o = c * p.stride + p.offset;
    for (let i = 0; i < n; i++) out[o + i] = (guided[o + i] ?? 0) * cam.data[i]!;
  }
  return out;
}

/** ColorBrewer RdBu reversed: blue (negative) → white (0) → red (positive), 256 entries. */
const DIVERGING: Uint8ClampedArray = (() => {
  const anchors: readonly (readonly [number, number, number])[] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
  ];
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const pos = (i / 255) * (anchors.length - 1);
    const k = Math.min(anchors.length - 2, Math.floor(pos));
    const t = pos - k;
    for (let c = 0; c < 3; c++)
      lut[i * 3 + c] = Math.round(anchors[k]![c]! + (anchors[k + 1]![c]! - anchors[k]![c]!) * t);
  }
  return lut;
})();

/** LUT index of a normalised value: [−1, 1] for signed maps, [0, 1] for magnitudes. */
export function colourIndex(t: number, mode: MapColours): number {
  const u = mode === "signed" ? (t + 1) / 2 : t;
  return Math.max(0, Math.min(255, Math.round(u * 255)));
}

/** A normalised map as RGBA: diverging for signed values, viridis for magnitudes. */
export function mapRgba(norm: ArrayLike<number>, mode: MapColours): Uint8ClampedArray {
  const lut = mode === "signed" ? DIVERGING : colormapLut("viridis");
  const out = new Uint8ClampedArray(norm.length * 4);
  for (let i = 0; i < norm.length; i++) {
    const k = colourIndex(norm[i]!, mode) * 3;
    out[i * 4] = lut[k]!;
    out[i * 4 + 1] = lut[k + 1]!;
    out[i * 4 + 2] = lut[k + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The map over the picture: each pixel mixes in the map's colour by `opacity` × |normalised value|,
 * so that where the map is near zero the picture shows through.
 */
export function blend(
  image: ArrayLike<number>,
  colours: ArrayLike<number>,
  norm: ArrayLike<number>,
  opacity: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(image.length);
  const a = Math.max(0, Math.min(1, opacity));
  for (let i = 0; i < norm.length; i++) {
    const w = a * Math.min(1, Math.abs(norm[i]!));
    for (let c = 0; c < 3; c++)
      out[i * 4 + c] = (image[i * 4 + c] ?? 0) * (1 - w) + (colours[i * 4 + c] ?? 0) * w;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * An input tensor ([N, C, H, W], first sample) as a picture: values in [lo, hi] → 0…255,
 * three channels as RGB, one (or another count: the first) as grey.
 */
export function tensorRgba(
  data: ArrayLike<number>,
  dims: readonly number[],
  lo: number,
  hi: number,
): { width: number; height: number; rgba: Uint8ClampedArray } {
  const p = planesOf(dims);
  const n = p.width * p.height;
  const rgba = new Uint8ClampedArray(n * 4);
  const span = hi > lo ? hi - lo : 1;
  const at = (c: number, i: number): number =>
    Math.round((((data[c * p.stride + p.offset + i] ?? lo) - lo) / span) * 255);
  for (let i = 0; i < n; i++) {
    const rgb = p.channels === 3;
    rgba[i * 4] = at(0, i);
    rgba[i * 4 + 1] = at(rgb ? 1 : 0, i);
    rgba[i * 4 + 2] = at(rgb ? 2 : 0, i);
    rgba[i * 4 + 3] = 255;
  }
  return { width: p.width, height: p.height, rgba };
}

/**
 * A signed map in the input's layout drawn as an image (Zeiler & Fergus's projections):
 * 0 → mid-grey, ±max|v| → the ends, colour channels as RGB.
 */
export function projectionRgba(data: ArrayLike<number>, dims: readonly number[]): Uint8ClampedArray {
  const m = maxAbs(data) || 1;
  return tensorRgba(data, dims, -m, m).rgba;
}

/** Per-channel location of the largest value: the channel whose maximum is largest, and where. */
export function strongestUnit(
  data: ArrayLike<number>,
  dims: readonly number[],
  channel?: number,
): { channel: number; y: number; x: number; value: number } {
  const p = planesOf(dims);
  const n = p.width * p.height;
  let best = { channel: channel ?? 0, y: 0, x: 0, value: -Infinity };
  for (let c = 0; c < p.channels; c++) {
    if (channel !== undefined && c !== channel) continue;
    const o = c * p.stride + p.offset;
    for (let i = 0; i < n; i++) {
      const v = data[o + i]!;
      if (v > best.value) best = { channel: c, y: Math.floor(i / p.width), x: i % p.width, value: v };
    }
  }
  return best;
}

/**
 * Whether `value` is the largest of a whole [N, C, …] map (every frame) and reached in `channel`
 * alone (channel axis 1, as the graph's channel mask). False with a NaN, or a map of rank < 3.
 */
export function maxOnlyIn(data: ArrayLike<number>, dims: readonly number[], channel: number, value: number) {
  if (dims.length < 3) return false;
  const channels = dims[1]!;
  const plane = dims.slice(2).reduce((a, b) => a * b, 1);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v) || v > value) return false;
    if (v === value && Math.floor(i / plane) % channels !== channel) return false;
  }
  return true;
}

/** A rectangle of RGBA pixels (inclusive-exclusive, assumed inside the picture). */
export function cropRgba(
  rgba: ArrayLike<number>,
  width: number,
  box: { x: number; y: number; width: number; height: number },
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++)
      for (let c = 0; c < 4; c++)
        out[(y * box.width + x) * 4 + c] = rgba[((box.y + y) * width + box.x + x) * 4 + c] ?? 0;
  return out;
}
