/**
 * Lezer's flat token sequences: the helpers both expression and statement parsing use to read
 * them (spans, text, children without comments, splitting on separators, bracket contents).
 */
import type { SyntaxNode } from "@lezer/common";
import type { Expr, Span } from "./ast";

/** The source text (for names, literals and operator spellings) and the current nesting depth. */
export interface Ctx {
  readonly src: string;
  depth: number;
  /** Offsets of float literals' trailing dots that lezer did not see (`0. else`, parse.ts). */
  readonly floatDots?: ReadonlySet<number>;
}

/**
 * Nesting beyond this becomes Unsupported: lezer happily builds trees thousands
 * of levels deep (`((((…`), and recursing through them would overflow the stack.
 */
export const MAX_DEPTH = 300;

export const ERROR = "⚠";

export function spanOf(n: SyntaxNode): Span {
  return { from: n.from, to: n.to };
}

export function spanOfList(nodes: readonly SyntaxNode[], at: number): Span {
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  return first && last ? { from: first.from, to: last.to } : { from: at, to: at };
}

export function text(ctx: Ctx, n: SyntaxNode): string {
  return ctx.src.slice(n.from, n.to);
}

/** Children without comments (lezer puts `Comment` anywhere, even inside argument lists). */
export function kids(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== "Comment") out.push(c);
  return out;
}

/** Split a token sequence on separator tokens (`,`, `:`); separators are dropped. */
export function splitOn(nodes: readonly SyntaxNode[], sep: string): SyntaxNode[][] {
  const groups: SyntaxNode[][] = [[]];
  for (const n of nodes) {
    if (n.name === sep) groups.push([]);
    else groups[groups.length - 1]?.push(n);
  }
  return groups;
}

/** Children between an opening and a closing bracket token (the closer may be missing after an error). */
export function inner(n: SyntaxNode, open: string, close: string): SyntaxNode[] {
  const k = kids(n);
  const start = k[0]?.name === open ? 1 : 0;
  const end = k.length > start && k[k.length - 1]?.name === close ? k.length - 1 : k.length;
  return k.slice(start, end);
}

export function unsupported(what: string, span: Span): Expr {
  return { kind: "Unsupported", what, span };
}
