/** Class lookups shared by the interpreter and the torch host: MRO and attribute resolution. */
import type { PyClass, PyValue } from "./values";

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
