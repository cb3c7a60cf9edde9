/**
 * The abstract interpreter: runs module-level code, __init__ and forward over
 * the AST with concrete Python values and symbolic tensors. Bounded: a step
 * budget and a recursion limit turn runaway code into an `unknown`, never a hang.
 */
import type { ClassDef, Comprehension, Expr, FunctionDef, Span, Stmt } from "./ast";
import { binaryOp, compareOp, unaryOp } from "./operators";
import { parsePython } from "./parse";
import {
  NONE, Scope, bool, describe, dictKey, int, iterate, str, truthy, tuple, unknown,
  type CallArgs, type PyClass, type PyFunction, type PyObject, type PyValue,
} from "./values";

export class InterpError extends Error {}
/** Out of steps or too deep: stops everything, never swallowed by a statement. */
export class BudgetError extends InterpError {}

type Completion = { k: "normal" } | { k: "return"; v: PyValue } | { k: "break" } | { k: "continue" };
const NORMAL: Completion = { k: "normal" };

export interface Host {
  /** Call anything callable that is not a plain Python function (classes, builtins, modules). */
  call(fn: PyValue, a: CallArgs, interp: Interpreter): PyValue;
  getAttr(obj: PyValue, name: string, interp: Interpreter, span: Span): PyValue;
  setAttr(obj: PyValue, name: string, value: PyValue, span: Span): void;
  getItem(obj: PyValue, index: PyValue, span: Span, indexExpr: Expr): PyValue;
  setItem(obj: PyValue, index: PyValue, value: PyValue): void;
  binary(op: string, a: PyValue, b: PyValue, span: Span): PyValue | undefined;
  importModule(name: string, level: number): PyValue;
}

export class Interpreter {
  private steps = 0;
  private depth = 0;
  /** The class whose method is running (for zero-argument super()). */
  readonly classStack: PyClass[] = [];
  readonly selfStack: PyValue[] = [];

  /** Observes the value each assignment / return statement produced (for per-line hints). */
  onStatement: ((span: Span, value: PyValue) => void) | undefined;

  constructor(
    readonly host: Host,
    /** The source text of a span, for f-strings (their parts are re-parsed from it). */
    private readonly textOf: (span: Span) => string = () => "",
    private readonly maxSteps = 2_000_000,
  ) {}

  private tick(): void {
    if (++this.steps > this.maxSteps) throw new BudgetError("the code does too much work to follow (step budget exhausted)");
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
    switch (s.kind) {
      case "Expr":
        // A statement whose value is unused (logging, weight init) must not stop the model.
        try {
          this.eval(s.value, scope);
        } catch (e) {
          if (!(e instanceof InterpError) || e instanceof BudgetError) throw e;
        }
        return NORMAL;
      case "Assign": {
        const v = this.evalOrUnknown(s.value, scope);
        for (const t of s.targets) this.assign(t, v, scope);
        this.onStatement?.(s.span, v);
        return NORMAL;
      }
      case "AnnAssign":
        if (s.value) this.assign(s.target, this.eval(s.value, scope), scope);
        return NORMAL;
      case "AugAssign": {
        const cur = this.eval(s.target, scope);
        const v = this.binary(s.op, cur, this.eval(s.value, scope), s.span, true);
        this.assign(s.target, v, scope);
        this.onStatement?.(s.span, v);
        return NORMAL;
      }
      case "Return": {
        const v = s.value ? this.evalOrUnknown(s.value, scope) : NONE;
        this.onStatement?.(s.span, v);
        return { k: "return", v };
      }
      case "If": {
        const t = truthy(this.eval(s.test, scope));
        if (t === undefined) throw new InterpError(`cannot decide the condition at offset ${s.test.span.from}`);
        return this.execBlock(t ? s.body : s.orelse, scope);
      }
      case "For": {
        const items = iterate(this.eval(s.iter, scope));
        if (!items) throw new InterpError("cannot iterate over this value");
        for (const item of items) {
          this.assign(s.target, item, scope);
          const c = this.execBlock(s.body, scope);
          if (c.k === "break") return NORMAL;
          if (c.k === "return") return c;
        }
        return this.execBlock(s.orelse, scope);
      }
      case "While": {
        for (let i = 0; ; i++) {
          const t = truthy(this.eval(s.test, scope));
          if (t === undefined) throw new InterpError("cannot decide a while condition");
          if (!t) return NORMAL;
          const c = this.execBlock(s.body, scope);
          if (c.k === "break") return NORMAL;
          if (c.k === "return") return c;
        }
      }
      case "FunctionDef":
        scope.set(s.def.name, this.makeFunction(s.def, scope));
        return NORMAL;
      case "ClassDef":
        scope.set(s.def.name, this.makeClass(s.def, scope));
        return NORMAL;
      case "Import":
        for (const n of s.names) {
          if (n.asname) scope.set(n.asname, this.host.importModule(n.name, 0));
          else scope.set(n.name.split(".")[0] ?? n.name, this.host.importModule(n.name.split(".")[0] ?? n.name, 0));
        }
        return NORMAL;
      case "ImportFrom": {
        const mod = this.host.importModule(s.module, s.level);
        for (const n of s.names) {
          if (n.name === "*") continue;
          const v = this.host.getAttr(mod, n.name, this, s.span);
          const resolved = v.t === "unknown" ? this.host.importModule(`${s.module}.${n.name}`, s.level) : v;
          // `from collections import OrderedDict` keeps the interpreter's own builtin.
          if (resolved.t === "unknown" && scope.has(n.asname ?? n.name)) continue;
          scope.set(n.asname ?? n.name, resolved);
        }
        return NORMAL;
      }
      case "Block":
        return this.execBlock(s.body, scope);
      case "Break":
        return { k: "break" };
      case "Continue":
        return { k: "continue" };
      case "Raise":
        throw new InterpError("the code raises an exception here");
      default:
        return NORMAL;
    }
  }

  /** An expression that cannot be followed becomes an unknown value carrying the reason. */
  private evalOrUnknown(e: Expr, scope: Scope): PyValue {
    try {
      return this.eval(e, scope);
    } catch (err) {
      if (!(err instanceof InterpError) || err instanceof BudgetError) throw err;
      return unknown(err.message);
    }
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
        const isStatic = s.def.decorators.some((d) => d.kind === "Name" && (d.id === "staticmethod" || d.id === "classmethod"));
        const f = this.makeFunction(s.def, scope, cls);
        cls.attrs.set(s.def.name, isStatic ? { ...f, bound: NONE } : f);
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
        for (const t of s.targets) if (t.kind === "Name") cls.attrs.set(t.id, body.get(t.id) ?? unknown("class attribute"));
      if (s.kind === "AnnAssign" && s.target.kind === "Name" && s.value) cls.attrs.set(s.target.id, body.get(s.target.id) ?? unknown("class attribute"));
    }
    return cls;
  }

  assign(target: Expr, v: PyValue, scope: Scope): void {
    switch (target.kind) {
      case "Name":
        scope.set(target.id, v);
        return;
      case "Tuple":
      case "List": {
        const items = iterate(v);
        const star = target.elts.findIndex((e) => e.kind === "Starred");
        if (!items) {
          for (const e of target.elts) this.assign(e.kind === "Starred" ? e.value : e, unknown(`cannot unpack ${describe(v)}`), scope);
          return;
        }
        if (star < 0) {
          if (items.length !== target.elts.length) throw new InterpError(`cannot unpack ${items.length} values into ${target.elts.length}`);
          target.elts.forEach((e, i) => this.assign(e, items[i] ?? NONE, scope));
          return;
        }
        const after = target.elts.length - star - 1;
        target.elts.forEach((e, i) => {
          if (i < star) this.assign(e, items[i] ?? NONE, scope);
          else if (i === star && e.kind === "Starred") this.assign(e.value, { t: "list", items: items.slice(star, items.length - after) }, scope);
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
    switch (e.kind) {
      case "Name": {
        const v = scope.get(e.id);
        return v ?? unknown(`name "${e.id}" is not defined here`);
      }
      case "Num":
        return e.isFloat ? { t: "float", v: e.value } : int(e.value);
      case "Str":
        return str(e.value);
      case "FString":
        return this.formatString(e.span, scope);
      case "Bool":
        return bool(e.value);
      case "NoneLit":
        return NONE;
      case "EllipsisLit":
        return { t: "unknown", reason: "..." };
      case "Attribute":
        return this.host.getAttr(this.eval(e.value, scope), e.attr, this, e.span);
      case "Subscript":
        return this.host.getItem(this.eval(e.value, scope), this.eval(e.index, scope), e.span, e.index);
      case "Slice": {
        const part = (x: Expr | undefined) => (x ? this.eval(x, scope) : NONE);
        return { t: "builtin", name: "slice", call: () => NONE, attrs: (n) => (n === "start" ? part(e.lower) : n === "stop" ? part(e.upper) : n === "step" ? part(e.step) : undefined) };
      }
      case "Call":
        return this.evalCall(e, scope);
      case "BinOp":
        return this.binary(e.op, this.eval(e.left, scope), this.eval(e.right, scope), e.span);
      case "UnaryOp":
        return unaryOp(e.op, this.eval(e.operand, scope), (x) => this.host.binary("neg", x, NONE, e.span));
      case "BoolOp": {
        let last: PyValue = NONE;
        for (const x of e.values) {
          last = this.eval(x, scope);
          const t = truthy(last);
          if (t === undefined) return unknown("undecidable boolean");
          if (e.op === "and" ? !t : t) return last;
        }
        return last;
      }
      case "Compare": {
        let left = this.eval(e.left, scope);
        let result: PyValue = bool(true);
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.comparators[i] as Expr, scope);
          result = compareOp(e.ops[i] ?? "==", left, right);
          if (truthy(result) !== true) return result;
          left = right;
        }
        return result;
      }
      case "IfExp": {
        const t = truthy(this.eval(e.test, scope));
        if (t === undefined) return unknown("undecidable condition");
        return this.eval(t ? e.body : e.orelse, scope);
      }
      case "Tuple":
        return tuple(this.evalElements(e.elts, scope));
      case "List":
        return { t: "list", items: this.evalElements(e.elts, scope) };
      case "Dict": {
        const entries = new Map<string, { key: PyValue; value: PyValue }>();
        e.keys.forEach((k, i) => {
          const value = this.eval(e.values[i] as Expr, scope);
          if (k === null) {
            if (value.t === "dict") for (const [kk, vv] of value.entries) entries.set(kk, vv);
            return;
          }
          const key = this.eval(k, scope);
          const dk = dictKey(key);
          if (dk) entries.set(dk, { key, value });
        });
        return { t: "dict", entries };
      }
      case "ListComp":
        return { t: "list", items: this.comprehension(e.generators, scope, (s) => [this.eval(e.elt, s)]) };
      case "DictComp": {
        const entries = new Map<string, { key: PyValue; value: PyValue }>();
        this.comprehension(e.generators, scope, (s) => {
          const key = this.eval(e.key, s);
          const dk = dictKey(key);
          if (dk) entries.set(dk, { key, value: this.eval(e.value, s) });
          return [];
        });
        return { t: "dict", entries };
      }
      case "Lambda":
        return { t: "func", def: { lambda: true, params: e.params, body: e.body, span: e.span }, closure: scope };
      case "Starred":
        return this.eval(e.value, scope);
      default:
        {
        const x = e as Expr;
        return unknown(`unsupported syntax (${x.kind === "Unsupported" ? x.what : x.kind})`);
      }
    }
  }

  /** f"conv{i}" → "conv3": each {expression} is parsed from the source text and evaluated. */
  private formatString(span: Span, scope: Scope): PyValue {
    const raw = this.textOf(span);
    const m = /^[a-zA-Z]*("""|'''|"|')([\s\S]*)\1$/.exec(raw);
    if (!m) return unknown("f-string");
    const body = m[2] ?? "";
    let out = "";
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if ((ch === "{" || ch === "}") && body[i + 1] === ch) {
        out += ch;
        i++;
      } else if (ch === "{") {
        const end = body.indexOf("}", i);
        if (end < 0) return unknown("f-string");
        const expr = (body.slice(i + 1, end).split(/![rsa]|:(?![^[]*\])/)[0] ?? "").trim();
        const stmt = parseExpression(expr);
        if (!stmt) return unknown("f-string");
        const v = this.eval(stmt, scope);
        if (v.t === "unknown") return v;
        out += v.t === "str" ? v.v : describe(v);
        i = end;
      } else out += ch;
    }
    return str(out);
  }

  private evalElements(elts: readonly Expr[], scope: Scope): PyValue[] {
    const out: PyValue[] = [];
    for (const x of elts) {
      if (x.kind === "Starred") out.push(...(iterate(this.eval(x.value, scope)) ?? [unknown("cannot unpack")]));
      else out.push(this.eval(x, scope));
    }
    return out;
  }

  private comprehension(gens: readonly Comprehension[], scope: Scope, body: (s: Scope) => PyValue[]): PyValue[] {
    const out: PyValue[] = [];
    const inner = new Scope(scope);
    const loop = (i: number): void => {
      const g = gens[i];
      if (!g) {
        out.push(...body(inner));
        return;
      }
      const items = iterate(this.eval(g.iter, inner));
      if (!items) throw new InterpError("cannot iterate in a comprehension");
      for (const item of items) {
        this.assign(g.target, item, inner);
        if (g.ifs.every((c) => truthy(this.eval(c, inner)) === true)) loop(i + 1);
      }
    };
    loop(0);
    return out;
  }

  evalCall(e: Extract<Expr, { kind: "Call" }>, scope: Scope): PyValue {
    const fn = this.eval(e.func, scope);
    const args: PyValue[] = [];
    const argSpans: Span[] = [];
    const kwargs = new Map<string, PyValue>();
    const kwargSpans = new Map<string, Span>();
    for (const a of e.args) {
      const v = this.eval(a.value, scope);
      if (a.star === "*") {
        const items = iterate(v) ?? [unknown("cannot unpack *args")];
        for (const it of items) {
          args.push(it);
          argSpans.push(a.value.span);
        }
      } else if (a.star === "**") {
        if (v.t === "dict") for (const { key, value } of v.entries.values()) if (key.t === "str") kwargs.set(key.v, value);
      } else if (a.name !== undefined) {
        kwargs.set(a.name, v);
        kwargSpans.set(a.name, a.value.span);
      } else {
        args.push(v);
        argSpans.push(a.value.span);
      }
    }
    return this.call(fn, { args, kwargs, argSpans, kwargSpans, span: e.span });
  }

  call(fn: PyValue, a: CallArgs): PyValue {
    if (fn.t === "func") return this.callFunction(fn, a);
    if (fn.t === "unknown") return fn;
    return this.host.call(fn, a, this);
  }

  callFunction(fn: PyFunction, a: CallArgs): PyValue {
    if (++this.depth > 60) {
      this.depth--;
      throw new BudgetError("recursion too deep to follow");
    }
    try {
      const scope = new Scope(fn.closure);
      const params = fn.def.params;
      const positional = fn.bound !== undefined && fn.bound.t !== "none" ? [fn.bound, ...a.args] : [...a.args];
      let pi = 0;
      for (const p of params) {
        if (p.star === "*") {
          scope.set(p.name, tuple(positional.slice(pi)));
          pi = positional.length;
        } else if (p.star === "**") {
          const entries = new Map<string, { key: PyValue; value: PyValue }>();
          for (const [k, v] of a.kwargs) if (!params.some((q) => q.name === k)) entries.set(`s:${k}`, { key: str(k), value: v });
          scope.set(p.name, { t: "dict", entries });
        } else if (!p.keywordOnly && pi < positional.length) scope.set(p.name, positional[pi++] as PyValue);
        else if (a.kwargs.has(p.name)) scope.set(p.name, a.kwargs.get(p.name) as PyValue);
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

/** Method resolution order (depth-first, left to right, duplicates removed: enough for model code). */
export function mro(cls: PyClass): PyClass[] {
  const out: PyClass[] = [];
  const visit = (c: PyClass) => {
    if (out.includes(c)) return;
    out.push(c);
    c.bases.forEach(visit);
  };
  visit(cls);
  return out;
}

export function lookupClassAttr(cls: PyClass, name: string): { value: PyValue; owner: PyClass } | undefined {
  for (const c of mro(cls)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return { value: v, owner: c };
  }
  return undefined;
}

export function isModuleClass(cls: PyClass): boolean {
  return mro(cls).some((c) => c.nn !== undefined);
}

export type { PyObject };

function parseExpression(text: string): Expr | undefined {
  const s = parsePython(text).body[0];
  return s?.kind === "Expr" ? s.value : undefined;
}
