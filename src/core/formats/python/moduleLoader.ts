/**
 * Python's import system for the abstract interpreter: where `import a.b` and `from ..c import d`
 * find their files (the importing file's folder, the workspace, the Python environment's
 * sys.path), parsed once per file text (a library parsed for one analysis is reused by the next),
 * and run lazily — a module's body runs when one of its names is first read, and
 * `from m import *` binds each public name lazily — so `torchvision.models.resnet50()` runs
 * resnet.py and what it uses, not all of torchvision.
 */
import type { Stmt } from "./ast";
import { parsePython } from "./parse";

/** Reads source files; paths are absolute, with "/" or the platform's separator. */
export interface SourceFiles {
  /** The file's text, or undefined when there is no such file. */
  read(path: string): string | undefined;
}

/** A module found on disk: its dotted name and file (`…/pkg/__init__.py` for a package). */
export interface ModuleSpec {
  readonly name: string;
  readonly path: string;
  readonly isPackage: boolean;
}

/**
 * Spans of an imported file are shifted past this base per file, so they can never be mistaken for this
 * file's.
 */
export const FOREIGN_SPAN_BASE = 1e12;

export function isForeignSpan(span: { from: number }): boolean {
  return span.from >= FOREIGN_SPAN_BASE;
}

const split = (p: string): string[] => p.split(/[\\/]+/);
export const dirOf = (p: string): string => split(p).slice(0, -1).join("/") || "/";
const joinPath = (...parts: string[]): string => parts.filter((x) => x !== "").join("/");

/** Resolves an import to a file, as Python's path-based finder would (regular packages only). */
export function resolveModule(
  files: SourceFiles,
  name: string,
  level: number,
  importerPath: string | undefined,
  searchPath: readonly string[],
): ModuleSpec | undefined {
  const parts = name.split(".").filter(Boolean);
  const roots: string[] = [];
  if (level > 0) {
    if (!importerPath) return undefined;
    let base = dirOf(importerPath);
    for (let i = 1; i < level; i++) base = dirOf(base);
    roots.push(base);
  } else roots.push(...searchPath);
  for (const root of roots) {
    const stem = joinPath(root, ...parts);
    const asModule = `${stem}.py`;
    if (parts.length > 0 && files.read(asModule) !== undefined)
      return { name, path: asModule, isPackage: false };
    const asPackage = joinPath(stem, "__init__.py");
    if (files.read(asPackage) !== undefined) return { name, path: asPackage, isPackage: true };
  }
  return undefined;
}

interface ParsedFile {
  readonly text: string;
  readonly base: number;
  readonly body: readonly Stmt[];
  /** `__all__` when it is a literal list (then `from m import *` need not run the module to know it). */
  readonly all: readonly string[] | undefined;
}

/**
 * Parsed library files, keyed by path and checked against the text: kept across analyses (the
 * host and the CLI hold one), so an edit in the user's file re-parses only that file.
 */
export class ParsedModules {
  private readonly byPath = new Map<string, ParsedFile>();
  private readonly byBase = new Map<number, ParsedFile>();
  private next = 1;

  get(path: string, text: string): ParsedFile {
    const hit = this.byPath.get(path);
    if (hit && hit.text === text) return hit;
    if (hit) this.byBase.delete(hit.base);
    const base = FOREIGN_SPAN_BASE * this.next++;
    const body = shiftSpans(parsePython(text).body, base);
    const parsed = { text, base, body, all: literalAll(body) };
    this.byPath.set(path, parsed);
    this.byBase.set(base, parsed);
    return parsed;
  }

  /** The text of a span in an imported file (f-strings re-read their parts). */
  textOf(span: { from: number; to: number }): string | undefined {
    const base = Math.floor(span.from / FOREIGN_SPAN_BASE) * FOREIGN_SPAN_BASE;
    const f = this.byBase.get(base);
    return f?.text.slice(span.from - base, span.to - base);
  }
}

/** `__all__ = ["a", "b"]` at the top of the module, when it is a literal list of strings. */
function literalAll(body: readonly Stmt[]): string[] | undefined {
  for (const s of body) {
    if (s.kind !== "Assign" || s.targets[0]?.kind !== "Name" || s.targets[0].id !== "__all__") continue;
    const v = s.value;
    if ((v.kind === "List" || v.kind === "Tuple") && v.elts.every((e) => e.kind === "Str"))
      return v.elts.map((e) => (e.kind === "Str" ? e.value : ""));
  }
  return undefined;
}

/** Shift every {from, to} in an AST by `by` (imported files' positions are not this file's). */
function shiftSpans<T>(node: T, by: number): T {
  if (Array.isArray(node)) return node.map((n: unknown) => shiftSpans(n, by)) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = shiftSpans(v, by);
  if (typeof out["from"] === "number" && typeof out["to"] === "number") {
    out["from"] = (out["from"] as number) + by;
    out["to"] = (out["to"] as number) + by;
  }
  return out as T;
}
