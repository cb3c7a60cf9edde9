/**
 * `@dataclass` config classes (torchvision's `_MBConvConfig`, `Weights`): the generated
 * `__init__` is written as the AST Python would generate, so the interpreter runs it like any
 * other method (positional and keyword arguments, defaults from the class body).
 */
import type { ClassDef, Expr, FunctionDef, Param, Stmt } from "./ast";
import type { PyClass } from "./values";

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
  return { name: "__init__", params, body, decorators: [], span, nameSpan: cls.def?.nameSpan ?? span };
}
