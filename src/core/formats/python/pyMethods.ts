/** Methods of Python's built-in containers as model code uses them (dict.items(), list.append, …). */
import { builtin } from "./builtins";
import {
  NONE,
  bool,
  describe,
  dictKey,
  int,
  iterate,
  num,
  str,
  tuple,
  unknown,
  type PyValue,
} from "./values";

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
    case "pop":
      return builtin(name, (a) => {
        const k = dictKey(a.args[0] ?? NONE);
        const hit = k !== undefined ? d.entries.get(k) : undefined;
        if (k !== undefined) d.entries.delete(k);
        return (
          hit?.value ?? a.args[1] ?? unknown(`key ${a.args[0] ? describe(a.args[0]) : "?"} not in the dict`)
        );
      });
    case "setdefault":
      return builtin(name, (a) => {
        const key = a.args[0] ?? NONE;
        const k = dictKey(key);
        if (k === undefined) return unknown("dict key");
        if (!d.entries.has(k)) d.entries.set(k, { key, value: a.args[1] ?? NONE });
        return d.entries.get(k)?.value ?? NONE;
      });
    case "copy":
      return builtin(name, () => ({ t: "dict", entries: new Map(d.entries) }));
    case "update":
      return builtin(name, (a) => {
        const src = a.args[0];
        if (src?.t === "dict") for (const [k, v] of src.entries) d.entries.set(k, v);
        for (const [k, value] of a.kwargs) d.entries.set(`s:${k}`, { key: str(k), value });
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
      return builtin(
        name,
        (a) => (l.items.splice(num(a.args[0] ?? int(0)) ?? 0, 0, a.args[1] ?? NONE), NONE),
      );
    case "pop":
      return builtin(name, (a) => {
        if (!a.args[0]) return l.items.pop() ?? NONE;
        const i = num(a.args[0]);
        if (i === undefined) return unknown("list.pop at an unknown index");
        return l.items.splice(i < 0 ? i + l.items.length : i, 1)[0] ?? unknown("pop index out of range");
      });
    case "copy":
      return builtin(name, () => ({ t: "list", items: [...l.items] }));
    // set(...) is a list of distinct items here: the set methods model code calls.
    case "issubset":
    case "issuperset":
    case "add":
    case "union":
    case "intersection":
    case "difference":
      return builtin(name, (a) => setMethod(l, name, a.args[0] ?? NONE));
    case "index":
      return builtin(name, (a) =>
        int(l.items.findIndex((x) => num(x) !== undefined && num(x) === num(a.args[0] ?? NONE))),
      );
    default:
      return unknown(`list.${name}`);
  }
}

const STR_CLASSES: Record<string, RegExp> = {
  isdigit: /^[0-9]+$/,
  isdecimal: /^[0-9]+$/,
  isnumeric: /^[0-9]+$/,
  isalpha: /^[A-Za-z]+$/,
  isalnum: /^[A-Za-z0-9]+$/,
  isspace: /^[ \t\n\r\x0b\x0c\x1c-\x1f]+$/,
};

/** String methods config code uses (`arch.startswith("efficientnet_b")`, `"{}x{}".format(…)`). */
export function strMethod(x: string, name: string): PyValue {
  const strArg = (v: PyValue | undefined): string | undefined => (v?.t === "str" ? v.v : undefined);
  const tupleOrStr = (v: PyValue | undefined): string[] | undefined =>
    v?.t === "tuple"
      ? v.items.map((i) => strArg(i) ?? "\u0000")
      : strArg(v) !== undefined
        ? [strArg(v) as string]
        : undefined;
  const test = (f: (p: string) => boolean) =>
    builtin(name, (a) => {
      const ps = tupleOrStr(a.args[0]);
      return ps ? bool(ps.some(f)) : unknown(`str.${name} of a non-string`);
    });
  switch (name) {
    case "startswith":
      return test((p) => x.startsWith(p));
    case "endswith":
      return test((p) => x.endsWith(p));
    case "isdigit":
    case "isdecimal":
    case "isnumeric":
    case "isalpha":
    case "isalnum":
    case "isspace":
      // ASCII only: Python's classes take in Unicode digits and letters that these do not.
      return builtin(name, () => {
        if (!/^[\x00-\x7f]*$/.test(x)) return unknown(`str.${name} of a non-ASCII string`);
        const re = STR_CLASSES[name] as RegExp;
        return bool(re.test(x));
      });
    case "lower":
      return builtin(name, () => str(x.toLowerCase()));
    case "upper":
      return builtin(name, () => str(x.toUpperCase()));
    case "strip":
    case "lstrip":
    case "rstrip":
      return builtin(name, (a) => {
        const chars = strArg(a.args[0]);
        if (a.args[0] && chars === undefined) return unknown(`str.${name}`);
        const set = chars ?? " \t\n\r";
        let [i, j] = [0, x.length];
        if (name !== "rstrip") while (i < j && set.includes(x[i] as string)) i++;
        if (name !== "lstrip") while (j > i && set.includes(x[j - 1] as string)) j--;
        return str(x.slice(i, j));
      });
    case "replace":
      return builtin(name, (a) => {
        const [from, to] = [strArg(a.args[0]), strArg(a.args[1])];
        return from !== undefined && to !== undefined ? str(x.split(from).join(to)) : unknown("str.replace");
      });
    case "split":
      return builtin(name, (a) => {
        const sep = strArg(a.args[0] ?? a.kwargs.get("sep"));
        const max = a.args[1] ?? a.kwargs.get("maxsplit");
        // A maxsplit keeps the rest whole ("a_b_c".split("_", 1) is ['a', 'b_c']): not followed
        // without a separator, as is an empty separator (Python raises).
        if (max !== undefined && !(max.t === "int" && (max.v < 0 || sep !== undefined)))
          return unknown("str.split with this maxsplit");
        if (sep === "") return unknown("str.split with an empty separator");
        const parts = sep === undefined ? x.trim().split(/\s+/).filter(Boolean) : x.split(sep);
        const n = max?.t === "int" && max.v >= 0 ? max.v : parts.length;
        const kept = n < parts.length ? [...parts.slice(0, n), parts.slice(n).join(sep ?? "")] : parts;
        return { t: "list", items: kept.map(str) };
      });
    case "partition":
    case "rpartition":
      return builtin(name, (a) => {
        const sep = strArg(a.args[0]);
        if (!sep) return unknown(`str.${name} without a known separator`);
        const i = name === "partition" ? x.indexOf(sep) : x.lastIndexOf(sep);
        const parts =
          i < 0
            ? name === "partition"
              ? [x, "", ""]
              : ["", "", x]
            : [x.slice(0, i), sep, x.slice(i + sep.length)];
        return { t: "tuple", items: parts.map(str) };
      });
    case "join":
      return builtin(name, (a) => {
        const items = iterate(a.args[0] ?? NONE);
        const parts = items?.map(strArg);
        return parts?.every((p): p is string => p !== undefined)
          ? str(parts.join(x))
          : unknown("str.join of non-strings");
      });
    case "format":
      return builtin(name, (a) => {
        let i = 0;
        let bad = false;
        const out = x.replace(/\{([^{}]*)\}/g, (_m, key: string) => {
          const field = key.split(/[:!]/)[0] ?? "";
          const v =
            field === "" ? a.args[i++] : /^\d+$/.test(field) ? a.args[Number(field)] : a.kwargs.get(field);
          if (!v || v.t === "unknown") bad = true;
          return v ? (v.t === "str" ? v.v : describe(v)) : "";
        });
        return bad ? unknown("str.format of an unknown") : str(out);
      });
    default:
      return unknown(`str.${name} is not followed`);
  }
}

function setMethod(l: Extract<PyValue, { t: "list" }>, name: string, other: PyValue): PyValue {
  const mine = l.items.map(dictKey);
  if (name === "add") {
    const k = dictKey(other);
    if (k === undefined || mine.some((m) => m === undefined))
      return unknown("set.add of a value that is not known");
    if (!mine.includes(k)) l.items.push(other);
    return NONE;
  }
  const items = iterate(other);
  const theirs = items?.map(dictKey);
  if (!items || !theirs || [...mine, ...theirs].some((k) => k === undefined))
    return unknown(`set.${name} of values that are not known`);
  switch (name) {
    case "issubset":
      return bool(mine.every((k) => theirs.includes(k)));
    case "issuperset":
      return bool(theirs.every((k) => mine.includes(k)));
    case "union":
      return {
        t: "list",
        items: [
          ...l.items,
          ...items.filter((_, i) => !mine.includes(theirs[i]) && theirs.indexOf(theirs[i]) === i),
        ],
      };
    case "intersection":
      return { t: "list", items: l.items.filter((_, i) => theirs.includes(mine[i])) };
    default:
      return { t: "list", items: l.items.filter((_, i) => !theirs.includes(mine[i])) };
  }
}
