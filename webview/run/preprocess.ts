/**
 * Image preprocessing for the Run tab: resize to the model's input size,
 * pick channels and channel order, scale and normalise, lay out as CHW floats.
 * Pure (no DOM): the image arrives as RGBA bytes decoded by the browser.
 */
import { prng } from "../../src/core/random";

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, 4 bytes per pixel. */
  readonly data: Uint8ClampedArray | Uint8Array;
}

export type PresetName = "[0,1]" | "ImageNet" | "[-1,1]" | "[0,255]";

/** value = (pixel · scale − mean[colour]) / std[colour], mean/std given per colour R, G, B. */
export interface Normalisation {
  readonly scale: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export const PRESETS: Readonly<Record<PresetName, Normalisation>> = {
  "[0,1]": { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  ImageNet: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  "[-1,1]": { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  "[0,255]": { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The preset whose numbers these are, or null ("custom"). */
export function presetOf(norm: Normalisation): PresetName | null {
  const same = (a: readonly number[], b: readonly number[]): boolean =>
    a.every((v, i) => Math.abs(v - (b[i] ?? NaN)) < 1e-9);
  for (const name of PRESET_NAMES) {
    const p = PRESETS[name];
    if (Math.abs(p.scale - norm.scale) < 1e-12 && same(p.mean, norm.mean) && same(p.std, norm.std))
      return name;
  }
  return null;
}

/** From this side length up, a colour input gets ImageNet statistics by default. */
export const IMAGENET_DEFAULT_MIN_SIDE = 64;

/** The normalisation a run starts with, and the sentence that states why (shown under the form). */
export interface DefaultNormalisation {
  readonly preset: PresetName;
  readonly reason: string;
}

/**
 * ImageNet mean/std for 3-channel inputs of at least 64 px on each side (what models trained on
 * ImageNet, torchvision's among them, expect); [0, 1] for grey or small inputs (digits, CIFAR-sized
 * models usually take pixel / 255). Only the start: the form edits it.
 */
export function defaultNormalisation(channels: 1 | 3, height: number, width: number): DefaultNormalisation {
  const size = `${height}×${width}`;
  if (channels === 3 && Math.min(height, width) >= IMAGENET_DEFAULT_MIN_SIDE)
    return {
      preset: "ImageNet",
      reason: `Default: ImageNet mean/std, as for a colour input of ${size} (≥ ${IMAGENET_DEFAULT_MIN_SIDE} px) trained on ImageNet. Change it if this model was trained otherwise.`,
    };
  return {
    preset: "[0,1]",
    reason: `Default: [0, 1] (pixel / 255) for a ${channels === 1 ? "grey" : "colour"} input of ${size}${
      channels === 3 ? ` (under ${IMAGENET_DEFAULT_MIN_SIDE} px)` : ""
    }. Change it if this model was trained otherwise.`,
  };
}

export interface PreprocessOptions {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly order: "RGB" | "BGR";
  readonly norm: Normalisation;
}

/** For each output index along one axis: the source indexes and weights that make it. */
function axisWeights(src: number, dst: number): { idx: Int32Array; w: Float32Array; taps: number } {
  const scale = src / dst;
  if (scale <= 1) {
    // Upsampling (or same size): bilinear with half-pixel centres, as PyTorch's
    // F.interpolate(mode="bilinear", align_corners=False).
    const idx = new Int32Array(dst * 2);
    const w = new Float32Array(dst * 2);
    for (let i = 0; i < dst; i++) {
      const x = Math.max(0, (i + 0.5) * scale - 0.5);
      const i0 = Math.min(src - 1, Math.floor(x));
      const i1 = Math.min(src - 1, i0 + 1);
      const t = x - i0;
      idx[i * 2] = i0;
      idx[i * 2 + 1] = i1;
      w[i * 2] = 1 - t;
      w[i * 2 + 1] = t;
    }
    return { idx, w, taps: 2 };
  }
  // Downsampling: average over each output pixel's footprint (area / anti-aliased).
  const taps = Math.ceil(scale) + 1;
  const idx = new Int32Array(dst * taps);
  const w = new Float32Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    const a = i * scale;
    const b = (i + 1) * scale;
    let k = 0;
    for (let s = Math.floor(a); s < b && k < taps; s++) {
      const overlap = Math.min(b, s + 1) - Math.max(a, s);
      if (overlap <= 0) continue;
      idx[i * taps + k] = Math.min(src - 1, s);
      w[i * taps + k] = overlap / scale;
      k++;
    }
  }
  return { idx, w, taps };
}

/** Resizes RGBA pixels: bilinear when enlarging, area average when shrinking (each axis on its own). */
export function resizeRgba(img: RgbaImage, width: number, height: number): RgbaImage {
  if (img.width === width && img.height === height) return img;
  const xs = axisWeights(img.width, width);
  const ys = axisWeights(img.height, height);
  // Horizontal pass into floats (height = source height), then vertical.
  const tmp = new Float32Array(width * img.height * 4);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < xs.taps; k++) {
        const wt = xs.w[x * xs.taps + k]!;
        if (wt === 0) continue;
        const s = (y * img.width + xs.idx[x * xs.taps + k]!) * 4;
        const d = (y * width + x) * 4;
        for (let c = 0; c < 4; c++) tmp[d + c]! += wt * img.data[s + c]!;
      }
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        let v = 0;
        for (let k = 0; k < ys.taps; k++) {
          const wt = ys.w[y * ys.taps + k]!;
          if (wt !== 0) v += wt * tmp[(ys.idx[y * ys.taps + k]! * width + x) * 4 + c]!;
        }
        out[d + c] = Math.round(v);
      }
    }
  }
  return { width, height, data: out };
}

/** ITU-R 601 luma, as PIL's convert("L"). */
export function luma(r: number, g: number, b: number): number {
  return (r * 299 + g * 587 + b * 114) / 1000;
}

/** The image (already at the model's size) as a CHW float tensor. */
export function toTensor(img: RgbaImage, opts: PreprocessOptions): Float32Array {
  const n = img.width * img.height;
  const { scale, mean, std } = opts.norm;
  const out = new Float32Array(opts.channels * n);
  const px = img.data;
  if (opts.channels === 1) {
    for (let i = 0; i < n; i++) {
      const g = luma(px[i * 4]!, px[i * 4 + 1]!, px[i * 4 + 2]!);
      out[i] = (g * scale - mean[0]) / std[0];
    }
    return out;
  }
  for (let c = 0; c < 3; c++) {
    // Mean and std belong to the colour, wherever the order puts it.
    const colour = opts.order === "BGR" ? 2 - c : c;
    const m = mean[colour]!;
    const s = std[colour]!;
    for (let i = 0; i < n; i++) out[c * n + i] = (px[i * 4 + colour]! * scale - m) / s;
  }
  return out;
}

/** What the model sees, as a picture: the resized image, in grey when the model takes one channel. */
export function previewRgba(img: RgbaImage, channels: 1 | 3): RgbaImage {
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    const r = img.data[i * 4]!;
    const g = img.data[i * 4 + 1]!;
    const b = img.data[i * 4 + 2]!;
    const y = channels === 1 ? Math.round(luma(r, g, b)) : -1;
    data[i * 4] = y < 0 ? r : y;
    data[i * 4 + 1] = y < 0 ? g : y;
    data[i * 4 + 2] = y < 0 ? b : y;
    data[i * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}

/** Repeats a C×(H·W) tensor over `frames` frames: C×frames×(H·W), for video inputs [N, C, D, H, W]. */
export function repeatFrames(chw: Float32Array, channels: number, frames: number): Float32Array {
  const plane = chw.length / channels;
  const out = new Float32Array(chw.length * frames);
  for (let c = 0; c < channels; c++)
    for (let f = 0; f < frames; f++)
      out.set(chw.subarray(c * plane, (c + 1) * plane), (c * frames + f) * plane);
  return out;
}

/** Uniform random pixels (opaque), the same for the same seed. */
export function noiseImage(width: number, height: number, seed: number): RgbaImage {
  const rand = prng(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = Math.floor(rand() * 256);
    data[i * 4 + 1] = Math.floor(rand() * 256);
    data[i * 4 + 2] = Math.floor(rand() * 256);
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** R = G = B everywhere (a grey image stored as RGB). */
export function isGrey(img: RgbaImage): boolean {
  for (let i = 0; i < img.width * img.height; i++) {
    const r = img.data[i * 4];
    if (r !== img.data[i * 4 + 1] || r !== img.data[i * 4 + 2]) return false;
  }
  return true;
}
