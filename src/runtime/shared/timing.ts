/**
 * User-timing measures named "convlens:<what>" on the webview's performance timeline: where the
 * time of a click goes (host round trips, building, rendering). The product bench
 * (scripts/benchProduct.mjs) reads them, and the browser's profiler shows them. Never throws.
 */
export const MEASURE_PREFIX = "convlens:";

/** Records `what` as lasting from `start` (a performance.now() value) to now. */
export function measureSince(what: string, start: number): void {
  try {
    performance.measure(MEASURE_PREFIX + what, { start, end: performance.now() });
  } catch {
    // A timeline without user timing: nothing to record.
  }
}

/**
 * Records `what` as lasting `ms`, ending now: a duration measured elsewhere (the host's session.run)
 * shown beside the webview's own measures.
 */
export function measureLasting(what: string, ms: number): void {
  measureSince(what, performance.now() - ms);
}

/** `make()`, recorded as `what`. */
export function timed<T>(what: string, make: () => T): T {
  const start = performance.now();
  try {
    return make();
  } finally {
    measureSince(what, start);
  }
}

/**
 * Marks `at` (a Date.now() value stamped elsewhere, e.g. by the extension host) on this timeline as
 * "convlens:<what>", its epoch time in the mark's detail: a step may precede this page's start, which
 * a measure cannot show, so the reader (the product bench) subtracts the moment it counts from.
 */
export function markEpoch(what: string, at: number): void {
  try {
    performance.mark(MEASURE_PREFIX + what, { detail: { epochMs: at } });
  } catch {
    // A timeline without user timing: nothing to record.
  }
}
