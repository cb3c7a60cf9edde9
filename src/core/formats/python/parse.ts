/**
 * Parsing Python source: @lezer/python's tree → the small AST of ast.ts, with the syntax errors.
 *
 * Error tolerance is the point: the editor sends half-typed files, and every
 * class and method that can be recovered must come out. Lezer already
 * recovers locally (leaving `⚠` nodes, which are skipped here and reported in
 * `errors`); on top of that, recover.ts repairs unclosed brackets that would
 * swallow the next `def`, and a def/class whose header lost its `:` adopts the
 * more-indented statements that follow it (parseStatements.ts). Never throws.
 */
import type { SyntaxNode, Tree } from "@lezer/common";
import { parser } from "@lezer/python";
import type { PyModule, Span } from "./ast";
import { kids, type Ctx } from "./parseTokens";
import { statements } from "./parseStatements";
import { blankUnclosedBrackets } from "./recover";

const MAX_ERRORS = 20;

/**
 * Lezer reads `0. else` as the attribute `else` of 0 (and `0. if`, `0. and`…), which breaks the whole
 * expression: the dot of such a float is blanked for lezer only, and remembered (Ctx.floatDots).
 */
const FLOAT_DOT_BEFORE_KEYWORD = /(?<![\w.])\d+(\.)(?=[ \t]+(?:if|else|and|or|for|in|not|is)\b)/g;

function parseBlankingFloatDots(src: string): { tree: Tree; floatDots: Set<number> } {
  const floatDots = new Set<number>();
  const blanked = src.replace(FLOAT_DOT_BEFORE_KEYWORD, (m: string, _dot: string, at: number) => {
    floatDots.add(at + m.length - 1);
    return `${m.slice(0, -1)} `;
  });
  return { tree: parser.parse(blanked), floatDots };
}

export function parsePython(source: string): PyModule {
  let src = source;
  let { tree, floatDots } = parseBlankingFloatDots(src);
  let errors = errorSpans(tree);
  let blanked: readonly Span[] = [];
  if (errors.length > 0) {
    const repair = blankUnclosedBrackets(source);
    if (repair.blanked.length > 0) {
      src = repair.source;
      blanked = repair.blanked;
      ({ tree, floatDots } = parseBlankingFloatDots(src));
      errors = errorSpans(tree);
    }
  }
  const ctx: Ctx = { src, depth: 0, floatDots };
  return { body: statements(ctx, kids(tree.topNode)), errors: mergeErrors([...blanked, ...errors]) };
}

function errorSpans(tree: Tree): Span[] {
  const out: Span[] = [];
  tree.iterate({
    enter: (ref) => {
      if (!ref.type.isError) return;
      if (!isFloatDot(ref.node)) out.push({ from: ref.from, to: ref.to });
      return false;
    },
  });
  return out;
}

/** `255.` parses as `255 . ⚠`; parseExpr turns it back into a float, so it is no error. */
function isFloatDot(n: SyntaxNode): boolean {
  const dot = n.prevSibling;
  return n.parent?.name === "MemberExpression" && dot?.name === "." && dot.prevSibling?.name === "Number";
}

/** Sorted, one per start offset (lezer often stacks several `⚠` at one place), at most MAX_ERRORS. */
function mergeErrors(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from || b.to - a.to);
  const out: Span[] = [];
  for (const s of sorted) {
    if (out.length >= MAX_ERRORS) break;
    if (out[out.length - 1]?.from !== s.from) out.push(s);
  }
  return out;
}
