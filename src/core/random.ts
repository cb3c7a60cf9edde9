/**
 * The one seeded random generator (mulberry32: small, fast, deterministic): generated
 * weights, ERF inputs, noise images and ascent starts all draw from it, so that the
 * same seed gives the same numbers in the CLI, the host and the webview.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [lo, hi), the same for the same seed. */
export function uniformValues(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rand = prng(seed);
  const out = new Float32Array(n);
  const span = hi - lo;
  // A plain loop: Float32Array.from over an array-like took ~1 s for ResNet-18's 11.7 M weights.
  for (let i = 0; i < n; i++) out[i] = lo + rand() * span;
  return out;
}
