/**
 * Whether a backend's outputs can be trusted: compared with a reference backend on the same
 * input (WebGL against wasm in the webview, the host's GPU provider against its CPU).
 * Pure; shared by the webview and the extension host.
 */
export interface Agreement {
  readonly ok: boolean;
  readonly maxDiff: number;
  /** max |reference value|: the diff is judged relative to it. */
  readonly scale: number;
}

/** Max |a − b| ≤ tol · max(|reference|, 1e-6)? Different lengths or NaN disagree. */
export function outputsAgree(reference: ArrayLike<number>, other: ArrayLike<number>, tol = 1e-3): Agreement {
  if (reference.length !== other.length) return { ok: false, maxDiff: Infinity, scale: 0 };
  let scale = 0;
  let maxDiff = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = Math.abs(r - other[i]!);
    if (Number.isNaN(d)) return { ok: false, maxDiff: NaN, scale };
    scale = Math.max(scale, Math.abs(r));
    maxDiff = Math.max(maxDiff, d);
  }
  return { ok: maxDiff <= tol * Math.max(scale, 1e-6), maxDiff, scale };
}
