/** Methods of Python's built-in containers as model code uses them (dict.items(), list.append, …). */
import { builtin } from "./builtins";
import { NONE, dictKey, int, iterate, num, tuple, unknown, type PyValue } from "./values";

export function dictMethod(d: Extract<PyValue, { t: "dict" }>, name: string): PyValue {
  const entries = [...d.entries.values()];
  switch (name) {
    case "items":
      return builtin(name, () => ({ t: "list", items: entries.map((e) => tuple([e.key, e.value])) }));
    case "keys":
      return builtin(name, () => ({ t: "list", items: entries.map((e) => e.key) }));
    case "values":
      return builtin(name, () => ({ t: "list", items: entries.map((e) => e.value) }));
    case "get":
      return builtin(name, (a) => {
        const k = dictKey(a.args[0] ?? NONE);
        return (k !== undefined ? d.entries.get(k)?.value : undefined) ?? a.args[1] ?? NONE;
      });
    case "update":
      return builtin(name, (a) => {
        const src = a.args[0];
        if (src?.t === "dict") for (const [k, v] of src.entries) d.entries.set(k, v);
        return NONE;
      });
    default:
      return unknown(`dict.${name}`);
  }
}

export function listMethod(l: Extract<PyValue, { t: "list" }>, name: string): PyValue {
  switch (name) {
    case "append":
      return builtin(name, (a) => (l.items.push(a.args[0] ?? NONE), NONE));
    case "extend":
    case "__iadd__":
      return builtin(name, (a) => (l.items.push(...(iterate(a.args[0] ?? NONE) ?? [])), NONE));
    case "insert":
      return builtin(name, (a) => (l.items.splice(num(a.args[0] ?? int(0)) ?? 0, 0, a.args[1] ?? NONE), NONE));
    case "pop":
      return builtin(name, () => l.items.pop() ?? NONE);
    case "index":
      return builtin(name, (a) => int(l.items.findIndex((x) => num(x) !== undefined && num(x) === num(a.args[0] ?? NONE))));
    default:
      return unknown(`list.${name}`);
  }
}

