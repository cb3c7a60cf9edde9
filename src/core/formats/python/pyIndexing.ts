/**
 * Indexing Python containers (dicts, lists, tuples, module containers): `d[k]`, `layers[1:]`,
 * `self.blocks["b1"] = m`, `del lst[i]`. Tensor indexing is the torch host's (tensorIndex.ts).
 */
import { dictKey, describe, num, str, tuple, unknown, NONE, type PyObject, type PyValue } from "./values";

/** obj[index] for a container; anything else is unknown with the reason. */
export function containerGetItem(obj: PyValue, index: PyValue): PyValue {
  // An unknown keeps its own reason, the root cause (not "cannot index ? (cannot index ? (…))" per turn).
  if (obj.t === "unknown") return obj;
  if (obj.t === "str") {
    // "nre"[1:] is "re" (timm's block strings): indexed as its characters, joined back.
    const chars = containerGetItem(tuple([...obj.v].map(str)), index);
    const joined = chars.t === "tuple" ? chars.items.map((c) => (c.t === "str" ? c.v : "")).join("") : "";
    return chars.t === "tuple" ? str(joined) : chars;
  }
  if (obj.t === "dict") {
    const k = dictKey(index);
    return (
      (k !== undefined ? obj.entries.get(k)?.value : undefined) ?? unknown(`key ${describe(index)} not found`)
    );
  }
  const items =
    obj.t === "object" && obj.children && obj.cls.nn !== "ModuleDict"
      ? [...obj.children.values()]
      : obj.t === "list" || obj.t === "tuple"
        ? obj.items
        : undefined;
  if (obj.t === "object" && obj.children && index.t === "str")
    return obj.children.get(index.v) ?? unknown(`no module ${index.v}`);
  if (!items) return unknown(`cannot index ${describe(obj)}`);
  if (index.t === "builtin" && index.name === "slice") {
    const bounds = ["start", "stop", "step"].map((p) => index.attrs?.(p) ?? NONE);
    // x[:n] with n not known is not the whole list.
    if (bounds.some((b) => b.t !== "none" && num(b) === undefined))
      return unknown("a slice whose bounds are not known");
    const [s, e, st] = bounds.map((b) => num(b));
    const step = st ?? 1;
    const norm = (i: number | undefined, d: number) =>
      i === undefined ? d : i < 0 ? Math.max(0, i + items.length) : Math.min(i, items.length);
    const out: PyValue[] = [];
    if (step > 0)
      for (let i = norm(s, 0); i < norm(e, items.length); i += step) out.push(items[i] as PyValue);
    else
      for (
        let i = s === undefined ? items.length - 1 : norm(s, 0);
        i > (e === undefined ? -1 : norm(e, 0));
        i += step
      )
        out.push(items[i] as PyValue);
    if (obj.t === "object") {
      const seq: PyObject = {
        t: "object",
        cls: obj.cls,
        attrs: new Map(),
        children: new Map(out.map((m, i) => [String(i), m as PyObject])),
      };
      return seq;
    }
    return obj.t === "tuple" ? tuple(out) : { t: "list", items: out };
  }
  const i = num(index);
  if (i === undefined) return unknown(`index ${describe(index)}`);
  return items[i < 0 ? i + items.length : i] ?? unknown(`index ${i} out of range`);
}

export function containerSetItem(obj: PyValue, index: PyValue, value: PyValue): void {
  if (obj.t === "dict") {
    const k = dictKey(index);
    if (k) obj.entries.set(k, { key: index, value });
  } else if (obj.t === "list") {
    const i = num(index);
    if (i !== undefined) obj.items[i < 0 ? i + obj.items.length : i] = value;
  } else if (obj.t === "object" && obj.children && index.t === "str" && value.t === "object")
    obj.children.set(index.v, value);
}

export function containerDelItem(obj: PyValue, index: PyValue): void {
  if (obj.t === "dict") {
    const k = dictKey(index);
    if (k !== undefined) obj.entries.delete(k);
  } else if (obj.t === "list") {
    const i = num(index);
    if (i !== undefined) obj.items.splice(i < 0 ? i + obj.items.length : i, 1);
  } else if (obj.t === "object" && obj.children && index.t === "str") obj.children.delete(index.v);
}
