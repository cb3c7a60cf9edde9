/**
 * The abstract interpreter: runs module-level code, __init__ and forward over
 * the AST with concrete Python values and symbolic tensors. Bounded: a step
 * budget and a recursion limit turn runaway code into an `unknown`, never a hang.
 * Assignment, classes and calls live here; statements in execStatement.ts, expressions in
 * evalExpression.ts.
 */
import type { ClassDef, Expr, FunctionDef, Span, Stmt } from "./ast";
import { evalExpression } from "./evalExpression";
import { NORMAL, execStatement, type Completion } from "./execStatement";
import { BudgetError, InterpError } from "./interpErrors";
import { dataclassInit, isDataclass } from "./dataclasses";
import { binaryOp } from "./operators";
import {
  NONE,
  Scope,
  describe,
  iterate,
  str,
  tuple,
  unknown,
  type CallArgs,
  type PyClass,
  type PyFunction,
  type PyValue,
} from "./values";
import { asMethod } from "./pyClasses";

export interface Host {
  /** Call anything callable that is not a plain Python function (classes, builtins, modules). */
  call(fn: PyValue, a: CallArgs, interp: Interpreter): PyValue;
  getAttr(obj: PyValue, name: string, interp: Interpreter, span: Span): PyValue;
  setAttr(obj: PyValue, name: string, value: PyValue, span: Span): void;
  getItem(obj: PyValue, index: PyValue, span: Span, indexExpr: Expr): PyValue;
  setItem(obj: PyValue, index: PyValue, value: PyValue): void;
  /** `del obj[index]`. */
  delItem(obj: PyValue, index: PyValue): void;
  binary(op: string, a: PyValue, b: PyValue, span: Span): PyValue | undefined;
  /** `importer`: the file running the import statement (relative imports start there). */
  importModule(name: string, level: number, importer?: string): PyValue;
  /** `from mod import *`: binds the module's public names in the scope (lazily). */
  importStar?(mod: PyValue, scope: Scope): void;
}

export class Interpreter {
  private steps = 0;
  private depth = 0;
  /** The class whose method is running (for zero-argument super()). */
  readonly classStack: PyClass[] = [];
  readonly selfStack: PyValue[] = [];
  /** Spans of the calls being evaluated, outermost first (where a model is built from). */
  readonly callSpans: Span[] = [];

  /**
   * Observes calls of values that could not be followed (a model whose building failed, called on a tensor).
   */
  onUnknownCall: ((reason: string, a: CallArgs) => void) | undefined;

  /** Observes the value each assignment / return statement produced (for per-line hints). */
  onStatement: ((span: Span, value: PyValue) => void) | undefined;

  /** Observes a variable (or parameter) bound to a value, for the names values are shown by. */
  onBind: ((name: string, value: PyValue) => void) | undefined;

  constructor(
    readonly host: Host,
    /** The source text of a span, for f-strings (their parts are re-parsed from it). */
    readonly textOf: (span: Span) => string = () => "",
    private readonly maxSteps = 2_000_000,
  ) {}

  private tick(): void {
    if (++this.steps > this.maxSteps)
      throw new BudgetError("the code does too much work to follow (step budget exhausted)");
  }

  execBlock(body: readonly Stmt[], scope: Scope): Completion {
    for (const s of body) {
      const c = this.exec(s, scope);
      if (c.k !== "normal") return c;
    }
    return NORMAL;
  }

  exec(s: Stmt, scope: Scope): Completion {
    this.tick();
    return execStatement(this, s, scope);
  }

  makeFunction(def: FunctionDef, scope: Scope, owner?: PyClass): PyFunction {
    return { t: "func", def, closure: scope, ...(owner ? { owner } : {}) };
  }

  makeClass(def: ClassDef, scope: Scope): PyClass {
    const bases = def.bases.map((b) => this.eval(b, scope)).filter((b): b is PyClass => b.t === "class");
    const cls: PyClass = { t: "class", name: def.name, bases, attrs: new Map(), def };
    const body = new Scope(scope);
    for (const s of def.body) {
      if (s.kind === "FunctionDef") {
        const f = asMethod(this.makeFunction(s.def, scope, cls), s.def.decorators);
        if (f) cls.attrs.set(s.def.name, f);
      } else {
        try {
          this.exec(s, body);
        } catch (e) {
          if (!(e instanceof InterpError)) throw e;
        }
      }
    }
    // Class-level assignments (expansion = 4) become class attributes.
    for (const s of def.body) {
      if (s.kind === "Assign")
        for (const t of s.targets)
          if (t.kind === "Name") cls.attrs.set(t.id, body.get(t.id) ?? unknown("class attribute"));
      if (s.kind === "AnnAssign" && s.target.kind === "Name" && s.value)
        cls.attrs.set(s.target.id, body.get(s.target.id) ?? unknown("class attribute"));
      // A nested class (Outer.Block) is a class attribute too.
      if (s.kind === "ClassDef")
        cls.attrs.set(
          s.def.name,
          body.get(s.def.name) ?? unknown(`class ${s.def.name} could not be defined`),
        );
    }
    if (isDataclass(def) && !cls.attrs.has("__init__"))
      cls.attrs.set("__init__", this.makeFunction(dataclassInit(cls), scope, cls));
    return cls;
  }

  assign(target: Expr, v: PyValue, scope: Scope): void {
    switch (target.kind) {
      case "Name":
        scope.set(target.id, v);
        this.onBind?.(target.id, v);
        return;
      case "Tuple":
      case "List": {
        const items = iterate(v);
        const star = target.elts.findIndex((e) => e.kind === "Starred");
        if (!items) {
          for (const e of target.elts)
            this.assign(e.kind === "Starred" ? e.value : e, unknown(`cannot unpack ${describe(v)}`), scope);
          return;
        }
        if (star < 0) {
          if (items.length !== target.elts.length)
            throw new InterpError(`cannot unpack ${items.length} values into ${target.elts.length}`);
          target.elts.forEach((e, i) => this.assign(e, items[i] ?? NONE, scope));
          return;
        }
        const after = target.elts.length - star - 1;
        target.elts.forEach((e, i) => {
          if (i < star) this.assign(e, items[i] ?? NONE, scope);
          else if (i === star && e.kind === "Starred")
            this.assign(e.value, { t: "list", items: items.slice(star, items.length - after) }, scope);
          else this.assign(e, items[items.length - (target.elts.length - i)] ?? NONE, scope);
        });
        return;
      }
      case "Attribute":
        this.host.setAttr(this.eval(target.value, scope), target.attr, v, target.span);
        return;
      case "Subscript":
        this.host.setItem(this.eval(target.value, scope), this.eval(target.index, scope), v);
        return;
      default:
        return;
    }
  }

  binary(op: string, a: PyValue, b: PyValue, span: Span, inPlace = false): PyValue {
    return this.host.binary(inPlace ? `${op}=` : op, a, b, span) ?? binaryOp(op, a, b);
  }

  eval(e: Expr, scope: Scope): PyValue {
    this.tick();
    return evalExpression(this, e, scope);
  }
  call(fn: PyValue, a: CallArgs): PyValue {
    if (fn.t === "unknown") {
      this.onUnknownCall?.(fn.reason, a);
      return fn;
    }
    this.callSpans.push(a.span);
    try {
      return fn.t === "func" ? this.callFunction(fn, a) : this.host.call(fn, a, this);
    } finally {
      this.callSpans.pop();
    }
  }

  private bind(scope: Scope, name: string, v: PyValue | undefined): void {
    scope.set(name, v ?? NONE);
    this.onBind?.(name, v ?? NONE);
  }

  callFunction(fn: PyFunction, a: CallArgs): PyValue {
    if (++this.depth > 60) {
      this.depth--;
      throw new BudgetError("recursion too deep to follow");
    }
    try {
      const scope = new Scope(fn.closure);
      const params = fn.def.params;
      const positional =
        fn.bound !== undefined && fn.bound.t !== "none" ? [fn.bound, ...a.args] : [...a.args];
      let pi = 0;
      for (const p of params) {
        if (p.star === "*") {
          scope.set(p.name, tuple(positional.slice(pi)));
          pi = positional.length;
        } else if (p.star === "**") {
          const entries = new Map<string, { key: PyValue; value: PyValue }>();
          for (const [k, v] of a.kwargs)
            if (!params.some((q) => q.name === k)) entries.set(`s:${k}`, { key: str(k), value: v });
          scope.set(p.name, { t: "dict", entries });
        } else if (!p.keywordOnly && pi < positional.length) this.bind(scope, p.name, positional[pi++]);
        else if (a.kwargs.has(p.name)) this.bind(scope, p.name, a.kwargs.get(p.name));
        else if (p.default) scope.set(p.name, this.eval(p.default, fn.closure));
        else scope.set(p.name, unknown(`argument "${p.name}" was not given`));
      }
      if ("lambda" in fn.def) return this.eval(fn.def.body, scope);
      if (fn.owner) this.classStack.push(fn.owner);
      if (fn.bound) this.selfStack.push(fn.bound);
      try {
        const c = this.execBlock(fn.def.body, scope);
        return c.k === "return" ? c.v : NONE;
      } finally {
        if (fn.owner) this.classStack.pop();
        if (fn.bound) this.selfStack.pop();
      }
    } finally {
      this.depth--;
    }
  }
}
