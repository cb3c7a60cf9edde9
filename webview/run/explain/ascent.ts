/**
 * Gradient ascent on the input (activation maximisation, Deep Dream):
 * x ← x + lr·g/(‖g‖+ε) − decay·x, where ‖g‖ is the root-mean-square of g
 * (so lr is a step per input value, whatever the input size); the gradient is
 * taken on a jittered copy (rolled by a few pixels, rolled back after) and the
 * image is blurred every few steps. Pure: the runner feeds it gradients.
 */
import { prng } from "../../../src/core/random";

export interface AscentParams {
  readonly steps: number;
  readonly lr: number;
  readonly decay: number;
  /** Largest roll in pixels along each spatial axis (0: none). */
  readonly jitter: number;
  /** Blur every this many steps (0: never). */
  readonly blurEvery: number;
  /** Show the picture every this many steps. */
  readonly showEvery: number;
}

export const DEFAULT_ASCENT: AscentParams = {
  steps: 64,
  lr: 0.05,
  decay: 0.005,
  jitter: 2,
  blurEvery: 8,
  showEvery: 4,
};

export const EPS = 1e-8;

/** Root-mean-square of the values. */
export function rms(g: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return g.length === 0 ? 0 : Math.sqrt(s / g.length);
}

/** One ascent step in place; returns ‖g‖ (RMS). A zero gradient only applies the decay. */
export function ascentStep(
  x: Float32Array,
  g: ArrayLike<number>,
  lr: number,
  decay: number,
  eps = EPS,
): number {
  const norm = rms(g);
  const k = lr / (norm + eps);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + k * (g[i] ?? 0) - decay * x[i]!;
  return norm;
}

/** Height and width of the trailing spatial axes ([N, C, H, W] → H, W; [N, C, L] → 1, L). */
function spatial(dims: readonly number[]): { planes: number; height: number; width: number } {
  const width = dims[dims.length - 1] ?? 1;
  const height = dims.length >= 4 ? (dims[dims.length - 2] ?? 1) : 1;
  const total = dims.reduce((a, b) => a * b, 1);
  return { planes: total / Math.max(1, width * height), height, width };
}

/** Rolls every plane by (dy, dx) with wrap-around: out[y + dy, x + dx] = x[y, x]. */
export function roll(x: ArrayLike<number>, dims: readonly number[], dy: number, dx: number): Float32Array {
  const { planes, height, width } = spatial(dims);
  const out = new Float32Array(x.length);
  const my = ((dy % height) + height) % height;
  const mx = ((dx % width) + width) % width;
  for (let p = 0; p < planes; p++) {
    const o = p * height * width;
    for (let y = 0; y < height; y++) {
      const ty = (y + my) % height;
      for (let c = 0; c < width; c++) out[o + ty * width + ((c + mx) % width)] = x[o + y * width + c]!;
    }
  }
  return out;
}

/** A 3×3 binomial blur ([1, 2, 1]/4 along each spatial axis, edges clamped), every plane on its own. */
export function blur(x: ArrayLike<number>, dims: readonly number[]): Float32Array {
  const { planes, height, width } = spatial(dims);
  const tmp = new Float32Array(x.length);
  const out = new Float32Array(x.length);
  for (let p = 0; p < planes; p++) {
    const o = p * height * width;
    for (let y = 0; y < height; y++)
      for (let c = 0; c < width; c++) {
        const l = x[o + y * width + Math.max(0, c - 1)]!;
        const r = x[o + y * width + Math.min(width - 1, c + 1)]!;
        tmp[o + y * width + c] = (l + 2 * x[o + y * width + c]! + r) / 4;
      }
    for (let y = 0; y < height; y++)
      for (let c = 0; c < width; c++) {
        if (height === 1) {
          out[o + c] = tmp[o + c]!;
          continue;
        }
        const u = tmp[o + Math.max(0, y - 1) * width + c]!;
        const d = tmp[o + Math.min(height - 1, y + 1) * width + c]!;
        out[o + y * width + c] = (u + 2 * tmp[o + y * width + c]! + d) / 4;
      }
  }
  return out;
}

/** Seeded jitter offsets: each a whole number of pixels in [−j, j]. */
export function jitterSource(seed: number, j: number): () => [number, number] {
  const rand = prng(seed);
  return () =>
    j <= 0 ? [0, 0] : [Math.floor(rand() * (2 * j + 1)) - j, Math.floor(rand() * (2 * j + 1)) - j];
}

/** A faint noise start: the middle of [lo, hi] plus uniform noise of ±`amount`·(hi − lo)/2. */
export function startNoise(n: number, lo: number, hi: number, seed: number, amount = 0.1): Float32Array {
  const rand = prng(seed);
  const mid = (lo + hi) / 2;
  const half = ((hi - lo) / 2) * amount;
  return Float32Array.from({ length: n }, () => mid + (rand() * 2 - 1) * half);
}

/** Steps after which the picture is shown: every `showEvery`, and the last. */
export function isShowStep(step: number, params: Pick<AscentParams, "steps" | "showEvery">): boolean {
  return step === params.steps || (params.showEvery > 0 && step % params.showEvery === 0);
}

/** Parses a user-typed parameter: a finite number within [min, max], else the fallback. */
export function parseParam(
  text: string,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  const v = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(v)) return fallback;
  const c = Math.max(min, Math.min(max, v));
  return integer ? Math.round(c) : c;
}
