/**
 * The spatial size of an assumed input (no call, comment or setting states one), solved from the
 * constraints the code states instead of guessed: a `Linear` after a flatten (in_features = C·H·W),
 * a `view(-1, board * board)`, a parameter added to an activation. Each constraint that fails at a
 * size names the two numbers that disagree (ShapeError.sizes); the one that moves with the input
 * size is solved for the one that does not, by bisection, as conv / pool chains only grow with it.
 */
import type { ShapeErrorAt } from "./graphBuilder";

/** What one trace of forward at a size says. */
export interface SizeProbe {
  /** Shape errors in graph order; the size fits when there are none and forward returned tensors. */
  readonly errors: readonly ShapeErrorAt[];
  /** forward returned no tensor (an interpreter error, an unknown value). */
  readonly failed: boolean;
  /** The node ran with every output shape known (the constraint it states holds at this size). */
  readonly reached: (node: string) => boolean;
}

export interface SolveOptions {
  /** The start is the last size that fitted this class: kept while the class has an error no size fixes. */
  readonly keepStart: boolean;
  /** Date.now() after which no more sizes are tried. */
  readonly deadline: number;
}

/** Sizes preferred, in order, among several that satisfy a constraint (pooling floors admit ranges). */
export const COMMON_SIZES: readonly number[] = [224, 32, 28, 64, 96, 128, 256, 299, 112, 48, 16, 19, 8];
const MAX_SIZE = 4096;

/** One constraint: at `node`, sizes[got] must equal `want`. */
interface Constraint {
  readonly node: string;
  readonly got: 0 | 1;
  readonly want: number;
}

export const fits = (p: SizeProbe): boolean => p.errors.length === 0 && !p.failed;

/** The size to assume, starting from `start`; the probe at that size comes back with it. */
export function solveInputSize<P extends SizeProbe>(
  probe: (size: number) => P,
  start: number,
  opts: SolveOptions,
): { size: number; probe: P; tried: ReadonlyMap<number, P> } {
  const memo = new Map<number, P>();
  const at = (s: number): P => {
    const hit = memo.get(s);
    if (hit) return hit;
    const p = probe(s);
    memo.set(s, p);
    return p;
  };
  let best = { size: start, probe: at(start) };
  for (let round = 0; round < 4 && !fits(best.probe) && Date.now() < opts.deadline; round++) {
    const first = best.probe.errors[0];
    const constraint = first && constraintOf(at, best.size, first);
    if (!constraint) break;
    const next = satisfy(at, constraint, best.size, opts.deadline);
    if (!next) break;
    const solved = next.probe.reached(constraint.node);
    // An error no size fixes (LeNet's Linear(100, 84) after 120 features): keep the last good size,
    // else move to the size whose numbers come nearest (the fix it offers keeps that assumption).
    if (!solved && (opts.keepStart || distance(next.probe, constraint) >= distance(best.probe, constraint)))
      break;
    if (solved && errorCount(next.probe) > errorCount(best.probe)) break;
    best = next;
    if (!solved) break;
  }
  return { ...best, tried: memo };
}

const errorCount = (p: SizeProbe): number => p.errors.length + (p.failed ? 1 : 0);

function gotAt(p: SizeProbe, c: Constraint): number | undefined {
  return p.errors.find((e) => e.node === c.node)?.sizes?.[c.got];
}

function distance(p: SizeProbe, c: Constraint): number {
  if (p.reached(c.node)) return 0;
  const got = gotAt(p, c);
  return got === undefined ? Infinity : Math.abs(got - c.want);
}

/** Which of the error's two numbers moves with the input size; none when neither or both do. */
function constraintOf(at: (s: number) => SizeProbe, size: number, e: ShapeErrorAt): Constraint | undefined {
  if (!e.sizes) return undefined;
  const [a, b] = e.sizes;
  for (const other of [2 * size, size + 1, Math.ceil(size / 2)]) {
    if (other === size || other > MAX_SIZE) continue;
    const there = at(other).errors.find((x) => x.node === e.node)?.sizes;
    if (!there) continue;
    if (there[0] !== a && there[1] === b) return { node: e.node, got: 0, want: b };
    if (there[1] !== b && there[0] === a) return { node: e.node, got: 1, want: a };
    return undefined;
  }
  return undefined;
}

/**
 * The preferred size that satisfies the constraint, or, when none does, the smallest size whose
 * number reaches the wanted one (the nearest from above). Undefined when no size gets there.
 */
function satisfy<P extends SizeProbe>(
  at: (s: number) => P,
  c: Constraint,
  from: number,
  deadline: number,
): { size: number; probe: P } | undefined {
  // Enough: the constraint holds, or the moving number has reached the wanted one. Sizes too
  // small for the layers before it fail earlier and count as not enough.
  const enough = (s: number): boolean => {
    const p = at(s);
    if (p.reached(c.node)) return true;
    const got = gotAt(p, c);
    return got !== undefined && got >= c.want;
  };
  let lo = 0;
  let hi = from;
  if (!enough(from)) {
    lo = from;
    hi = from * 2;
    while (hi <= MAX_SIZE && !enough(hi)) [lo, hi] = [hi, hi * 2];
    if (hi > MAX_SIZE) return undefined;
  }
  // enough(hi) and not enough(lo): bisect to the smallest size that is enough.
  while (hi - lo > 1 && Date.now() < deadline) {
    const mid = Math.floor((lo + hi) / 2);
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  const least = hi;
  // Pooling floors make a range of sizes fit (LeNet: 32–35); a common size in it reads best.
  const preferred = COMMON_SIZES.filter((s) => s > least && s < 2 * least);
  for (const s of [least, ...preferred].sort((x, y) => rank(x) - rank(y))) {
    if (Date.now() >= deadline) break;
    if (at(s).reached(c.node)) return { size: s, probe: at(s) };
  }
  // No size satisfies it: the nearest number from above or below, a common size among equals.
  const near = [least, ...(lo > 0 ? [lo] : []), ...COMMON_SIZES.filter((s) => s > lo / 2 && s < 2 * least)];
  let best = least;
  for (const s of near) {
    if (Date.now() >= deadline) break;
    const d = distance(at(s), c) - distance(at(best), c);
    if (d < 0 || (d === 0 && rank(s) < rank(best))) best = s;
  }
  return { size: best, probe: at(best) };
}

/** Common sizes first, in their order; any other size after them. */
function rank(size: number): number {
  const i = COMMON_SIZES.indexOf(size);
  return i < 0 ? COMMON_SIZES.length : i;
}
