/** Reading Python argument values as the numbers and tuples layer constructors need. */
import type { Span } from "./ast";
import { num, type CallArgs, type PyValue } from "./values";

export class ArgError extends Error {}

/** Bind a call's arguments to parameter names with defaults (like Python's signature binding). */
export function bindArgs(
  a: CallArgs,
  names: readonly string[],
  defaults: Readonly<Record<string, PyValue>>,
): { values: Map<string, PyValue>; spans: Map<string, Span> } {
  const values = new Map<string, PyValue>();
  const spans = new Map<string, Span>();
  a.args.forEach((v, i) => {
    const n = names[i];
    if (n === undefined) return;
    values.set(n, v);
    const s = a.argSpans[i];
    if (s) spans.set(n, s);
  });
  for (const [k, v] of a.kwargs) {
    values.set(k, v);
    const s = a.kwargSpans.get(k);
    if (s) spans.set(k, s);
  }
  for (const n of names)
    if (!values.has(n) && defaults[n] !== undefined) values.set(n, defaults[n] as PyValue);
  return { values, spans };
}

export function getInt(values: ReadonlyMap<string, PyValue>, name: string): number {
  const v = values.get(name);
  const n = v ? num(v) : undefined;
  if (n === undefined || !Number.isFinite(n))
    throw new ArgError(`${name} is ${v ? describeShort(v) : "missing"}`);
  return n;
}

/**
 * A number argument, `dflt` when absent or None; a value that is not a constant number is an ArgError, never
 * the default.
 */
export function getFloat(values: ReadonlyMap<string, PyValue>, name: string, dflt: number): number {
  const v = values.get(name);
  if (v === undefined || v.t === "none") return dflt;
  const n = num(v);
  if (n === undefined) throw new ArgError(`${name} is ${describeShort(v)}`);
  return n;
}

export function getBool(values: ReadonlyMap<string, PyValue>, name: string, dflt: boolean): boolean {
  const v = values.get(name);
  if (!v) return dflt;
  if (v.t === "bool") return v.v;
  if (v.t === "none") return false;
  const n = num(v);
  return n === undefined ? dflt : n !== 0;
}

/** An int or a tuple of n ints (kernel_size=3 or (3, 5)). */
export function getTuple(values: ReadonlyMap<string, PyValue>, name: string, n: number): number[] {
  const v = values.get(name);
  if (!v) throw new ArgError(`${name} is missing`);
  const one = num(v);
  if (one !== undefined) return new Array<number>(n).fill(one);
  if ((v.t === "tuple" || v.t === "list") && v.items.length === n) {
    const xs = v.items.map(num);
    if (xs.every((x): x is number => x !== undefined)) return xs;
  }
  throw new ArgError(`${name} is ${describeShort(v)}`);
}

export function isNoneOrMissing(values: ReadonlyMap<string, PyValue>, name: string): boolean {
  const v = values.get(name);
  return !v || v.t === "none";
}

function describeShort(v: PyValue): string {
  return v.t === "unknown" ? `unknown (${v.reason})` : v.t;
}
