/**
 * functools.partial: a callable that prepends its bound arguments. timm unbinds one
 * (`norm_layer.func`, `norm_layer.keywords`) to rebind it, so its fields are readable, and a
 * partial of a partial is one partial of the inner function, as CPython flattens it.
 */
import { iterate, str, unknown, type CallArgs, type PyBuiltin, type PyValue } from "./values";

/** The name of a functools.partial object (`isinstance(p, functools.partial)` is true for it). */
export const PARTIAL = "functools.partial";

/** `partial(fn, *args, **kwargs)`; `call` runs a callable with arguments. */
export function makePartial(a: CallArgs, call: (fn: PyValue, a: CallArgs) => PyValue): PyValue {
  let [fn, ...bound] = a.args;
  let kwargs = new Map(a.kwargs);
  if (!fn) return unknown("partial");
  if (fn.t === "builtin" && fn.name === PARTIAL) {
    const inner = fn.attrs?.("func");
    const args = iterate(fn.attrs?.("args") ?? { t: "none" });
    const kw = fn.attrs?.("keywords");
    if (!inner || !args || kw?.t !== "dict") return unknown("partial of a partial that is not known");
    const innerKw = [...kw.entries.values()].flatMap(({ key, value }) =>
      key.t === "str" ? [[key.v, value] as const] : [],
    );
    [fn, bound, kwargs] = [inner, [...args, ...bound], new Map([...innerKw, ...kwargs])];
  }
  const target = fn;
  const keywords: PyValue = {
    t: "dict",
    entries: new Map([...kwargs].map(([k, v]) => [`s:${k}`, { key: str(k), value: v }])),
  };
  const fields: Record<string, PyValue> = { func: target, args: { t: "tuple", items: bound }, keywords };
  const p: PyBuiltin = {
    t: "builtin",
    name: PARTIAL,
    call: (b2) =>
      call(target, { ...b2, args: [...bound, ...b2.args], kwargs: new Map([...kwargs, ...b2.kwargs]) }),
    attrs: (n) => fields[n],
  };
  return p;
}
