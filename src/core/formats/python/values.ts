/**
 * Values of the abstract Python interpreter. Numbers, strings and containers
 * are concrete; tensors are symbolic (an IR value and its inferred shape);
 * whatever the interpreter cannot follow is `unknown` with a reason, which
 * flows on instead of a guess.
 */
import type { ValueState } from "../../ops/types";
import type { ClassDef, Expr, FunctionDef, Span } from "./ast";

export type PyValue =
  | { readonly t: "none" }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "int"; readonly v: number }
  | { readonly t: "float"; readonly v: number }
  | { readonly t: "str"; readonly v: string }
  /** A dimension that is a symbol (e.g. batch "B"), as x.size(0) returns for a symbolic input. */
  | { readonly t: "sym"; readonly v: string }
  | { readonly t: "tuple"; readonly items: readonly PyValue[] }
  | { readonly t: "list"; readonly items: PyValue[] }
  | { readonly t: "dict"; readonly entries: Map<string, { key: PyValue; value: PyValue }> }
  | PyFunction
  | PyBuiltin
  | PyClass
  | PyObject
  | PyTensor
  | { readonly t: "unknown"; readonly reason: string };

export interface PyFunction {
  readonly t: "func";
  readonly def:
    | FunctionDef
    | {
        readonly lambda: true;
        readonly params: FunctionDef["params"];
        readonly body: Expr;
        readonly span: Span;
      };
  readonly closure: Scope;
  readonly bound?: PyValue;
  /** The class that defines it (for super()). */
  readonly owner?: PyClass;
  /** A @classmethod: bound to the class when read from the class or an instance. */
  readonly classmethod?: boolean;
  /** A @property: read from an instance, it is called on it. */
  readonly property?: boolean;
}

export interface CallArgs {
  readonly args: readonly PyValue[];
  readonly kwargs: ReadonlyMap<string, PyValue>;
  /** Spans of each positional and keyword argument (for quick fixes). */
  readonly argSpans: readonly Span[];
  readonly kwargSpans: ReadonlyMap<string, Span>;
  readonly span: Span;
}

export interface PyBuiltin {
  readonly t: "builtin";
  readonly name: string;
  readonly call: (a: CallArgs) => PyValue;
  readonly attrs?: (name: string) => PyValue | undefined;
  /** What iterating it gives, when it holds known values (a 1-D numpy array). */
  readonly items?: readonly PyValue[];
}

export interface PyClass {
  readonly t: "class";
  readonly name: string;
  readonly bases: readonly PyClass[];
  readonly attrs: Map<string, PyValue>;
  readonly def?: ClassDef;
  /**
   * Set for torch.nn classes: "Module", "Sequential", "ModuleList", "ModuleDict", or a leaf like "Conv2d".
   */
  readonly nn?: string;
}

/** A torch.nn leaf layer's constructor arguments, resolved. */
export interface LeafLayer {
  readonly type: string;
  readonly args: ReadonlyMap<string, PyValue>;
  /** Where the constructor call is, and each argument's span. */
  readonly call: CallArgs;
}

export interface PyObject {
  readonly t: "object";
  readonly cls: PyClass;
  readonly attrs: Map<string, PyValue>;
  /** For nn.Module instances: child modules in registration order (containers use "0", "1", …). */
  readonly children?: Map<string, PyObject>;
  /** Set for torch.nn leaf layers, and for subclasses of them once their super().__init__ ran. */
  leaf?: LeafLayer;
  /** Where the module was created (the assignment in __init__ for a leaf). */
  defSpan?: Span;
  /** Module path from the root model, set after construction. */
  path?: string;
  /**
   * Set for a module the analyser cannot follow (a torch.nn class with no table entry, a user
   * class whose construction failed): why. Calling it gives an unknown output with this reason,
   * and its parameters are an unknown part of the totals.
   */
  opaque?: string;
}

export interface PyTensor {
  readonly t: "tensor";
  readonly value: string;
  readonly state: ValueState;
}

export class Scope {
  private readonly vars = new Map<string, PyValue>();
  /** Names bound by imports, evaluated on first read (a module runs only when it is used). */
  private lazy: Map<string, () => PyValue> | undefined;
  constructor(
    readonly parent?: Scope,
    /** Set on a module's global scope: the file it runs (relative imports start there). */
    readonly file?: string,
  ) {}
  get(name: string): PyValue | undefined {
    const v = this.vars.get(name);
    if (v !== undefined) return v;
    const thunk = this.lazy?.get(name);
    if (thunk) {
      this.lazy?.delete(name);
      const forced = thunk();
      this.vars.set(name, forced);
      return forced;
    }
    return this.parent?.get(name);
  }
  set(name: string, v: PyValue): void {
    this.vars.set(name, v);
    this.lazy?.delete(name);
  }
  setLazy(name: string, thunk: () => PyValue): void {
    (this.lazy ??= new Map()).set(name, thunk);
    this.vars.delete(name);
  }
  has(name: string): boolean {
    return this.vars.has(name) || (this.lazy?.has(name) ?? false) || (this.parent?.has(name) ?? false);
  }
  /** Names bound in this scope itself (not its parents). */
  ownNames(): string[] {
    return [...this.vars.keys(), ...(this.lazy?.keys() ?? [])];
  }
  /** The file of the module this scope belongs to. */
  get filePath(): string | undefined {
    return this.file ?? this.parent?.filePath;
  }
}

export const NONE: PyValue = { t: "none" };
/**
 * Reasons nest ("applied to [? (…), ? (…)]"), and a loop can nest them again each pass: they are
 * cut to a readable length, so that describing one never grows without bound.
 */
const MAX_REASON = 400;
export const unknown = (reason: string): PyValue => ({
  t: "unknown",
  reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
});
export const int = (v: number): PyValue => ({ t: "int", v });
export const float = (v: number): PyValue => ({ t: "float", v });
export const str = (v: string): PyValue => ({ t: "str", v });
export const bool = (v: boolean): PyValue => ({ t: "bool", v });
export const tuple = (items: readonly PyValue[]): PyValue => ({ t: "tuple", items });

export function isNumber(v: PyValue): v is { t: "int" | "float" | "bool"; v: number | boolean } & PyValue {
  return v.t === "int" || v.t === "float" || v.t === "bool";
}

export function num(v: PyValue): number | undefined {
  if (v.t === "int" || v.t === "float") return v.v;
  if (v.t === "bool") return v.v ? 1 : 0;
  return undefined;
}

/**
 * An int where Python takes one through `__index__`: an int or bool, or a one-element integer tensor
 * whose value is known (`F.pad(x, [diff // 2, …])` with `diff = torch.tensor([h2 - h1])`).
 */
export function indexValue(v: PyValue): number | undefined {
  if (v.t === "int" || v.t === "bool") return num(v);
  if (v.t !== "tensor" || !/^u?int\d+$/.test(v.state.dtype)) return undefined;
  const x = v.state.value;
  return x?.length === 1 && typeof x[0] === "number" ? x[0] : undefined;
}

export function truthy(v: PyValue): boolean | undefined {
  switch (v.t) {
    case "none":
      return false;
    case "bool":
      return v.v;
    case "int":
    case "float":
      return v.v !== 0;
    case "str":
      return v.v !== "";
    case "tuple":
    case "list":
      return v.items.length > 0;
    case "dict":
      return v.entries.size > 0;
    case "unknown":
    case "sym":
    case "tensor": // bool(t) is t's one value (unknown) or an error (operators.ts tensorTruthError)
      return undefined;
    default:
      return true;
  }
}

/** Key used for dicts (str/int/tuple of those). */
export function dictKey(v: PyValue): string | undefined {
  if (v.t === "str") return `s:${v.v}`;
  if (v.t === "int" || v.t === "bool") return `i:${Number(v.v)}`;
  // 1.0 and 1 are the same key in Python; 0.5 is a key of its own (configs = {0.5: ..., 1: ...}).
  if (v.t === "float") return Number.isInteger(v.v) ? `i:${v.v}` : `f:${v.v}`;
  if (v.t === "tuple") {
    const parts = v.items.map(dictKey);
    return parts.every((p) => p !== undefined) ? `t:(${parts.join(",")})` : undefined;
  }
  return undefined;
}

export function iterate(v: PyValue): PyValue[] | undefined {
  if (v.t === "list" || v.t === "tuple") return [...v.items];
  if (v.t === "dict") return [...v.entries.values()].map((e) => e.key);
  if (v.t === "str") return [...v.v].map(str);
  if (v.t === "builtin" && v.items) return [...v.items];
  // An opaque container's modules are not known: iterating it must not look like zero modules.
  if (v.t === "object" && v.opaque !== undefined) return undefined;
  const kind = v.t === "object" && v.children ? containerKind(v.cls) : undefined;
  if (v.t === "object" && v.children && kind && kind !== "ModuleDict") return [...v.children.values()];
  if (v.t === "object" && v.children && kind === "ModuleDict") return [...v.children.keys()].map(str);
  return undefined;
}

/**
 * The torch.nn class a module class is or derives from, when it is iterable: Sequential,
 * ModuleList, ModuleDict, or a leaf (`class ASPPPooling(nn.Sequential)` iterates its layers).
 * A plain nn.Module is not iterable.
 */
export function containerKind(cls: PyClass): string | undefined {
  if (cls.nn) return cls.nn === "Module" ? undefined : cls.nn;
  for (const b of cls.bases) {
    const k = containerKind(b);
    if (k) return k;
  }
  return undefined;
}

/** A collection's first few items, then how many more (a long list is not spelled out). */
function describeItems(items: readonly PyValue[]): string {
  const shown = items.slice(0, 8).map(describe).join(", ");
  return items.length > 8 ? `${shown}, … ${items.length - 8} more` : shown;
}

export function describe(v: PyValue): string {
  switch (v.t) {
    case "int":
    case "float":
      return String(v.v);
    case "bool":
      return v.v ? "True" : "False";
    case "str":
      return JSON.stringify(v.v);
    case "sym":
      return v.v;
    case "none":
      return "None";
    case "tuple":
      return `(${describeItems(v.items)}${v.items.length === 1 ? "," : ""})`;
    case "list":
      return `[${describeItems(v.items)}]`;
    case "tensor":
      return `Tensor[${v.state.shape?.join("×") ?? "?"}]`;
    case "object":
      return `<${v.cls.name}>`;
    case "class":
      return `<class ${v.name}>`;
    case "unknown":
      return `? (${v.reason})`;
    default:
      return `<${v.t}>`;
  }
}
