/**
 * Source-level repair for the one error lezer recovers from badly: an
 * unclosed bracket (a half-typed `x = self.conv(`). Inside brackets newlines
 * are insignificant, so lezer keeps reading the following `def forward(...)`
 * or `class B:` as part of that expression and the method or class vanishes
 * from the tree. A Python `def`/`class` keyword can never legitimately start
 * a line inside brackets, so when one does, the lines holding the unclosed
 * brackets are blanked with spaces (offsets unchanged) and the file is parsed
 * again. Only used when the first parse already had errors.
 */
import type { Span } from "./ast";

const DEF_AT = /(?:async[ \t]+def|def|class)\b/y;
/** A def/class header with an unclosed `(`: lezer copes with those, and blanking would lose the class. */
const HEADER = /^[ \t]*(?:async[ \t]+def|def|class)\b/;

export interface Repair {
  readonly source: string;
  /** The blanked ranges (reported as parse errors). */
  readonly blanked: readonly Span[];
}

export function blankUnclosedBrackets(src: string): Repair {
  const blanked: Span[] = [];
  let open: number[] = []; // offsets of unclosed ( [ {
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10 /* \n */) {
      i++;
      if (open.length > 0) {
        let p = i;
        while (p < n && (src[p] === " " || src[p] === "\t")) p++;
        DEF_AT.lastIndex = p;
        if (DEF_AT.test(src)) {
          blankLinesOf(src, open, blanked);
          open = [];
        }
      }
    } else if (c === 35 /* # */) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
    } else if (c === 34 /* " */ || c === 39 /* ' */) {
      i = skipString(src, i);
    } else if (c === 40 || c === 91 || c === 123 /* ( [ { */) {
      open.push(i++);
    } else if (c === 41 || c === 93 || c === 125 /* ) ] } */) {
      open.pop();
      i++;
    } else {
      i++;
    }
  }
  if (blanked.length === 0) return { source: src, blanked };
  let out = "";
  let at = 0;
  for (const s of blanked) {
    out += src.slice(at, s.from) + " ".repeat(s.to - s.from);
    at = s.to;
  }
  return { source: out + src.slice(at), blanked };
}

/** Blank (from the first non-blank character to the end of line) each line holding an unclosed bracket. */
function blankLinesOf(src: string, open: readonly number[], blanked: Span[]): void {
  const first = open[0];
  if (first === undefined) return;
  if (HEADER.test(src.slice(lineStart(src, first), first))) return;
  let lastLine = -1;
  for (const pos of open) {
    const start = lineStart(src, pos);
    if (start === lastLine) continue;
    lastLine = start;
    let from = start;
    while (src[from] === " " || src[from] === "\t") from++;
    let to = src.indexOf("\n", pos);
    if (to < 0) to = src.length;
    if (src[to - 1] === "\r") to--;
    if (to > from) blanked.push({ from, to });
  }
}

function lineStart(src: string, pos: number): number {
  return src.lastIndexOf("\n", pos - 1) + 1;
}

/**
 * Index just past the string starting at `i` (a quote); an unterminated one-line string ends at the newline.
 */
function skipString(src: string, i: number): number {
  const q = src[i] as string;
  const triple = src.startsWith(q + q + q, i);
  let j = i + (triple ? 3 : 1);
  while (j < src.length) {
    const ch = src[j];
    if (ch === "\\") j += 2;
    else if (triple ? src.startsWith(q + q + q, j) : ch === q) return j + (triple ? 3 : 1);
    else if (!triple && ch === "\n") return j;
    else j++;
  }
  return src.length;
}
