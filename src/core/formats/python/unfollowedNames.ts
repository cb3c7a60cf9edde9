/**
 * The names a module-level statement would bind, for when it cannot be followed: they become
 * unknown with that statement's reason instead of undefined, so a layer built from them later says
 * why (DCGAN: `nc` is set in an `if opt.dataset == …` chain on a required argument with no default).
 */
import type { Expr, Stmt } from "./ast";
import { unknown, type Scope } from "./values";

function targetNames(e: Expr, out: Set<string>): void {
  if (e.kind === "Name") out.add(e.id);
  else if (e.kind === "Tuple" || e.kind === "List") for (const x of e.elts) targetNames(x, out);
}

/** Every name the statement binds on some path (assignments, loops, defs, imports), nested blocks too. */
export function boundNames(s: Stmt, out = new Set<string>()): Set<string> {
  switch (s.kind) {
    case "Assign":
      for (const t of s.targets) targetNames(t, out);
      break;
    case "AnnAssign":
    case "AugAssign":
      targetNames(s.target, out);
      break;
    case "For":
      targetNames(s.target, out);
      for (const x of [...s.body, ...s.orelse]) boundNames(x, out);
      break;
    case "If":
      for (const x of [...s.body, ...s.orelse]) boundNames(x, out);
      break;
    case "While":
    case "Block":
      for (const x of s.body) boundNames(x, out);
      break;
    case "FunctionDef":
    case "ClassDef":
      out.add(s.def.name);
      break;
    case "Import":
    case "ImportFrom":
      for (const n of s.names) out.add(n.asname ?? n.name.split(".")[0] ?? n.name);
      break;
    default:
      break;
  }
  return out;
}

/** After a module-level statement failed: what it would have bound and is not bound is unknown, with why. */
export function bindUnfollowed(s: Stmt, globals: Scope, source: string, reason: string): void {
  const span = "span" in s ? s.span : s.def.span;
  const line = source.slice(0, span.from).split("\n").length;
  const why = unknown(`set by line ${line}, which cannot be followed: ${reason}`);
  for (const name of boundNames(s)) if (!globals.has(name)) globals.set(name, why);
}
