/**
 * A convolution's weights as pictures: one tile per output filter, either as
 * colour patches (3 input channels → RGB, for a first layer on RGB images) or one
 * input channel at a time, or the mean over input channels. Each filter is
 * normalised on its own, symmetric around zero (0 → mid-grey). Pure.
 */
import { colormapLut, type ColormapName } from "./colormap";

export interface FilterLayout {
  readonly filters: number;
  readonly inChannels: number;
  readonly kh: number;
  readonly kw: number;
  /** Elements per filter in the weight array. */
  readonly filterStride: number;
  /** Elements per input channel inside a filter. */
  readonly channelStride: number;
  /** Offset of the drawn slice inside a channel (middle depth slice of 3-D kernels). */
  readonly sliceOffset: number;
  readonly note: string | null;
}

/** Weights [O, I, kH, kW] (2-D), [O, I, k] (1-D, drawn as a row) or [O, I, kD, kH, kW] (middle slice). */
export function filterLayout(dims: readonly number[]): FilterLayout | null {
  if (dims.length < 3 || dims.length > 5 || dims.some((d) => !(d > 0))) return null;
  const [o, i] = dims as [number, number];
  if (dims.length === 3) {
    const k = dims[2]!;
    return {
      filters: o,
      inChannels: i,
      kh: 1,
      kw: k,
      filterStride: i * k,
      channelStride: k,
      sliceOffset: 0,
      note: null,
    };
  }
  if (dims.length === 4) {
    const [, , kh, kw] = dims as [number, number, number, number];
    return {
      filters: o,
      inChannels: i,
      kh,
      kw,
      filterStride: i * kh * kw,
      channelStride: kh * kw,
      sliceOffset: 0,
      note: null,
    };
  }
  const [, , kd, kh, kw] = dims as [number, number, number, number, number];
  const mid = Math.floor(kd / 2);
  return {
    filters: o,
    inChannels: i,
    kh,
    kw,
    filterStride: i * kd * kh * kw,
    channelStride: kd * kh * kw,
    sliceOffset: mid * kh * kw,
    note: `depth slice ${mid + 1} of ${kd}`,
  };
}

export type FilterMode =
  | { readonly kind: "rgb"; readonly bgr: boolean }
  | { readonly kind: "channel"; readonly channel: number }
  | { readonly kind: "mean" };

/** RGB patches only make sense with exactly 3 input channels. */
export function defaultFilterMode(layout: FilterLayout, bgr = false): FilterMode {
  return layout.inChannels === 3
    ? { kind: "rgb", bgr }
    : layout.inChannels === 1
      ? { kind: "channel", channel: 0 }
      : { kind: "mean" };
}

/** The kh×kw values of filter f shown in this mode (rgb: three planes, R G B). */
export function filterPlanes(
  data: ArrayLike<number>,
  l: FilterLayout,
  f: number,
  mode: FilterMode,
): Float32Array[] {
  const n = l.kh * l.kw;
  const plane = (c: number): Float32Array => {
    const out = new Float32Array(n);
    const o = f * l.filterStride + c * l.channelStride + l.sliceOffset;
    for (let i = 0; i < n; i++) out[i] = data[o + i]!;
    return out;
  };
  if (mode.kind === "rgb") {
    const planes = [plane(0), plane(1), plane(2)];
    return mode.bgr ? planes.reverse() : planes;
  }
  if (mode.kind === "channel") return [plane(Math.min(l.inChannels - 1, Math.max(0, mode.channel)))];
  const mean = new Float32Array(n);
  for (let c = 0; c < l.inChannels; c++) {
    const p = plane(c);
    for (let i = 0; i < n; i++) mean[i]! += p[i]! / l.inChannels;
  }
  return [mean];
}

/** Largest |w| over the planes (the filter's own scale). */
export function absMax(planes: readonly Float32Array[]): number {
  let m = 0;
  for (const p of planes) for (const v of p) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** Filter f as RGBA pixels (kw × kh): −max → 0, 0 → middle, +max → 255. */
export function filterRgba(
  data: ArrayLike<number>,
  l: FilterLayout,
  f: number,
  mode: FilterMode,
  cmap: ColormapName,
): Uint8ClampedArray {
  const planes = filterPlanes(data, l, f, mode);
  const m = absMax(planes) || 1;
  const n = l.kh * l.kw;
  const out = new Uint8ClampedArray(n * 4);
  const level = (v: number): number => Math.max(0, Math.min(255, Math.round((v / m + 1) * 127.5)));
  const lut = colormapLut(cmap);
  for (let i = 0; i < n; i++) {
    if (planes.length === 3) {
      out[i * 4] = level(planes[0]![i]!);
      out[i * 4 + 1] = level(planes[1]![i]!);
      out[i * 4 + 2] = level(planes[2]![i]!);
    } else {
      const k = level(planes[0]![i]!) * 3;
      out[i * 4] = lut[k]!;
      out[i * 4 + 1] = lut[k + 1]!;
      out[i * 4 + 2] = lut[k + 2]!;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
