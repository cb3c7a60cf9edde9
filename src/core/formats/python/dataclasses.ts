/**
 * `@dataclass` config classes (torchvision's `_MBConvConfig`, `Weights`): the generated
 * `__init__` is written as the AST Python would generate, so the interpreter runs it like any
 * other method (positional and keyword arguments, defaults from the class body).
 */
import type { ClassDef, Expr, FunctionDef, Param, Stmt } from "./ast";
import { builtin } from "./builtins";
import type { Interpreter } from "./interpreter";
import { str, unknown, type PyClass, type PyValue } from "./values";

export function isDataclass(def: ClassDef): boolean {
  return def.decorators.some((d) => {
    const target = d.kind === "Call" ? d.func : d;
    return (
      (target.kind === "Name" && target.id === "dataclass") ||
      (target.kind === "Attribute" && target.attr === "dataclass")
    );
  });
}

/** Annotated fields in definition order, base classes' first (as dataclasses collects them). */
function fields(cls: PyClass): { name: string; value?: Expr }[] {
  const out = new Map<string, Expr | undefined>();
  for (const base of [...cls.bases].reverse())
    if (base.def && isDataclass(base.def)) for (const f of fields(base)) out.set(f.name, f.value);
  for (const s of cls.def?.body ?? [])
    if (s.kind === "AnnAssign" && s.target.kind === "Name") out.set(s.target.id, s.value);
  return [...out].map(([name, value]) => (value ? { name, value } : { name }));
}

/** `def __init__(self, a, b=default): self.a = a; self.b = b`, positioned at the class. */
export function dataclassInit(cls: PyClass): FunctionDef {
  const span = cls.def?.span ?? { from: 0, to: 0 };
  const name = (id: string): Expr => ({ kind: "Name", id, span });
  const params: Param[] = [{ name: "self" }];
  const body: Stmt[] = [];
  for (const f of fields(cls)) {
    // A `field(default_factory=…)` default is evaluated like any expression: unknown when not followed.
    params.push(f.value ? { name: f.name, default: f.value } : { name: f.name });
    body.push({
      kind: "Assign",
      targets: [{ kind: "Attribute", value: name("self"), attr: f.name, span }],
      value: name(f.name),
      span,
    });
  }
  // The generated __init__ ends by calling __post_init__ when the class or a base defines one.
  if (hasPostInit(cls)) {
    const post: Expr = { kind: "Attribute", value: name("self"), attr: "__post_init__", span };
    body.push({ kind: "Expr", value: { kind: "Call", func: post, args: [], span }, span });
  }
  return { name: "__init__", params, body, decorators: [], span, nameSpan: cls.def?.nameSpan ?? span };
}

function hasPostInit(cls: PyClass): boolean {
  const own = cls.def?.body.some((s) => s.kind === "FunctionDef" && s.def.name === "__post_init__");
  return own === true || cls.bases.some(hasPostInit);
}

const isDataclassObject = (v: PyValue): v is Extract<PyValue, { t: "object" }> =>
  v.t === "object" && v.cls.def !== undefined && isDataclass(v.cls.def);

/** asdict: fields to a dict, recursing into dataclasses, lists and tuples as dataclasses.asdict does. */
function asdict(v: PyValue): PyValue {
  if (isDataclassObject(v)) {
    const entries = new Map<string, { key: PyValue; value: PyValue }>();
    for (const f of fields(v.cls))
      entries.set(`s:${f.name}`, { key: str(f.name), value: asdict(v.attrs.get(f.name) ?? unknown(f.name)) });
    return { t: "dict", entries };
  }
  if (v.t === "list" || v.t === "tuple") return { t: v.t, items: v.items.map(asdict) };
  return v;
}

/** The dataclasses module: `dataclass` (the class is known by its decorator), `replace`, `asdict`. */
export function dataclassesModule(interp: () => Interpreter): PyValue {
  const members: Record<string, PyValue> = {
    dataclass: builtin(
      "dataclass",
      (a) => a.args[0] ?? builtin("dataclass", (b) => b.args[0] ?? unknown("dataclass")),
    ),
    asdict: builtin("asdict", (a) => {
      const v = a.args[0];
      return v && isDataclassObject(v) ? asdict(v) : unknown("asdict of a value that is not a dataclass");
    }),
    // replace(obj, **changes) builds a new object through __init__ (and __post_init__), as Python does.
    replace: builtin("replace", (a) => {
      const v = a.args[0];
      if (!v || !isDataclassObject(v))
        return unknown("dataclasses.replace of a value that is not a dataclass");
      const kwargs = new Map<string, PyValue>();
      for (const f of fields(v.cls)) kwargs.set(f.name, v.attrs.get(f.name) ?? unknown(f.name));
      for (const [k, x] of a.kwargs) kwargs.set(k, x);
      return interp().call(v.cls, { ...a, args: [], kwargs, kwargSpans: new Map() });
    }),
  };
  return builtin(
    "dataclasses",
    () => unknown("dataclasses is a module"),
    (n) => members[n],
  );
}
