/**
 * `not` / `and` / `or` with Python's precedence. @lezer/python gives `not` the lowest precedence:
 * it reads `not a and b` as `not (a and b)` and `a and not b or c` as `a and (not (b or c))`,
 * where Python reads `(not a) and b` and `(a and (not b)) or c`. A boolean expression is
 * therefore flattened back to its operands and keywords and parsed again: or < and < not.
 */
import type { SyntaxNode } from "@lezer/common";
import type { Expr, Span } from "./ast";

type Item = { readonly op: "and" | "or" | "not"; readonly from: number } | { readonly node: SyntaxNode };

/** The boolean operator of a lezer BinaryExpression / UnaryExpression node, if it is one. */
export function boolKeyword(n: SyntaxNode): "and" | "or" | "not" | undefined {
  if (n.name !== "BinaryExpression" && n.name !== "UnaryExpression") return undefined;
  // A comparison's `is not` / `not in` also has a `not` token: only a unary `not` is the operator.
  for (let c = n.firstChild; c; c = c.nextSibling)
    if (n.name === "BinaryExpression" ? c.name === "and" || c.name === "or" : c.name === "not")
      return c.name as "and" | "or" | "not";
  return undefined;
}

function flatten(n: SyntaxNode, out: Item[]): void {
  const op = boolKeyword(n);
  if (!op) {
    out.push({ node: n });
    return;
  }
  for (let c = n.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) continue;
    if (c.name === op) out.push({ op, from: c.from });
    else flatten(c, out);
  }
}

/** The expression of a boolean lezer node (boolKeyword defined), operands converted by `expr`. */
export function boolExpr(n: SyntaxNode, expr: (n: SyntaxNode) => Expr, unsupported: (s: Span) => Expr): Expr {
  const items: Item[] = [];
  flatten(n, items);
  let i = 0;
  const end = (e: Expr): number => e.span.to;
  const operand = (): Expr => {
    const it = items[i++];
    if (!it) return unsupported({ from: n.from, to: n.to });
    if ("node" in it) return expr(it.node);
    if (it.op !== "not") return unsupported({ from: it.from, to: n.to });
    const inner = operand();
    return { kind: "UnaryOp", op: "not", operand: inner, span: { from: it.from, to: end(inner) } };
  };
  const chain = (op: "and" | "or", next: () => Expr): Expr => {
    const values = [next()];
    for (let it = items[i]; it && "op" in it && it.op === op; it = items[i]) {
      i++;
      values.push(next());
    }
    const first = values[0] as Expr;
    if (values.length === 1) return first;
    return {
      kind: "BoolOp",
      op,
      values,
      span: { from: first.span.from, to: end(values[values.length - 1] as Expr) },
    };
  };
  const result = chain("or", () => chain("and", operand));
  return i === items.length ? result : unsupported({ from: n.from, to: n.to });
}
