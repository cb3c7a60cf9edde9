/**
 * From a model's output numbers to the predictions list: softmax (unless the
 * output already is a probability vector), top-k, class names. Pure.
 */

export interface PredictionRow {
  readonly index: number;
  readonly label: string;
  readonly prob: number;
  /** The raw output value. */
  readonly value: number;
}

export interface Predictions {
  /** "softmax" when probabilities were computed here, "probabilities" when the output already was one. */
  readonly mode: "softmax" | "probabilities";
  readonly rows: readonly PredictionRow[];
  readonly classes: number;
}

/** Numerically stable softmax (in float64). */
export function softmax(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = Math.exp(values[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** True when every value is in [0, 1] and they sum to 1 (a Softmax at the end of the model). */
export function looksLikeProbabilities(values: ArrayLike<number>): boolean {
  if (values.length < 2) return false;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= -1e-6 && v <= 1 + 1e-6)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/** Indexes of the k largest values, largest first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}

/**
 * The number of classes when the output is a vector (one non-unit dim, e.g. [1, 10]),
 * else null (a map or a sequence: shown as feature maps instead).
 */
export function vectorLength(dims: readonly number[]): number | null {
  const big = dims.filter((d) => d !== 1);
  if (big.length > 1) return null;
  return big[0] ?? (dims.length > 0 ? 1 : null);
}

export function predictions(values: ArrayLike<number>, labels: readonly string[] | null, k = 5): Predictions {
  const probsGiven = looksLikeProbabilities(values);
  const probs = probsGiven ? Float64Array.from(values as ArrayLike<number>) : softmax(values);
  const rows = topK(probs, k).map((index) => ({
    index,
    label: labels?.[index]?.trim() || String(index),
    prob: probs[index]!,
    value: values[index]!,
  }));
  return { mode: probsGiven ? "probabilities" : "softmax", rows, classes: values.length };
}

/** "97.3 %", "0.02 %", "< 0.01 %". */
export function formatProb(p: number): string {
  const pct = p * 100;
  if (pct >= 10) return `${pct.toFixed(1)} %`;
  if (pct >= 0.01) return `${pct.toPrecision(2)} %`;
  return pct === 0 ? "0 %" : "< 0.01 %";
}
