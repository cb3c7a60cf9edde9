/**
 * Colour maps for feature maps and filters: grey and viridis, as 256-entry
 * lookup tables, and the conversion of a float plane to RGBA pixels.
 * Pure: no DOM, so the unit tests run it under Node.
 */

export type ColormapName = "grey" | "viridis";

/** Matplotlib's viridis at 10 evenly spaced points (#440154 … #fde725); linear in between. */
const VIRIDIS_ANCHORS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

function buildLut(name: ColormapName): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    if (name === "grey") {
      lut[i * 3] = lut[i * 3 + 1] = lut[i * 3 + 2] = i;
      continue;
    }
    const pos = (i / 255) * (VIRIDIS_ANCHORS.length - 1);
    const k = Math.min(VIRIDIS_ANCHORS.length - 2, Math.floor(pos));
    const t = pos - k;
    const a = VIRIDIS_ANCHORS[k]!;
    const b = VIRIDIS_ANCHORS[k + 1]!;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * t);
  }
  return lut;
}

const LUTS: Record<ColormapName, Uint8ClampedArray> = {
  grey: buildLut("grey"),
  viridis: buildLut("viridis"),
};

/** The 256×3 lookup table of a colour map (index 0 = low, 255 = high). */
export function colormapLut(name: ColormapName): Uint8ClampedArray {
  return LUTS[name];
}

/**
 * Maps v in [lo, hi] to a LUT index 0..255, clamped. A flat plane shows black when it is all zeros, else
 * mid-grey.
 */
export function lutIndex(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return 0;
  if (hi <= lo) return lo === 0 && hi === 0 ? 0 : 128;
  const t = (v - lo) / (hi - lo);
  return Math.max(0, Math.min(255, Math.round(t * 255)));
}

/**
 * One plane of floats (row-major, `width × height`, starting at `offset`) as RGBA
 * pixels, `lo` → first colour and `hi` → last.
 */
export function planeToRgba(
  data: ArrayLike<number>,
  offset: number,
  width: number,
  height: number,
  lo: number,
  hi: number,
  cmap: ColormapName,
): Uint8ClampedArray {
  const lut = LUTS[cmap];
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const k = lutIndex(data[offset + i] ?? 0, lo, hi) * 3;
    out[i * 4] = lut[k]!;
    out[i * 4 + 1] = lut[k + 1]!;
    out[i * 4 + 2] = lut[k + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}
