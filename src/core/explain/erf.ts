/**
 * The effective receptive field (Luo et al. 2016): the mean |gradient| of a layer's
 * centre unit with respect to the input, over ERF_SAMPLES uniform random inputs spanning
 * the current input's value range. One computation for the CLI and the Explain tab, so
 * both give the same map for the same model, layer and input range.
 */
import { uniformValues } from "../random";

export const ERF_SAMPLES = 8;
/** Sample s draws its input from seed ERF_SEED + s. */
export const ERF_SEED = 7;

/** The s-th random input of `count` values in [lo, hi). */
export function erfInput(count: number, lo: number, hi: number, sample: number): Float32Array {
  return uniformValues(count, lo, hi, ERF_SEED + sample);
}

/**
 * Mean over the samples of |gradient| per input element; `gradient` runs the centre unit's
 * backward graph on one input (and may wait, report progress or throw to cancel first).
 */
export async function erfMean(
  count: number,
  range: readonly [number, number],
  gradient: (x: Float32Array, sample: number) => Promise<ArrayLike<number>>,
): Promise<Float32Array> {
  // A constant input (a blank picture) still gets a range of 1 to draw from.
  const [lo, hi] = range[1] > range[0] ? range : [range[0], range[0] + 1];
  const mean = new Float32Array(count);
  for (let s = 0; s < ERF_SAMPLES; s++) {
    const g = await gradient(erfInput(count, lo, hi, s), s);
    for (let i = 0; i < count; i++) mean[i]! += Math.abs(g[i] ?? 0) / ERF_SAMPLES;
  }
  return mean;
}
