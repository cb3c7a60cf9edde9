/**
 * Statements: @lezer/python's statement nodes → the small AST of ast.ts (expressions are
 * parseExpr.ts's). A def/class whose header lost its `:` adopts the more-indented statements
 * that follow it, so methods stay inside their class. Never throws.
 */
import type { SyntaxNode } from "@lezer/common";
import type { ClassDef, Expr, FunctionDef, Span, Stmt } from "./ast";
import { argList, decorator, exprGroup, exprList, params } from "./parseExpr";
import { ERROR, kids, MAX_DEPTH, spanOf, splitOn, text, type Ctx } from "./parseTokens";

/** Tokens that may sit among statements and carry nothing: Body's `:`, `;` in a StatementGroup, errors. */
function isFiller(n: SyntaxNode): boolean {
  return n.type.isError || n.name === ":" || n.name === ";" || n.name === "Comment";
}

function indentOf(src: string, pos: number): number {
  const start = src.lastIndexOf("\n", pos - 1) + 1;
  let i = start;
  while (src[i] === " " || src[i] === "\t") i++;
  return i - start;
}

function definitionOf(n: SyntaxNode): SyntaxNode | undefined {
  if (n.name === "FunctionDefinition" || n.name === "ClassDefinition") return n;
  if (n.name !== "DecoratedStatement") return undefined;
  return n.getChild("FunctionDefinition") ?? n.getChild("ClassDefinition") ?? undefined;
}

export function statements(ctx: Ctx, nodes: readonly SyntaxNode[]): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as SyntaxNode;
    if (isFiller(n)) continue;
    // A header that lost its `:` or `)` has no Body; its indented block then
    // follows as siblings. Adopt them so methods stay inside their class.
    const adopted: SyntaxNode[] = [];
    const def = definitionOf(n);
    if (def && !def.getChild("Body")) {
      const indent = indentOf(ctx.src, n.from);
      let j = i + 1;
      for (; j < nodes.length; j++) {
        const next = nodes[j] as SyntaxNode;
        if (isFiller(next)) continue;
        if (indentOf(ctx.src, next.from) <= indent) break;
        adopted.push(next);
        i = j;
      }
    }
    out.push(...statement(ctx, n, adopted));
  }
  return out;
}

function body(ctx: Ctx, n: SyntaxNode | undefined): Stmt[] {
  return n ? statements(ctx, kids(n)) : [];
}

/** A statement's span without the newline (and blank lines) that lezer's Body keeps at its end. */
function stmtSpan(ctx: Ctx, n: SyntaxNode): Span {
  let to = n.to;
  while (to > n.from && /\s/.test(ctx.src.charAt(to - 1))) to--;
  return { from: n.from, to };
}

function statement(ctx: Ctx, n: SyntaxNode, adopted: readonly SyntaxNode[]): Stmt[] {
  if (ctx.depth >= MAX_DEPTH) return [{ kind: "Unsupported", what: "TooDeep", span: stmtSpan(ctx, n) }];
  ctx.depth++;
  try {
    return statementAt(ctx, n, adopted);
  } finally {
    ctx.depth--;
  }
}

function statementAt(ctx: Ctx, n: SyntaxNode, adopted: readonly SyntaxNode[]): Stmt[] {
  const span = stmtSpan(ctx, n);
  const k = kids(n);
  switch (n.name) {
    case "ExpressionStatement":
      return [{ kind: "Expr", value: exprList(ctx, k, n.from), span }];
    case "AssignStatement":
      return [assign(ctx, k, span)];
    case "UpdateStatement": {
      const opAt = k.findIndex((c) => c.name === "UpdateOp");
      const op = k[opAt];
      if (!op) return [unsupportedStmt(ctx, n)];
      return [
        {
          kind: "AugAssign",
          target: exprList(ctx, k.slice(0, opAt), n.from),
          // `+=` is stored as the binary operator `+`, so it evaluates like a BinOp.
          op: text(ctx, op).slice(0, -1),
          value: exprList(ctx, k.slice(opAt + 1), op.to),
          span,
        },
      ];
    }
    case "ReturnStatement": {
      const rest = k.slice(1);
      return [
        rest.length > 0
          ? { kind: "Return", value: exprList(ctx, rest, n.from), span }
          : { kind: "Return", span },
      ];
    }
    case "IfStatement":
      return [ifStatement(ctx, span, k)];
    case "ForStatement":
      return [forStatement(ctx, span, k)];
    case "WhileStatement": {
      const at = k.findIndex((c) => c.name === "while");
      const testNode = k[at + 1];
      const test: Expr =
        testNode && testNode.name !== "Body"
          ? exprGroup(ctx, [testNode], n.from)
          : { kind: "Unsupported", what: ERROR, span };
      const loop: Stmt = { kind: "While", test, body: body(ctx, n.getChild("Body") ?? undefined), span };
      // ast.ts's While has no `orelse`; without a `break`, `else:` simply runs after the loop.
      const orelse = bodyAfter(k, "else");
      return orelse
        ? [loop, { kind: "Block", body: body(ctx, orelse), span: stmtSpan(ctx, orelse) }]
        : [loop];
    }
    case "TryStatement":
      return [tryStatement(ctx, k, span)];
    case "WithStatement":
      return [{ kind: "Block", body: body(ctx, n.getChild("Body") ?? undefined), span }];
    case "FunctionDefinition":
    case "ClassDefinition":
      return [definition(ctx, n, [], span, adopted)];
    case "DecoratedStatement": {
      const def = definitionOf(n);
      if (!def) return [unsupportedStmt(ctx, n)];
      const decorators = k.filter((c) => c.name === "Decorator").map((d) => decorator(ctx, d));
      return [definition(ctx, def, decorators, span, adopted)];
    }
    case "ImportStatement":
      return [importStatement(ctx, k, span)];
    case "PassStatement":
      return [{ kind: "Pass", span }];
    case "BreakStatement":
      return [{ kind: "Break", span }];
    case "ContinueStatement":
      return [{ kind: "Continue", span }];
    case "RaiseStatement":
      return [{ kind: "Raise", span }];
    case "AssertStatement":
      return [{ kind: "Assert", span }];
    case "DeleteStatement": {
      const rest = k.slice(1);
      return [
        rest.length > 0
          ? { kind: "Delete", target: exprList(ctx, rest, n.from), span }
          : { kind: "Del", span },
      ];
    }
    case "ScopeStatement": // global and nonlocal
      return [{ kind: "Global", span }];
    case "StatementGroup": // a = 1; b = 2
      return statements(ctx, k);
    default:
      // PrintStatement, YieldStatement, MatchStatement, TypeDefinition, stray tokens …
      return [unsupportedStmt(ctx, n)];
  }
}

function unsupportedStmt(ctx: Ctx, n: SyntaxNode): Stmt {
  return { kind: "Unsupported", what: n.name, span: stmtSpan(ctx, n) };
}

/** The Body that follows the keyword token `kw` (`else`, `finally`) among a statement's children. */
function bodyAfter(k: readonly SyntaxNode[], kw: string): SyntaxNode | undefined {
  const at = k.findIndex((c) => c.name === kw);
  const b = at >= 0 ? k[at + 1] : undefined;
  return b?.name === "Body" ? b : undefined;
}

/** `a = b = v`, `a, b = v`, `x: int = 3`, `x: int`. */
function assign(ctx: Ctx, k: readonly SyntaxNode[], span: Span): Stmt {
  const typeAt = k.findIndex((c) => c.name === "TypeDef");
  const firstEq = k.findIndex((c) => c.name === "AssignOp");
  if (typeAt >= 0 && (firstEq < 0 || typeAt < firstEq)) {
    const target = exprList(ctx, k.slice(0, typeAt), span.from);
    if (firstEq < 0) return { kind: "AnnAssign", target, span };
    return {
      kind: "AnnAssign",
      target,
      value: exprList(ctx, k.slice(firstEq + 1), k[firstEq]?.to ?? span.to),
      span,
    };
  }
  const segments = splitOn(k, "AssignOp");
  const valueNodes = segments.pop() ?? [];
  if (segments.length === 0) return { kind: "Unsupported", what: "AssignStatement", span };
  return {
    kind: "Assign",
    targets: segments.map((s) => exprList(ctx, s, span.from)),
    value: exprList(ctx, valueNodes, span.to),
    span,
  };
}

/** `if … elif … else …` → nested If nodes, each elif being the previous one's orelse. */
function ifStatement(ctx: Ctx, span: Span, k: readonly SyntaxNode[]): Stmt {
  const clauses: { kw: SyntaxNode; test: Expr; body: Stmt[] }[] = [];
  let orelse: Stmt[] = [];
  for (let i = 0; i < k.length; i++) {
    const kw = k[i] as SyntaxNode;
    if (kw.name === "if" || kw.name === "elif") {
      const testNode = k[i + 1];
      const hasTest = testNode !== undefined && testNode.name !== "Body";
      const test: Expr = hasTest
        ? exprGroup(ctx, [testNode], kw.to)
        : { kind: "Unsupported", what: ERROR, span: spanOf(kw) };
      const b = k[hasTest ? i + 2 : i + 1];
      clauses.push({ kw, test, body: b?.name === "Body" ? body(ctx, b) : [] });
    } else if (kw.name === "else") {
      const b = k[i + 1];
      if (b?.name === "Body") orelse = body(ctx, b);
    }
  }
  let result: Stmt | undefined;
  for (let c = clauses.length - 1; c >= 0; c--) {
    const { kw, test, body: stmts } = clauses[c] as (typeof clauses)[number];
    result = {
      kind: "If",
      test,
      body: stmts,
      orelse,
      span: { from: c === 0 ? span.from : kw.from, to: span.to },
    };
    orelse = [result];
  }
  return result ?? { kind: "Unsupported", what: "IfStatement", span };
}

function forStatement(ctx: Ctx, span: Span, k: readonly SyntaxNode[]): Stmt {
  const forAt = k.findIndex((c) => c.name === "for");
  const inAt = k.findIndex((c, i) => i > forAt && c.name === "in");
  const bodyAt = k.findIndex((c) => c.name === "Body");
  const end = bodyAt >= 0 ? bodyAt : k.length;
  const hole = (): Expr => ({ kind: "Unsupported", what: ERROR, span });
  const target = inAt > forAt + 1 ? exprList(ctx, k.slice(forAt + 1, inAt), span.from) : hole();
  const iter = inAt >= 0 && end > inAt + 1 ? exprList(ctx, k.slice(inAt + 1, end), span.from) : hole();
  const orelse = bodyAfter(k, "else");
  return { kind: "For", target, iter, body: body(ctx, k[bodyAt]), orelse: body(ctx, orelse), span };
}

/** The statements that run when nothing raises: try body, `else`, `finally` (handlers are left out). */
function tryStatement(ctx: Ctx, k: readonly SyntaxNode[], span: Span): Stmt {
  const out: Stmt[] = [];
  let clause = "";
  for (const c of k) {
    if (c.name === "Body") {
      if (clause === "try" || clause === "else" || clause === "finally") out.push(...body(ctx, c));
    } else if (c.name === "try" || c.name === "except" || c.name === "else" || c.name === "finally") {
      clause = c.name;
    }
  }
  return { kind: "Block", body: out, span, handled: true };
}

/** `import a.b as c, d` and `from ..x import y as z, w`. */
function importStatement(ctx: Ctx, k: readonly SyntaxNode[], span: Span): Stmt {
  const names = (nodes: readonly SyntaxNode[]): { name: string; asname?: string }[] =>
    splitOn(
      nodes.filter((c) => c.name !== "(" && c.name !== ")"),
      ",",
    ).flatMap((g) => {
      const asAt = g.findIndex((c) => c.name === "as");
      const dotted = (asAt >= 0 ? g.slice(0, asAt) : g).map((c) => text(ctx, c)).join("");
      const alias = asAt >= 0 ? g[asAt + 1] : undefined;
      if (dotted === "") return [];
      return [alias ? { name: dotted, asname: text(ctx, alias) } : { name: dotted }];
    });
  const importAt = k.findIndex((c) => c.name === "import");
  if (k[0]?.name !== "from") return { kind: "Import", names: names(k.slice(importAt + 1)), span };
  const modNodes = k.slice(1, importAt >= 0 ? importAt : k.length);
  let level = 0;
  let i = 0;
  for (; i < modNodes.length; i++) {
    const c = modNodes[i] as SyntaxNode;
    if (c.name === ".") level += 1;
    else if (c.name === "Ellipsis")
      level += 3; // `from ... import x`
    else break;
  }
  const module = modNodes
    .slice(i)
    .map((c) => text(ctx, c))
    .join("");
  return {
    kind: "ImportFrom",
    module,
    level,
    names: importAt >= 0 ? names(k.slice(importAt + 1)) : [],
    span,
  };
}

function definition(
  ctx: Ctx,
  n: SyntaxNode,
  decorators: readonly Expr[],
  outer: Span,
  adopted: readonly SyntaxNode[],
): Stmt {
  const k = kids(n);
  const nameNode = k.find((c) => c.name === "VariableName");
  if (!nameNode) return unsupportedStmt(ctx, n);
  const bodyNode = n.getChild("Body");
  const stmts = bodyNode ? body(ctx, bodyNode) : statements(ctx, adopted);
  const last = adopted[adopted.length - 1];
  const span: Span = { from: outer.from, to: last ? Math.max(outer.to, stmtSpan(ctx, last).to) : outer.to };
  const common = { name: text(ctx, nameNode), body: stmts, decorators, span, nameSpan: spanOf(nameNode) };
  if (n.name === "ClassDefinition") {
    const bases = k.find((c) => c.name === "ArgList");
    const def: ClassDef = {
      ...common,
      // Keyword arguments (metaclass=…) and *bases are not base classes.
      bases: bases
        ? argList(ctx, bases)
            .filter((a) => a.name === undefined && a.star === undefined)
            .map((a) => a.value)
        : [],
    };
    return { kind: "ClassDef", def };
  }
  const plist = k.find((c) => c.name === "ParamList");
  const def: FunctionDef = { ...common, params: plist ? params(ctx, plist) : [] };
  return { kind: "FunctionDef", def };
}
