/**
 * Python's `copy` module on interpreter values: `copy.copy(cfg)` (torchvision's EfficientNet
 * copies each stage's config) and `copy.deepcopy(layer)` (`ModuleList([deepcopy(layer) for …])`
 * in transformer stacks: each clone is a module of its own, with its own parameters).
 */
import { builtin } from "./builtins";
import { unknown, type PyObject, type PyValue } from "./values";

function shallow(v: PyValue): PyValue {
  if (v.t === "list") return { t: "list", items: [...v.items] };
  if (v.t === "dict") return { t: "dict", entries: new Map(v.entries) };
  if (v.t === "object") {
    const copy: PyObject = {
      t: "object",
      cls: v.cls,
      attrs: new Map(v.attrs),
      ...(v.children ? { children: new Map(v.children) } : {}),
    };
    if (v.leaf) copy.leaf = v.leaf;
    if (v.defSpan) copy.defSpan = v.defSpan;
    if (v.opaque !== undefined) copy.opaque = v.opaque;
    return copy;
  }
  return v;
}

function deep(v: PyValue, seen: Map<object, PyValue>): PyValue {
  const hit = seen.get(v);
  if (hit) return hit;
  if (v.t === "list") {
    const out: PyValue = { t: "list", items: [] };
    seen.set(v, out);
    out.items.push(...v.items.map((x) => deep(x, seen)));
    return out;
  }
  if (v.t === "tuple") return { t: "tuple", items: v.items.map((x) => deep(x, seen)) };
  if (v.t === "dict") {
    const entries = new Map<string, { key: PyValue; value: PyValue }>();
    const out: PyValue = { t: "dict", entries };
    seen.set(v, out);
    for (const [k, e] of v.entries) entries.set(k, { key: e.key, value: deep(e.value, seen) });
    return out;
  }
  if (v.t === "object") {
    const copy: PyObject = {
      t: "object",
      cls: v.cls,
      attrs: new Map(),
      ...(v.children ? { children: new Map() } : {}),
    };
    seen.set(v, copy);
    for (const [k, x] of v.attrs) copy.attrs.set(k, deep(x, seen));
    for (const [k, c] of v.children ?? []) copy.children?.set(k, deep(c, seen) as PyObject);
    if (v.leaf) copy.leaf = v.leaf;
    if (v.defSpan) copy.defSpan = v.defSpan;
    if (v.opaque !== undefined) copy.opaque = v.opaque;
    return copy;
  }
  return v;
}

export function copyModule(): PyValue {
  return builtin(
    "copy",
    () => unknown("copy is a module"),
    (n) =>
      n === "copy"
        ? builtin("copy.copy", (a) => shallow(a.args[0] ?? unknown("copy of nothing")))
        : n === "deepcopy"
          ? builtin("copy.deepcopy", (a) => deep(a.args[0] ?? unknown("deepcopy of nothing"), new Map()))
          : undefined,
  );
}
