/**
 * Expression evaluation for the abstract interpreter: literals, names, operators,
 * containers, comprehensions, f-strings and call-argument gathering. Every nested
 * expression goes back through `interp.eval`, so each one still costs a step.
 */
import type { Comprehension, Expr, Span } from "./ast";
import { InterpError } from "./interpErrors";
import type { Interpreter } from "./interpreter";
import { compareOp, equal, tensorTruthError, unaryOp } from "./operators";
import { parsePython } from "./parse";
import {
  NONE,
  Scope,
  bool,
  describe,
  dictKey,
  int,
  iterate,
  str,
  truthy,
  tuple,
  unknown,
  type PyValue,
} from "./values";

export function evalExpression(interp: Interpreter, e: Expr, scope: Scope): PyValue {
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
      return formatString(interp, e.span, scope);
    case "Bool":
      return bool(e.value);
    case "NoneLit":
      return NONE;
    case "EllipsisLit":
      return { t: "unknown", reason: "..." };
    case "Attribute":
      return interp.host.getAttr(interp.eval(e.value, scope), e.attr, interp, e.span);
    case "Subscript":
      return interp.host.getItem(interp.eval(e.value, scope), interp.eval(e.index, scope), e.span, e.index);
    case "Slice": {
      const part = (x: Expr | undefined) => (x ? interp.eval(x, scope) : NONE);
      return {
        t: "builtin",
        name: "slice",
        call: () => NONE,
        attrs: (n) =>
          n === "start"
            ? part(e.lower)
            : n === "stop"
              ? part(e.upper)
              : n === "step"
                ? part(e.step)
                : undefined,
      };
    }
    case "Call":
      return evalCall(interp, e, scope);
    case "BinOp":
      return interp.binary(e.op, interp.eval(e.left, scope), interp.eval(e.right, scope), e.span);
    case "UnaryOp":
      return unaryOp(e.op, interp.eval(e.operand, scope), (x) => interp.host.binary("neg", x, NONE, e.span));
    case "BoolOp": {
      let last: PyValue = NONE;
      for (const x of e.values) {
        last = interp.eval(x, scope);
        const t = truthy(last);
        if (t === undefined) return last.t === "unknown" ? last : unknown("undecidable boolean");
        if (e.op === "and" ? !t : t) return last;
      }
      return last;
    }
    case "Compare": {
      let left = interp.eval(e.left, scope);
      let result: PyValue = bool(true);
      for (let i = 0; i < e.ops.length; i++) {
        const right = interp.eval(e.comparators[i] as Expr, scope);
        result = compareOp(e.ops[i] ?? "==", left, right);
        if (truthy(result) !== true) return result;
        left = right;
      }
      return result;
    }
    case "IfExp": {
      const c = interp.eval(e.test, scope);
      const t = truthy(c);
      if (t === undefined) return c.t === "unknown" ? c : unknown("undecidable condition");
      return interp.eval(t ? e.body : e.orelse, scope);
    }
    case "Tuple":
      return tuple(evalElements(interp, e.elts, scope));
    case "List":
      return { t: "list", items: evalElements(interp, e.elts, scope) };
    case "Dict": {
      const entries = new Map<string, { key: PyValue; value: PyValue }>();
      e.keys.forEach((k, i) => {
        const value = interp.eval(e.values[i] as Expr, scope);
        if (k === null) {
          if (value.t === "dict") for (const [kk, vv] of value.entries) entries.set(kk, vv);
          return;
        }
        const key = interp.eval(k, scope);
        const dk = dictKey(key);
        if (dk) entries.set(dk, { key, value });
      });
      return { t: "dict", entries };
    }
    case "ListComp": {
      const items = comprehension(interp, e.generators, scope, (s) => [interp.eval(e.elt, s)]);
      return e.isSet ? distinct(items) : { t: "list", items };
    }
    case "DictComp": {
      const entries = new Map<string, { key: PyValue; value: PyValue }>();
      comprehension(interp, e.generators, scope, (s) => {
        const key = interp.eval(e.key, s);
        const dk = dictKey(key);
        if (dk) entries.set(dk, { key, value: interp.eval(e.value, s) });
        return [];
      });
      return { t: "dict", entries };
    }
    case "Lambda":
      return {
        t: "func",
        def: { lambda: true, params: e.params, body: e.body, span: e.span },
        closure: scope,
      };
    case "Starred":
      return interp.eval(e.value, scope);
    default: {
      const x = e as Expr;
      return unknown(`unsupported syntax (${x.kind === "Unsupported" ? x.what : x.kind})`);
    }
  }
}

/**
 * The truth of a condition `a and b` / `a or b` (an `if` test). An operand we cannot decide
 * does not decide the whole when a later one does: `input.is_cuda and self.ngpu > 1` is false
 * whenever `self.ngpu > 1` is, whatever `is_cuda` is (DCGAN's forward). Only the truth is
 * known then, not the value, so this serves conditions only. `truth` undefined: undecidable,
 * `value` then being the first undecidable operand (its reason).
 */
export function conditionTruth(
  interp: Interpreter,
  e: Extract<Expr, { kind: "BoolOp" }>,
  scope: Scope,
): { value: PyValue; truth: boolean | undefined } {
  let undecided: PyValue | undefined;
  let last: PyValue = NONE;
  for (const x of e.values) {
    try {
      last = interp.eval(x, scope);
    } catch (err) {
      // Python may never evaluate an operand after an undecided one: its failure decides nothing.
      if (undecided && err instanceof InterpError) continue;
      throw err;
    }
    const t = truthy(last);
    // A tensor of several values raises in `bool()` right there: nothing after it runs.
    if (t === undefined && !undecided && tensorTruthError(last)) return { value: last, truth: undefined };
    if (t === undefined) undecided ??= last;
    else if (e.op === "and" ? !t : t) return { value: last, truth: t };
  }
  return undecided ? { value: undecided, truth: undefined } : { value: last, truth: truthy(last) };
}

/** f"conv{i}" → "conv3": each {expression} is parsed from the source text and evaluated. */
function formatString(interp: Interpreter, span: Span, scope: Scope): PyValue {
  const raw = interp.textOf(span);
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
      const field = body.slice(i + 1, end);
      const [expr = "", spec] = field.split(/![rsa]|:(?![^[]*\])/);
      const stmt = parseExpression(expr.trim());
      if (!stmt) return unknown("f-string");
      const v = interp.eval(stmt, scope);
      if (v.t === "unknown") return v;
      const text = formatField(v, field.includes(":") ? (spec ?? "") : "");
      if (text === undefined) return unknown(`f-string format "${spec ?? ""}" is not followed`);
      out += text;
      i = end;
    } else out += ch;
  }
  return str(out);
}

/**
 * One f-string field as Python writes it: str() of the value (a float keeps its ".0"), or a number
 * format spec ([0][width][,][.precision][f|d|%|e]). Any other spec is not guessed: undefined.
 */
function formatField(v: PyValue, spec: string): string | undefined {
  const plain = () => {
    if (v.t === "str") return v.v;
    if (v.t === "float" && Number.isInteger(v.v) && Math.abs(v.v) < 1e16) return `${v.v}.0`;
    return describe(v);
  };
  if (spec === "") return plain();
  const m = /^(0?)(\d*)(,?)(?:\.(\d+))?([fFd%eE]?)$/.exec(spec);
  if (!m || (v.t !== "int" && v.t !== "float")) return undefined;
  const [, zero, width, comma, prec, kind] = m;
  if (kind === "d" && v.t !== "int") return undefined;
  const digits = prec === undefined ? 6 : Number(prec);
  let text: string;
  if (kind === "f" || kind === "F") text = v.v.toFixed(digits);
  else if (kind === "%") text = `${(v.v * 100).toFixed(digits)}%`;
  else if (kind === "e" || kind === "E") text = v.v.toExponential(digits).replace(/e([+-])(\d)$/, "e$10$2");
  else if (prec === undefined) text = plain();
  else return undefined;
  if (comma) {
    const [whole = "", frac] = text.split(".");
    text = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac === undefined ? "" : `.${frac}`);
  }
  return width ? text.padStart(Number(width), zero ? "0" : " ") : text;
}

function evalElements(interp: Interpreter, elts: readonly Expr[], scope: Scope): PyValue[] {
  const out: PyValue[] = [];
  for (const x of elts) {
    if (x.kind === "Starred")
      out.push(...(iterate(interp.eval(x.value, scope)) ?? [unknown("cannot unpack")]));
    else out.push(interp.eval(x, scope));
  }
  return out;
}

function comprehension(
  interp: Interpreter,
  gens: readonly Comprehension[],
  scope: Scope,
  body: (s: Scope) => PyValue[],
): PyValue[] {
  const out: PyValue[] = [];
  const inner = new Scope(scope);
  const loop = (i: number): void => {
    const g = gens[i];
    if (!g) {
      out.push(...body(inner));
      return;
    }
    const iterable = interp.eval(g.iter, inner);
    const items = iterate(iterable);
    if (!items) throw new InterpError(`cannot iterate in a comprehension over ${describe(iterable)}`);
    for (const item of items) {
      interp.assign(g.target, item, inner);
      // An undecidable condition must not drop the item silently.
      let keep = true;
      for (const c of g.ifs) {
        const k = truthy(interp.eval(c, inner));
        if (k === undefined) throw new InterpError("cannot decide a condition in a comprehension");
        if (!k) {
          keep = false;
          break;
        }
      }
      if (keep) loop(i + 1);
    }
  };
  loop(0);
  return out;
}

/** f(a, *rest, k=v, **opts): arguments evaluated left to right, with their spans for messages. */
function evalCall(interp: Interpreter, e: Extract<Expr, { kind: "Call" }>, scope: Scope): PyValue {
  const fn = interp.eval(e.func, scope);
  const args: PyValue[] = [];
  const argSpans: Span[] = [];
  const kwargs = new Map<string, PyValue>();
  const kwargSpans = new Map<string, Span>();
  for (const a of e.args) {
    const v = interp.eval(a.value, scope);
    if (a.star === "*") {
      const items = iterate(v) ?? [unknown("cannot unpack *args")];
      for (const it of items) {
        args.push(it);
        argSpans.push(a.value.span);
      }
    } else if (a.star === "**") {
      if (v.t === "dict")
        for (const { key, value } of v.entries.values()) if (key.t === "str") kwargs.set(key.v, value);
    } else if (a.name !== undefined) {
      kwargs.set(a.name, v);
      kwargSpans.set(a.name, a.value.span);
    } else {
      args.push(v);
      argSpans.push(a.value.span);
    }
  }
  return interp.call(fn, { args, kwargs, argSpans, kwargSpans, span: e.span });
}

function parseExpression(text: string): Expr | undefined {
  const s = parsePython(text).body[0];
  return s?.kind === "Expr" ? s.value : undefined;
}

/** A set's items: duplicates dropped; unknown when two items cannot be told equal or not. */
function distinct(items: readonly PyValue[]): PyValue {
  const out: PyValue[] = [];
  for (const v of items) {
    const same = out.map((u) => equal(u, v));
    if (same.includes(undefined)) return unknown("a set whose items cannot be compared");
    if (!same.includes(true)) out.push(v);
  }
  return { t: "list", items: out };
}
