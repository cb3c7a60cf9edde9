/**
 * Expressions: @lezer/python's tree → ast.ts `Expr`.
 *
 * Lezer's tree is flat-ish: call arguments, subscripts, parameter lists and
 * comprehensions are token sequences (`VariableName AssignOp expr`, `* expr`,
 * `a : b`, `for t in it if c`) rather than nested nodes, so most of the work
 * here is splitting child lists on separator tokens. Nothing here throws:
 * anything unexpected (including lezer's `⚠` error nodes) becomes Unsupported.
 */
import type { SyntaxNode } from "@lezer/common";
import type { Arg, Comprehension, Expr, Param, Span } from "./ast";
import { boolExpr, boolKeyword } from "./parseBool";
import { decodeNumber, decodeString } from "./parseLiteral";
import {
  inner,
  kids,
  ERROR,
  MAX_DEPTH,
  spanOf,
  spanOfList,
  splitOn,
  text,
  unsupported,
  type Ctx,
} from "./parseTokens";

/**
 * One comma-separated item: a single expression or `*expr`. After an error
 * lezer may leave stray tokens around it; if exactly one real expression
 * remains we keep it, otherwise the item is Unsupported.
 */
export function exprGroup(ctx: Ctx, nodes: readonly SyntaxNode[], at: number): Expr {
  const [first, second] = nodes;
  if (first && second && first.name === "*" && nodes.length === 2) {
    return { kind: "Starred", value: expr(ctx, second), span: { from: first.from, to: second.to } };
  }
  const real = nodes.filter((n) => !n.type.isError);
  const only = real[0];
  if (real.length === 1 && only) return expr(ctx, only);
  return unsupported(ERROR, spanOfList(nodes, at));
}

/** `a`, `a, b`, `a, *b,`: a bare (unparenthesised) expression list, as in assignments and returns. */
export function exprList(ctx: Ctx, nodes: readonly SyntaxNode[], at: number): Expr {
  const groups = splitOn(nodes, ",");
  const only = groups[0];
  if (groups.length === 1 && only) return exprGroup(ctx, only, at);
  const elts = groups.filter((g) => g.length > 0).map((g) => exprGroup(ctx, g, at));
  return { kind: "Tuple", elts, span: spanOfList(nodes, at) };
}

export function expr(ctx: Ctx, n: SyntaxNode): Expr {
  if (ctx.depth >= MAX_DEPTH) return unsupported("TooDeep", spanOf(n));
  ctx.depth++;
  try {
    return exprAt(ctx, n);
  } finally {
    ctx.depth--;
  }
}

function exprAt(ctx: Ctx, n: SyntaxNode): Expr {
  const span = spanOf(n);
  switch (n.name) {
    case "VariableName":
      return { kind: "Name", id: text(ctx, n), span };
    case "Number":
      return { kind: "Num", ...decodeNumber(text(ctx, n) + (ctx.floatDots?.has(n.to) ? "." : "")), span };
    case "String":
      return { kind: "Str", value: decodeString(text(ctx, n)), span };
    case "FormatString":
      return { kind: "FString", span };
    case "ContinuedString":
      return continuedString(ctx, n);
    case "Boolean":
      return { kind: "Bool", value: text(ctx, n) === "True", span };
    case "None":
      return { kind: "NoneLit", span };
    case "Ellipsis":
      return { kind: "EllipsisLit", span };
    case "MemberExpression":
      return member(ctx, n);
    case "CallExpression": {
      const [func, args] = kids(n);
      if (!func || args?.name !== "ArgList") return unsupported(n.name, span);
      return { kind: "Call", func: expr(ctx, func), args: argList(ctx, args), span };
    }
    case "ParenthesizedExpression": {
      const items = inner(n, "(", ")");
      return items.length > 0 ? exprGroup(ctx, items, n.from) : unsupported(n.name, span);
    }
    case "TupleExpression":
      return { kind: "Tuple", elts: items(ctx, inner(n, "(", ")")), span };
    case "ArrayExpression":
      return { kind: "List", elts: items(ctx, inner(n, "[", "]")), span };
    case "DictionaryExpression":
      return dict(ctx, n);
    case "SetExpression":
      // A set display is read as a tuple of its items: membership (`w in {"imagenet", None}`) as Python.
      return { kind: "Tuple", elts: items(ctx, inner(n, "{", "}")), span };
    case "SetComprehensionExpression": {
      const comp = listComp(ctx, inner(n, "{", "}"), false, span);
      return comp.kind === "ListComp" ? { ...comp, isSet: true } : comp;
    }
    case "ArrayComprehensionExpression":
    case "ComprehensionExpression":
      return listComp(
        ctx,
        n.name === "ArrayComprehensionExpression" ? inner(n, "[", "]") : inner(n, "(", ")"),
        n.name === "ComprehensionExpression",
        span,
      );
    case "DictionaryComprehensionExpression":
      return dictComp(ctx, inner(n, "{", "}"), span);
    case "ConditionalExpression": {
      const [body, kwIf, test, kwElse, orelse] = kids(n);
      if (!body || kwIf?.name !== "if" || !test || kwElse?.name !== "else" || !orelse)
        return unsupported(n.name, span);
      return { kind: "IfExp", test: expr(ctx, test), body: expr(ctx, body), orelse: expr(ctx, orelse), span };
    }
    case "BinaryExpression":
      if (boolKeyword(n))
        return boolExpr(
          n,
          (c) => expr(ctx, c),
          (s) => unsupported(n.name, s),
        );
      return binary(ctx, n);
    case "UnaryExpression": {
      if (boolKeyword(n))
        return boolExpr(
          n,
          (c) => expr(ctx, c),
          (s) => unsupported(n.name, s),
        );
      const [op, operand] = kids(n);
      if (!op || !operand) return unsupported(n.name, span);
      return { kind: "UnaryOp", op: text(ctx, op), operand: expr(ctx, operand), span };
    }
    case "LambdaExpression": {
      const k = kids(n);
      const plist = k.find((c) => c.name === "ParamList");
      const colon = k.findIndex((c) => c.name === ":");
      const body = colon >= 0 ? k[colon + 1] : undefined;
      if (!body) return unsupported(n.name, span);
      return { kind: "Lambda", params: plist ? params(ctx, plist) : [], body: expr(ctx, body), span };
    }
    default:
      // AwaitExpression, YieldExpression,
      // NamedExpression (walrus), ⚠ …
      return unsupported(n.name, span);
  }
}

/** Elements of a list/tuple display: `a, *b, c,`. */
function items(ctx: Ctx, nodes: readonly SyntaxNode[]): Expr[] {
  return splitOn(nodes, ",")
    .filter((g) => g.length > 0)
    .map((g) => exprGroup(ctx, g, 0));
}

/** Implicit concatenation `"a" "b"`: a Str if every part is plain, else an FString. */
function continuedString(ctx: Ctx, n: SyntaxNode): Expr {
  const parts = kids(n);
  if (parts.some((p) => p.name !== "String")) return { kind: "FString", span: spanOf(n) };
  return { kind: "Str", value: parts.map((p) => decodeString(text(ctx, p))).join(""), span: spanOf(n) };
}

/** Attribute access `a.b` and subscripts `a[i]`, which lezer both calls MemberExpression. */
function member(ctx: Ctx, n: SyntaxNode): Expr {
  const span = spanOf(n);
  const k = kids(n);
  const [obj, sep, prop] = k;
  if (!obj || !sep) return unsupported(n.name, span);
  if (sep.name === ".") {
    // Lezer reads `255.` and `1.e3` as an attribute of an int; recover the float.
    if (
      obj.name === "Number" &&
      sep.from === obj.to &&
      (!prop || prop.type.isError || (prop.from === sep.to && /^(?:[eE]\d+|[jJ])$/.test(text(ctx, prop))))
    ) {
      const to = prop && !prop.type.isError ? prop.to : sep.to;
      return { kind: "Num", ...decodeNumber(ctx.src.slice(obj.from, to)), span: { from: obj.from, to } };
    }
    if (prop?.name !== "PropertyName") return unsupported(n.name, span);
    return { kind: "Attribute", value: expr(ctx, obj), attr: text(ctx, prop), span };
  }
  if (sep.name === "[") {
    const idx = k.slice(2, k[k.length - 1]?.name === "]" ? -1 : k.length);
    if (idx.length === 0) return unsupported(n.name, span);
    return { kind: "Subscript", value: expr(ctx, obj), index: subscriptIndex(ctx, idx), span };
  }
  return unsupported(n.name, span);
}

/** `i`, `a:b:c`, `:, -1, ...`: one index, a Slice, or a Tuple of those. */
function subscriptIndex(ctx: Ctx, nodes: readonly SyntaxNode[]): Expr {
  const groups = splitOn(nodes, ",");
  const one = (g: readonly SyntaxNode[]): Expr => {
    if (!g.some((c) => c.name === ":")) return exprGroup(ctx, g, nodes[0]?.from ?? 0);
    const [lower, upper, step] = splitOn(g, ":").map((part) =>
      part.length > 0 ? exprGroup(ctx, part, part[0]?.from ?? 0) : undefined,
    );
    return {
      kind: "Slice",
      span: spanOfList(g, 0),
      ...(lower ? { lower } : {}),
      ...(upper ? { upper } : {}),
      ...(step ? { step } : {}),
    };
  };
  const first = groups[0];
  if (groups.length === 1 && first) return one(first);
  return { kind: "Tuple", elts: groups.filter((g) => g.length > 0).map(one), span: spanOfList(nodes, 0) };
}

const COMPARE_OPS = new Set(["<", ">", "==", ">=", "<=", "!=", "<>", "in", "not in", "is", "is not"]);

function binary(ctx: Ctx, n: SyntaxNode): Expr {
  const span = spanOf(n);
  const k = kids(n);
  const left = k[0];
  const right = k[k.length - 1];
  const ops = k.slice(1, -1).filter((c) => !c.type.isError);
  if (!left || !right || k.length < 3 || ops.length === 0) return unsupported(n.name, span);
  // `not in` / `is not` arrive as two keyword tokens.
  const op = ops.map((o) => text(ctx, o)).join(" ");
  const l = expr(ctx, left);
  const r = expr(ctx, right);
  if (COMPARE_OPS.has(op)) {
    // `a < b <= c` nests as ((a < b) <= c); only an unparenthesised left side continues the chain.
    if (left.name === "BinaryExpression" && l.kind === "Compare") {
      return { kind: "Compare", left: l.left, ops: [...l.ops, op], comparators: [...l.comparators, r], span };
    }
    return { kind: "Compare", left: l, ops: [op], comparators: [r], span };
  }
  return { kind: "BinOp", op, left: l, right: r, span };
}

function dict(ctx: Ctx, n: SyntaxNode): Expr {
  const keys: (Expr | null)[] = [];
  const values: Expr[] = [];
  for (const g of splitOn(inner(n, "{", "}"), ",")) {
    const [first, second] = g;
    if (!first) continue;
    if (first.name === "**" && second) {
      keys.push(null);
      values.push(exprGroup(ctx, g.slice(1), first.from));
      continue;
    }
    const colon = g.findIndex((c) => c.name === ":");
    if (colon < 0) continue;
    keys.push(exprGroup(ctx, g.slice(0, colon), first.from));
    values.push(exprGroup(ctx, g.slice(colon + 1), g[colon]?.to ?? first.from));
  }
  return { kind: "Dict", keys, values, span: spanOf(n) };
}

/** Split `elt for t in it if c for …` into the element tokens and the generators. */
function comprehension(
  ctx: Ctx,
  nodes: readonly SyntaxNode[],
): { elt: SyntaxNode[]; generators: Comprehension[] } {
  const isClauseStart = (c: SyntaxNode): boolean => c.name === "for" || c.name === "if" || c.name === "async";
  let i = nodes.findIndex(isClauseStart);
  if (i < 0) i = nodes.length;
  const elt = nodes.slice(0, i);
  const generators: { target: Expr; iter: Expr; ifs: Expr[] }[] = [];
  while (i < nodes.length) {
    const tok = nodes[i];
    if (!tok) break;
    let j = i + 1;
    if (tok.name === "for") {
      const inAt = nodes.findIndex((c, x) => x > i && c.name === "in");
      if (inAt < 0) break;
      j = inAt + 1;
      while (j < nodes.length && !isClauseStart(nodes[j] as SyntaxNode)) j++;
      const target = exprList(ctx, nodes.slice(i + 1, inAt), tok.to);
      generators.push({
        target,
        iter: exprList(ctx, nodes.slice(inAt + 1, j), nodes[inAt]?.to ?? tok.to),
        ifs: [],
      });
    } else if (tok.name === "if") {
      while (j < nodes.length && !isClauseStart(nodes[j] as SyntaxNode)) j++;
      generators[generators.length - 1]?.ifs.push(exprGroup(ctx, nodes.slice(i + 1, j), tok.to));
    }
    i = j;
  }
  return { elt, generators };
}

export function listComp(ctx: Ctx, nodes: readonly SyntaxNode[], isGenerator: boolean, span: Span): Expr {
  const { elt, generators } = comprehension(ctx, nodes);
  if (generators.length === 0) return unsupported("ComprehensionExpression", span);
  return { kind: "ListComp", elt: exprGroup(ctx, elt, span.from), generators, isGenerator, span };
}

function dictComp(ctx: Ctx, nodes: readonly SyntaxNode[], span: Span): Expr {
  const { elt, generators } = comprehension(ctx, nodes);
  const colon = elt.findIndex((c) => c.name === ":");
  if (generators.length === 0 || colon < 0) return unsupported("DictionaryComprehensionExpression", span);
  return {
    kind: "DictComp",
    key: exprGroup(ctx, elt.slice(0, colon), span.from),
    value: exprGroup(ctx, elt.slice(colon + 1), span.from),
    generators,
    span,
  };
}

/** Call arguments: `a, k=v, *xs, **kw`, or a lone generator `f(x for x in y)`. */
export function argList(ctx: Ctx, n: SyntaxNode): Arg[] {
  const nodes = inner(n, "(", ")");
  if (nodes.some((c) => c.name === "for")) return [{ value: listComp(ctx, nodes, true, spanOf(n)) }];
  const args: Arg[] = [];
  for (const g of splitOn(nodes, ",")) {
    const [first, second] = g;
    if (!first) continue;
    if (first.name === "VariableName" && second?.name === "AssignOp") {
      args.push({ name: text(ctx, first), value: exprGroup(ctx, g.slice(2), second.to) });
    } else if (first.name === "*" || first.name === "**") {
      args.push({ star: first.name, value: exprGroup(ctx, g.slice(1), first.to) });
    } else {
      args.push({ value: exprGroup(ctx, g, first.from) });
    }
  }
  return args;
}

/** `(self, a, b: int = 3, *args, c=1, **kw)`; a bare `*` makes the rest keyword-only. */
export function params(ctx: Ctx, n: SyntaxNode): Param[] {
  const out: Param[] = [];
  let keywordOnly = false;
  for (const g of splitOn(inner(n, "(", ")"), ",")) {
    const [first, second] = g;
    if (!first) continue; // also the `/` positional-only marker, which lezer leaves out
    if (first.name === "*" || first.name === "**") {
      if (second?.name === "VariableName") out.push({ name: text(ctx, second), star: first.name });
      if (first.name === "*") keywordOnly = true;
      continue;
    }
    if (first.name !== "VariableName") continue;
    const eq = g.findIndex((c) => c.name === "AssignOp");
    const dflt = eq >= 0 ? exprGroup(ctx, g.slice(eq + 1), g[eq]?.to ?? first.to) : undefined;
    out.push({
      name: text(ctx, first),
      ...(dflt ? { default: dflt } : {}),
      ...(keywordOnly ? { keywordOnly: true } : {}),
    });
  }
  return out;
}

/** `@a.b.c(args)`: lezer spells a decorator as flat tokens, not as an expression node. */
export function decorator(ctx: Ctx, n: SyntaxNode): Expr {
  const k = kids(n).filter((c) => c.name !== "At");
  const first = k[0];
  if (first?.name !== "VariableName") return unsupported(n.name, spanOf(n));
  let e: Expr = expr(ctx, first);
  for (let i = 1; i < k.length; i++) {
    const c = k[i] as SyntaxNode;
    const next = k[i + 1];
    if (c.name === "." && next?.name === "VariableName") {
      e = { kind: "Attribute", value: e, attr: text(ctx, next), span: { from: first.from, to: next.to } };
      i++;
    } else if (c.name === "ArgList" && i === k.length - 1) {
      e = { kind: "Call", func: e, args: argList(ctx, c), span: { from: first.from, to: c.to } };
    } else {
      return unsupported(n.name, spanOf(n));
    }
  }
  return e;
}
