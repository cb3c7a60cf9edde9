/**
 * A Jupyter notebook as one Python program: its code cells in order, joined by
 * newlines, with IPython magics and shell lines blanked (same length, so every
 * offset stays valid). The analysis of that program is then mapped back to each
 * cell: a span lands in the cell where it starts, and a cell's view holds only
 * what lies in that cell (what lies in another cell is shown by that cell).
 */
import type { Span } from "./ast";
import { isForeignSpan } from "./moduleLoader";
import type { PythonAnalysis, TracedClass } from "./pythonModel";

export interface NotebookCellSource {
  /** Markdown and raw cells are left out of the program. */
  readonly kind: "code" | "markup";
  readonly text: string;
  /** A code cell in another language (`%%sql`-style notebooks, R cells) is left out too. */
  readonly language?: string;
}

export interface NotebookProgram {
  readonly text: string;
  /** Program offset where each input cell starts; undefined for cells left out. */
  readonly starts: readonly (number | undefined)[];
  /** The index of the cell (among all input cells) holding this program offset. */
  cellOf(offset: number): number | undefined;
  /** The span in its cell's own offsets; one that runs past the cell's end is cut there. */
  toCell(span: Span): { readonly cell: number; readonly span: Span } | undefined;
}

/** Cell magics whose body is still Python (`%%time` runs the cell and times it). */
const PYTHON_CELL_MAGICS = new Set(["time", "timeit", "capture", "prun", "debug", "autoreload"]);

/**
 * Blanks IPython syntax that is not Python: line magics (`%matplotlib inline`),
 * shell lines (`!pip install …`), `x = !ls` / `x = %env`, help lines (`model?`),
 * and whole cells under a non-Python cell magic (`%%bash`, `%%writefile`).
 */
export function blankMagics(text: string): string {
  const lines = text.split("\n");
  const cellMagic = /^\s*%%(\w+)/.exec(lines[0] ?? "");
  if (cellMagic && !PYTHON_CELL_MAGICS.has(cellMagic[1] ?? "")) return lines.map(blank).join("\n");
  return lines
    .map((line, i) => {
      if (i === 0 && cellMagic) return blank(line);
      if (/^\s*[%!]/.test(line)) return keepBlock(line);
      if (/^\s*[A-Za-z_][\w.]*\s*=\s*[%!]/.test(line)) return keepBlock(line);
      if (/^\s*[A-Za-z_][\w.]*\?\??\s*$/.test(line) || /^\s*\?\??[A-Za-z_]/.test(line))
        return keepBlock(line);
      return line;
    })
    .join("\n");
}

function blank(line: string): string {
  return " ".repeat(line.length);
}

/** An indented magic becomes `pass`, so that a block holding only the magic stays a block. */
function keepBlock(line: string): string {
  const indent = /^\s*/.exec(line)?.[0] ?? "";
  if (indent.length === 0 || line.length < indent.length + 4) return blank(line);
  return `${indent}pass${" ".repeat(line.length - indent.length - 4)}`;
}

export function notebookProgram(cells: readonly NotebookCellSource[]): NotebookProgram {
  const starts: (number | undefined)[] = [];
  const ends: number[] = [];
  const parts: string[] = [];
  let at = 0;
  for (const cell of cells) {
    const included = cell.kind === "code" && (cell.language === undefined || cell.language === "python");
    if (!included) {
      starts.push(undefined);
      ends.push(-1);
      continue;
    }
    const text = blankMagics(cell.text);
    starts.push(at);
    ends.push(at + text.length);
    parts.push(text);
    at += text.length + 1; // the newline that ends the cell's last statement
  }
  const text = parts.join("\n");
  const cellOf = (offset: number): number | undefined => {
    if (isForeignSpan({ from: offset })) return undefined;
    // The newline after a cell belongs to it: a span ending a cell may start there.
    for (let i = 0; i < cells.length; i++) {
      const s = starts[i];
      if (s !== undefined && offset >= s && offset <= (ends[i] ?? -1)) return i;
    }
    return undefined;
  };
  return {
    text,
    starts,
    cellOf,
    toCell(span) {
      const cell = cellOf(span.from);
      const s = cell === undefined ? undefined : starts[cell];
      if (cell === undefined || s === undefined) return undefined;
      const end = (ends[cell] ?? s) - s;
      return { cell, span: { from: span.from - s, to: Math.min(span.to - s, end) } };
    },
  };
}

/**
 * Marks a span that lies in another cell. It counts as foreign (as a span in an imported file
 * does), so the editor features, which skip foreign spans, skip it.
 */
export const OTHER_CELL_SPAN: Span = { from: Number.MAX_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };

/**
 * The program's analysis as one cell sees it: spans in this cell's offsets; spans elsewhere
 * marked OTHER_CELL_SPAN; diagnostics, lines, calls and parse errors of other cells left out.
 * Spans in imported files stay as they are (the features report them on the model's name).
 */
export function cellAnalysis(
  analysis: PythonAnalysis,
  program: NotebookProgram,
  cell: number,
): PythonAnalysis {
  const local = (span: Span): Span | undefined => {
    const m = program.toCell(span);
    return m?.cell === cell ? m.span : undefined;
  };
  const mapped = (span: Span): Span => (isForeignSpan(span) ? span : (local(span) ?? OTHER_CELL_SPAN));
  const here = <T>(items: readonly T[], span: (t: T) => Span, remap: (t: T, s: Span) => T): T[] =>
    items.flatMap((t) => {
      const s = span(t);
      if (isForeignSpan(s)) return [t];
      const l = local(s);
      return l ? [remap(t, l)] : [];
    });
  const view = (c: TracedClass): TracedClass => {
    const inputFrom = c.input?.from;
    const analysisView = c.analysis && {
      ...c.analysis,
      layers: c.analysis.layers.map((row) => {
        const src = row.source;
        if (!src) return row;
        return {
          ...row,
          source: { ...(src.def && { def: mapped(src.def) }), ...(src.call && { call: mapped(src.call) }) },
        };
      }),
    };
    return {
      ...c,
      span: mapped(c.span),
      nameSpan: mapped(c.nameSpan),
      ...(c.input && { input: { ...c.input, ...(inputFrom && { from: mapped(inputFrom) }) } }),
      ...(analysisView && { analysis: analysisView }),
      diagnostics: here(
        c.diagnostics,
        (d) => d.span,
        (d, span) => ({
          ...d,
          span,
          ...(d.fixes && {
            fixes: here(
              d.fixes,
              (f) => f.span,
              (f, s) => ({ ...f, span: s }),
            ),
          }),
        }),
      ),
      lines: here(
        c.lines,
        (l) => l.span,
        (l, span) => ({ ...l, span }),
      ),
      ...(c.calls && {
        calls: here(
          c.calls,
          (s) => s,
          (_, s) => s,
        ),
      }),
    };
  };
  return {
    classes: analysis.classes.map(view),
    parseErrors: here(
      analysis.parseErrors,
      (s) => s,
      (_, s) => s,
    ),
  };
}

/**
 * The cells of an `.ipynb` file (nbformat 4: `source` is a string or a list of lines). Throws a
 * one-line error on a file that is not a notebook.
 */
export function notebookCellsFromJson(text: string): NotebookCellSource[] {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw new Error(`not a Jupyter notebook (invalid JSON: ${(err as Error).message})`);
  }
  const cells = (nb as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) throw new Error("not a Jupyter notebook (no cells list)");
  const language = (nb as { metadata?: { language_info?: { name?: unknown } } }).metadata?.language_info
    ?.name;
  return cells.map((c: { cell_type?: unknown; source?: unknown }) => {
    const source = Array.isArray(c.source) ? c.source.join("") : typeof c.source === "string" ? c.source : "";
    return {
      kind: c.cell_type === "code" ? "code" : "markup",
      text: source,
      ...(typeof language === "string" ? { language } : {}),
    };
  });
}
