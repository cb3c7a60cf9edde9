/** Class lookups shared by the interpreter and the torch host: MRO and attribute resolution. */
import type { Expr, Span } from "./ast";
import { NONE } from "./values";
import type { CallArgs, PyClass, PyFunction, PyObject, PyValue } from "./values";

/** Method resolution order (depth-first, left to right, duplicates removed: enough for model code). */
export function mro(cls: PyClass): PyClass[] {
  const out: PyClass[] = [];
  const visit = (c: PyClass) => {
    if (out.includes(c)) return;
    out.push(c);
    c.bases.forEach(visit);
  };
  visit(cls);
  return out;
}

export function lookupClassAttr(cls: PyClass, name: string): { value: PyValue; owner: PyClass } | undefined {
  for (const c of mro(cls)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return { value: v, owner: c };
  }
  return undefined;
}

export function isModuleClass(cls: PyClass): boolean {
  return mro(cls).some((c) => c.nn !== undefined);
}

/**
 * A class attribute read through an instance: a @classmethod bound to the class, a @property
 * called on the instance (`call` runs it), a plain method bound to the instance, else the value.
 */
export function throughInstance(v: PyValue, obj: PyObject, call: (f: PyFunction) => PyValue): PyValue {
  if (v.t !== "func" || v.bound) return v;
  if (v.classmethod) return { ...v, bound: obj.cls };
  return v.property ? call({ ...v, bound: obj }) : { ...v, bound: obj };
}

/** The arguments of a call with none (a @property's getter). */
export const noArgs = (span: Span): CallArgs => ({
  args: [],
  kwargs: new Map(),
  argSpans: [],
  kwargSpans: new Map(),
  span,
});

/**
 * A function defined in a class body as its decorators make it: @staticmethod (never bound),
 * @classmethod, @property; undefined for `@x.setter` / `@x.deleter`, which keep the getter.
 */
export function asMethod(f: PyFunction, decorators: readonly Expr[]): PyFunction | undefined {
  const named = (n: string) => decorators.some((d) => d.kind === "Name" && d.id === n);
  if (decorators.some((d) => d.kind === "Attribute" && (d.attr === "setter" || d.attr === "deleter")))
    return undefined;
  if (named("staticmethod")) return { ...f, bound: NONE };
  if (named("classmethod")) return { ...f, classmethod: true };
  return named("property") ? { ...f, property: true } : f;
}
