/**
 * Python builtins and the small standard-library pieces model code uses (range, zip, OrderedDict, math,
 * partial).
 */
import { typeBuiltin } from "./pyType";
import {
  describe,
  iterate,
  num,
  str,
  tuple,
  unknown,
  type CallArgs,
  type PyBuiltin,
  type PyValue,
  NONE,
  int,
  bool,
  truthy,
  dictKey,
} from "./values";
import type { Interpreter } from "./interpreter";
import { lookupClassAttr } from "./pyClasses";
import { PARTIAL, makePartial } from "./pyPartial";

export function builtin(
  name: string,
  call: (a: CallArgs) => PyValue,
  attrs?: (n: string) => PyValue | undefined,
): PyBuiltin {
  return { t: "builtin", name, call, ...(attrs ? { attrs } : {}) };
}

const iterators = new WeakMap<object, { readonly items: readonly PyValue[]; at: number }>();

/** An iterator: iterating it gives the items next() has not taken. */
function iterator(items: readonly PyValue[]): PyValue {
  const state = { items, at: 0 };
  const it: PyBuiltin = {
    t: "builtin",
    name: "iterator",
    call: () => unknown("an iterator is not callable"),
    get items() {
      return state.items.slice(state.at);
    },
  };
  iterators.set(it, state);
  return it;
}

function ints(a: CallArgs): number[] | undefined {
  const xs = a.args.map(num);
  return xs.every((x): x is number => x !== undefined) ? xs : undefined;
}

function numeric(v: number, asFloat: boolean): PyValue {
  return asFloat ? { t: "float", v } : int(v);
}

/** typing / collections.abc names, and which concrete types `isinstance` accepts for each. */
export const ABSTRACT_TYPES: Readonly<Record<string, readonly string[]>> = {
  Sequence: ["list", "tuple", "str"],
  MutableSequence: ["list"],
  Iterable: ["list", "tuple", "str", "dict"],
  Collection: ["list", "tuple", "str", "dict"],
  Mapping: ["dict"],
  MutableMapping: ["dict"],
  List: ["list"],
  Tuple: ["tuple"],
  Dict: ["dict"],
  Callable: ["function"],
};

export function makeBuiltins(interp: () => Interpreter): Map<string, PyValue> {
  const call = (fn: PyValue, args: PyValue[]) =>
    interp().call(fn, {
      args,
      kwargs: new Map(),
      argSpans: [],
      kwargSpans: new Map(),
      span: { from: 0, to: 0 },
    });
  const seq = (a: CallArgs) => iterate(a.args[0] ?? NONE);
  const b: Record<string, PyValue> = {
    range: builtin("range", (a) => {
      const xs = ints(a);
      if (!xs || xs.length === 0) return unknown("range of non-constant bounds");
      const [start, stop, step] = xs.length === 1 ? [0, xs[0] ?? 0, 1] : [xs[0] ?? 0, xs[1] ?? 0, xs[2] ?? 1];
      if (step === 0 || Math.abs((stop - start) / step) > 100_000) return unknown("range too long to follow");
      const items: PyValue[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) items.push(int(i));
      return { t: "list", items };
    }),
    len: builtin("len", (a) => {
      const v = a.args[0] ?? NONE;
      if (v.t === "tensor")
        return typeof v.state.shape?.[0] === "number" ? int(v.state.shape[0]) : unknown("len of a tensor");
      const items = iterate(v);
      return items ? int(items.length) : unknown(`len of ${describe(v)}`);
    }),
    zip: builtin("zip", (a) => {
      const lists = a.args.map((x) => iterate(x));
      if (lists.some((l) => !l)) return unknown("zip of non-sequences");
      const n = Math.min(...lists.map((l) => l?.length ?? 0));
      return {
        t: "list",
        items: Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l?.[i] ?? NONE))),
      };
    }),
    // `next(iter(loader))`: an iterator over known items that each next() consumes.
    iter: builtin("iter", (a) => {
      const items = seq(a);
      return items ? iterator(items) : unknown(`iter of ${describe(a.args[0] ?? NONE)}`);
    }),
    next: builtin("next", (a) => {
      const it = a.args[0];
      const state = it ? iterators.get(it) : undefined;
      const dflt = a.args[1];
      if (!state) return unknown(`next of ${describe(it ?? NONE)}`);
      return state.items[state.at++] ?? dflt ?? unknown("next of an exhausted iterator (StopIteration)");
    }),
    enumerate: builtin("enumerate", (a) => {
      const items = seq(a);
      const start = num(a.args[1] ?? a.kwargs.get("start") ?? int(0)) ?? 0;
      return items
        ? { t: "list", items: items.map((v, i) => tuple([int(i + start), v])) }
        : unknown("enumerate of a non-sequence");
    }),
    reversed: builtin("reversed", (a) => {
      const items = seq(a);
      return items ? { t: "list", items: items.reverse() } : unknown("reversed of a non-sequence");
    }),
    sorted: builtin("sorted", (a) => {
      const items = seq(a);
      return items
        ? { t: "list", items: [...items].sort((x, y) => (num(x) ?? 0) - (num(y) ?? 0)) }
        : unknown("sorted of a non-sequence");
    }),
    list: builtin("list", (a) => {
      const items = a.args.length ? seq(a) : [];
      return items ? { t: "list", items } : unknown(`list of ${describe(a.args[0] ?? NONE)}`);
    }),
    tuple: builtin("tuple", (a) => {
      const items = a.args.length ? seq(a) : [];
      return items ? tuple(items) : unknown(`tuple of ${describe(a.args[0] ?? NONE)}`);
    }),
    dict: builtin("dict", (a) => makeDict(a)),
    OrderedDict: builtin("OrderedDict", (a) => makeDict(a)),
    // A set keeps the first of equal items, in order (Python's order differs, but its size does not).
    set: builtin("set", (a) => {
      const items = a.args.length ? seq(a) : [];
      const keys = items?.map(dictKey);
      if (!items || !keys || keys.some((k) => k === undefined))
        return unknown("set of values that are not known");
      return { t: "list", items: items.filter((_, i) => keys.indexOf(keys[i]) === i) };
    }),
    int: builtin("int", (a) => {
      const v = a.args[0] ?? int(0);
      if (a.args.length > 1 || a.kwargs.size) return unknown("int() with a base");
      // Python's int("1.5") and int("") raise: only decimal integer text is read.
      const n = num(v) ?? (v.t === "str" && INT_TEXT.test(v.v) ? Number(v.v.replace(/_/g, "")) : undefined);
      return n === undefined || Number.isNaN(n)
        ? v.t === "sym"
          ? v
          : unknown("int() of a non-number")
        : int(Math.trunc(n));
    }),
    float: builtin("float", (a) => {
      const v = a.args[0] ?? int(0);
      const n = num(v) ?? (v.t === "str" && FLOAT_TEXT.test(v.v) ? Number(v.v) : undefined);
      return n === undefined ? unknown("float() of a non-number") : { t: "float", v: n };
    }),
    bool: builtin("bool", (a) => {
      const t = truthy(a.args[0] ?? bool(false));
      return t === undefined ? unknown("bool of an unknown") : bool(t);
    }),
    str: builtin("str", (a) => str(a.args[0] ? describe(a.args[0]).replace(/^"|"$/g, "") : "")),
    // chr(j + 97) names blocks "block1a_" (the Keras EfficientNets).
    chr: builtin("chr", (a) => {
      const n = num(a.args[0] ?? NONE);
      return n === undefined || !Number.isInteger(n) || n < 0 || n > 0x10ffff
        ? unknown("chr of a value that is not a known code point")
        : str(String.fromCodePoint(n));
    }),
    ord: builtin("ord", (a) => {
      const v = a.args[0] ?? NONE;
      const cp = v.t === "str" && [...v.v].length === 1 ? v.v.codePointAt(0) : undefined;
      return cp === undefined ? unknown("ord of a value that is not one character") : numeric(cp, false);
    }),
    abs: builtin("abs", (a) => {
      const v = a.args[0] ?? NONE;
      const n = num(v);
      return n === undefined ? unknown("abs") : numeric(Math.abs(n), v.t === "float");
    }),
    round: builtin("round", (a) => {
      const n = num(a.args[0] ?? NONE);
      if (n === undefined || (a.args[1] && a.args[1].t !== "none")) return unknown("round");
      // Python rounds halves to even: round(2.5) == 2.
      const r = Math.round(n);
      return int(Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
    }),
    min: builtin("min", (a) => extreme(a, Math.min)),
    max: builtin("max", (a) => extreme(a, Math.max)),
    sum: builtin("sum", (a) => {
      const values = seq(a);
      // sum(lists, []) / sum(tuples, ()): concatenation, as Python does with a sequence start.
      const start = a.args[1];
      if ((start?.t === "list" || start?.t === "tuple") && values?.every((v) => v.t === start.t))
        return { t: start.t, items: [...start.items, ...values.flatMap((v) => iterate(v) ?? [])] };
      const items = values?.map(num);
      if (!values || !items || items.some((x) => x === undefined)) return unknown("sum of non-numbers");
      const total = (items as number[]).reduce((x, y) => x + y, num(a.args[1] ?? int(0)) ?? 0);
      return numeric(
        total,
        [...values, a.args[1] ?? NONE].some((v) => v.t === "float"),
      );
    }),
    any: builtin("any", (a) => bool((seq(a) ?? []).some((x) => truthy(x) === true))),
    all: builtin("all", (a) => bool((seq(a) ?? []).every((x) => truthy(x) === true))),
    map: builtin("map", (a) => {
      const [fn, ...rest] = a.args;
      const lists = rest.map((x) => iterate(x));
      if (!fn || lists.some((l) => !l)) return unknown("map");
      const n = Math.min(...lists.map((l) => l?.length ?? 0));
      return {
        t: "list",
        items: Array.from({ length: n }, (_, i) =>
          call(
            fn,
            lists.map((l) => l?.[i] ?? NONE),
          ),
        ),
      };
    }),
    print: builtin("print", () => NONE),
    // typing.cast(T, v) is v at run time.
    cast: builtin("cast", (a) => a.args[1] ?? NONE),
    isinstance: builtin("isinstance", (a) => {
      const v = a.args[0] ?? NONE;
      const types = iterate(a.args[1] ?? NONE) ?? [a.args[1] ?? NONE];
      const names = types.map((t) => (t.t === "class" ? t.name : t.t === "builtin" ? t.name : ""));
      // typing / collections.abc names stand for the concrete types they cover.
      const covers = (n: string): readonly string[] => ABSTRACT_TYPES[n] ?? [n];
      const accepted = new Set(names.flatMap(covers));
      const typeName =
        v.t === "int"
          ? "int"
          : v.t === "float"
            ? "float"
            : v.t === "str"
              ? "str"
              : v.t === "list"
                ? "list"
                : v.t === "tuple"
                  ? "tuple"
                  : v.t === "bool"
                    ? "bool"
                    : v.t === "dict"
                      ? "dict"
                      : v.t === "builtin" && v.name === PARTIAL
                        ? "partial"
                        : v.t === "func" || v.t === "builtin"
                          ? "function"
                          : v.t === "class"
                            ? "type"
                            : v.t === "none"
                              ? "NoneType"
                              : undefined;
      let hit: boolean | undefined;
      // A builtin here may stand for a Python function of a library not read: FunctionType is not certain.
      if (v.t === "builtin" && typeName === "function" && names.includes("FunctionType"))
        return unknown("isinstance of a library function against types.FunctionType");
      if (v.t === "func") hit = accepted.has("function") || accepted.has("FunctionType");
      else if (typeName) hit = accepted.has(typeName) || (typeName === "bool" && accepted.has("int"));
      else if (v.t === "tensor") hit = accepted.has("Tensor");
      else if (v.t === "object") {
        const chain: string[] = [];
        const walk = (c: typeof v.cls) => {
          chain.push(c.name);
          c.bases.forEach(walk);
        };
        walk(v.cls);
        hit = names.some((n) => chain.includes(n)) || (v.children !== undefined && accepted.has("Module"));
      }
      if (hit === undefined) return v.t === "unknown" ? v : unknown(`isinstance of ${describe(v)}`);
      // A type that is not known (an import we cannot read) could still match: only a hit is certain.
      return hit || names.every((n) => n !== "")
        ? bool(hit)
        : unknown("isinstance against a type that is not known");
    }),
    getattr: builtin("getattr", (a) => {
      const [obj, n, dflt] = a.args;
      if (!obj || n?.t !== "str") return unknown("getattr with a name that is not constant");
      const v = interp().host.getAttr(obj, n.v, interp(), a.span);
      return v.t === "unknown" && dflt ? dflt : v;
    }),
    setattr: builtin("setattr", (a) => {
      const [obj, n, v] = a.args;
      if (obj && n?.t === "str" && v) interp().host.setAttr(obj, n.v, v, a.span);
      return NONE;
    }),
    // dir(torch.nn.functional): `"silu" in dir(F)` is true for a function the reader knows and
    // undecidable otherwise (the list itself is not known; see compareOp).
    dir: builtin("dir", (a) => {
      const m = a.args[0];
      return m?.t === "builtin" && m.name === "torch.nn.functional" && m.attrs
        ? { t: "builtin", name: "dir()", call: () => unknown("a list is not callable"), attrs: m.attrs }
        : unknown("dir() is not followed");
    }),
    // An instance's own attributes, its children and its class's (methods included); of anything else
    // (a tensor, a namespace) the answer is not known here, so it is not guessed False.
    hasattr: builtin("hasattr", (a) => {
      const v = a.args[0];
      const n = a.args[1];
      if (n?.t !== "str") return unknown("hasattr with a name that is not known");
      if (v?.t === "none") return bool(false);
      if (v?.t !== "object") return unknown(`hasattr of ${v === undefined ? "nothing" : describe(v)}`);
      return bool(
        v.attrs.has(n.v) || (v.children?.has(n.v) ?? false) || lookupClassAttr(v.cls, n.v) !== undefined,
      );
    }),
    partial: builtin("partial", (a) => makePartial(a, (fn, pa) => interp().call(fn, pa))),
  };
  b["type"] = typeBuiltin((n) => b[n]);
  return new Map(Object.entries(b));
}

function makeDict(a: CallArgs): PyValue {
  const entries = new Map<string, { key: PyValue; value: PyValue }>();
  const src = a.args[0];
  if (src?.t === "dict") for (const [k, v] of src.entries) entries.set(k, v);
  else if (src) {
    for (const pair of iterate(src) ?? []) {
      const kv = iterate(pair);
      const key = kv?.[0];
      const dk = key ? dictKey(key) : undefined;
      if (key && dk) entries.set(dk, { key, value: kv?.[1] ?? NONE });
    }
  }
  for (const [k, v] of a.kwargs) entries.set(`s:${k}`, { key: str(k), value: v });
  return { t: "dict", entries };
}

const INT_TEXT = /^\s*[+-]?\d+(_\d+)*\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function extreme(a: CallArgs, f: (...xs: number[]) => number): PyValue {
  const items = a.args.length === 1 ? iterate(a.args[0] ?? NONE) : a.args;
  const xs = items?.map(num);
  if (!xs || xs.length === 0 || xs.some((x) => x === undefined)) return unknown("min/max of non-numbers");
  const isFloat = (items ?? []).some((v) => v.t === "float");
  const r = f(...(xs as number[]));
  return isFloat ? { t: "float", v: r } : int(r);
}

export function mathModule(): PyBuiltin {
  const fns: Record<string, (xs: number[]) => number> = {
    ceil: (x) => Math.ceil(x[0] ?? 0),
    floor: (x) => Math.floor(x[0] ?? 0),
    sqrt: (x) => Math.sqrt(x[0] ?? 0),
    log: (x) => Math.log(x[0] ?? 1),
    log2: (x) => Math.log2(x[0] ?? 1),
    exp: (x) => Math.exp(x[0] ?? 0),
    prod: (x) => x.reduce((p, q) => p * q, 1),
    gcd: (x) => {
      let [p = 0, q = 0] = x;
      while (q) [p, q] = [q, p % q];
      return p;
    },
  };
  return builtin(
    "math",
    () => unknown("math is a module"),
    (n) => {
      if (n === "pi") return { t: "float", v: Math.PI };
      if (n === "inf") return { t: "float", v: Infinity };
      const f = fns[n];
      if (!f) return undefined;
      return builtin(`math.${n}`, (a) => {
        const xs = (a.args.length === 1 && iterate(a.args[0] ?? NONE)) || a.args;
        const ns = xs.map(num);
        if (ns.some((x) => x === undefined)) return unknown(`math.${n} of non-numbers`);
        const r = f(ns as number[]);
        return ["ceil", "floor", "prod", "gcd"].includes(n) && Number.isInteger(r)
          ? int(r)
          : { t: "float", v: r };
      });
    },
  );
}
