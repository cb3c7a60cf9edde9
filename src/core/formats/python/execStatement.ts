/**
 * Statement execution for the abstract interpreter: assignments, control flow, definitions and
 * imports. Nested blocks go back through `interp.execBlock`, so each statement still costs a step.
 */
import type { Expr, Stmt } from "./ast";
import { conditionTruth } from "./evalExpression";
import { BudgetError, InterpError, PyRaises } from "./interpErrors";
import type { Interpreter } from "./interpreter";
import { tensorTruthError } from "./operators";
import { NONE, iterate, truthy, unknown, type PyValue, type Scope } from "./values";

export type Completion = { k: "normal" } | { k: "return"; v: PyValue } | { k: "break" } | { k: "continue" };
export const NORMAL: Completion = { k: "normal" };

export function execStatement(interp: Interpreter, s: Stmt, scope: Scope): Completion {
  switch (s.kind) {
    case "Expr":
      // A statement whose value is unused (logging, weight init) must not stop the model.
      try {
        interp.eval(s.value, scope);
      } catch (e) {
        if (!(e instanceof InterpError) || e instanceof BudgetError || e instanceof PyRaises) throw e;
        spoilReceiver(interp, s.value, scope, e.message);
      }
      return NORMAL;
    case "Assign": {
      const v = evalOrUnknown(interp, s.value, scope, scope.file !== undefined);
      for (const t of s.targets) interp.assign(t, v, scope);
      interp.onStatement?.(s.span, v);
      return NORMAL;
    }
    case "AnnAssign":
      if (s.value) interp.assign(s.target, interp.eval(s.value, scope), scope);
      return NORMAL;
    case "AugAssign": {
      const cur = interp.eval(s.target, scope);
      const v = interp.binary(s.op, cur, interp.eval(s.value, scope), s.span, true);
      interp.assign(s.target, v, scope);
      interp.onStatement?.(s.span, v);
      return NORMAL;
    }
    case "Return": {
      const v = s.value ? evalOrUnknown(interp, s.value, scope) : NONE;
      interp.onStatement?.(s.span, v);
      return { k: "return", v };
    }
    case "If": {
      const { value: test, truth: t } =
        s.test.kind === "BoolOp" ? conditionTruth(interp, s.test, scope) : truthOf(interp, s.test, scope);
      const raises = tensorTruthError(test);
      if (raises) throw raises;
      if (t === undefined) {
        const why = test.t === "unknown" ? `: ${test.reason}` : "";
        throw new InterpError(`cannot decide \`if ${interp.textOf(s.test.span).slice(0, 60)}\`${why}`);
      }
      return interp.execBlock(t ? s.body : s.orelse, scope);
    }
    case "For": {
      const iter = interp.eval(s.iter, scope);
      const items = iterate(iter);
      // An unknown or opaque value says why its items are not known.
      if (!items)
        throw new InterpError(
          `cannot iterate over this value${iter.t === "unknown" ? `: ${iter.reason}` : iter.t === "object" && iter.opaque ? `: ${iter.opaque}` : ""}`,
        );
      for (const item of items) {
        interp.assign(s.target, item, scope);
        const c = interp.execBlock(s.body, scope);
        if (c.k === "break") return NORMAL;
        if (c.k === "return") return c;
      }
      return interp.execBlock(s.orelse, scope);
    }
    case "While": {
      for (let i = 0; ; i++) {
        const t = truthy(interp.eval(s.test, scope));
        if (t === undefined) throw new InterpError("cannot decide a while condition");
        if (!t) return NORMAL;
        const c = interp.execBlock(s.body, scope);
        if (c.k === "break") return NORMAL;
        if (c.k === "return") return c;
      }
    }
    case "FunctionDef":
      scope.set(s.def.name, interp.makeFunction(s.def, scope));
      return NORMAL;
    case "ClassDef":
      scope.set(s.def.name, interp.makeClass(s.def, scope));
      return NORMAL;
    case "Import": {
      const file = scope.filePath;
      for (const n of s.names) {
        const first = n.name.split(".")[0] ?? n.name;
        if (n.asname) scope.set(n.asname, interp.host.importModule(n.name, 0, file));
        else scope.set(first, interp.host.importModule(first, 0, file));
      }
      return NORMAL;
    }
    case "ImportFrom": {
      const file = scope.filePath;
      const mod = interp.host.importModule(s.module, s.level, file);
      for (const n of s.names) {
        if (n.name === "*") {
          interp.host.importStar?.(mod, scope);
          continue;
        }
        const target = n.asname ?? n.name;
        // `from collections import OrderedDict` keeps the interpreter's own builtin.
        const own = scope.has(target) ? scope.get(target) : undefined;
        // Bound lazily: the module runs when the name is first used, not at the import.
        scope.setLazy(target, () => {
          const v = interp.host.getAttr(mod, n.name, interp, s.span);
          const sub =
            v.t === "unknown" ? interp.host.importModule(`${s.module}.${n.name}`, s.level, file) : v;
          // A module that is not there keeps its own reason (not "module x.name is not available").
          return sub.t === "unknown" ? (own ?? (mod.t === "unknown" ? mod : sub)) : sub;
        });
      }
      return NORMAL;
    }
    case "Delete":
      // `del d[k]`, `del lst[i]`, `del self.layers[name]`; `del x` changes nothing we follow.
      for (const t of s.target.kind === "Tuple" ? s.target.elts : [s.target])
        if (t.kind === "Subscript")
          interp.host.delItem(interp.eval(t.value, scope), interp.eval(t.index, scope));
      return NORMAL;
    case "Block":
      if (!s.handled) return interp.execBlock(s.body, scope);
      try {
        return interp.execBlock(s.body, scope);
      } catch (e) {
        // The except clause may catch it: no longer certain that the program fails.
        if (e instanceof PyRaises)
          throw new InterpError(`a try: block raises (its except clauses are not followed): ${e.message}`);
        throw e;
      }
    case "Break":
      return { k: "break" };
    case "Continue":
      return { k: "continue" };
    case "Raise":
      throw new InterpError(
        `the code raises here: ${interp.textOf(s.span).replace(/\s+/g, " ").slice(0, 80)}`,
      );
    default:
      return NORMAL;
  }
}

/**
 * `items.append(f(x))` that failed did not append: the list (or dict, or ModuleList) it would
 * have changed is no longer known, rather than one item short.
 */
function spoilReceiver(interp: Interpreter, e: Expr, scope: Scope, reason: string): void {
  if (e.kind !== "Call" || e.func.kind !== "Attribute") return;
  const target = e.func.value;
  if (target.kind !== "Name" && target.kind !== "Attribute") return;
  let v: PyValue;
  try {
    v = interp.eval(target, scope);
  } catch {
    return;
  }
  if (v.t === "list" || v.t === "dict") interp.assign(target, unknown(reason), scope);
  else if (v.t === "object" && v.children && v.cls.nn && v.opaque === undefined) v.opaque = reason;
}

/**
 * The value, or unknown with the reason it could not be had. What PyTorch itself raises goes on up
 * (the enclosing __init__ or forward fails with it), except at a module's top level, where the
 * name is bound to the failure (`model = Net()`: `model(x)` then says why there is no model).
 */
function evalOrUnknown(interp: Interpreter, e: Expr, scope: Scope, topLevel = false): PyValue {
  try {
    return interp.eval(e, scope);
  } catch (err) {
    if (!(err instanceof InterpError) || err instanceof BudgetError) throw err;
    if (err instanceof PyRaises && !topLevel) throw err;
    return unknown(err.message);
  }
}

function truthOf(interp: Interpreter, e: Expr, scope: Scope): { value: PyValue; truth: boolean | undefined } {
  const value = interp.eval(e, scope);
  return { value, truth: truthy(value) };
}
