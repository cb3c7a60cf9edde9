/**
 * PyTorch source → one analysis per nn.Module class: parse, run the module
 * body, instantiate each model class with its defaults, trace forward on a
 * symbolic input, and analyse the traced graph with the shared op table.
 */
import { analyzeModel } from "../../analysis/analyze";
import type { ModelAnalysis } from "../../analysis/result";
import type { DType, Dim, Model } from "../../ir/types";
import { ModelError } from "../../ir/types";
import type { ClassDef, Span, Stmt } from "./ast";
import { makeBuiltins } from "./builtins";
import { GraphBuilder, type PyDiagnostic } from "./graphBuilder";
import { InterpError } from "./interpErrors";
import { Interpreter } from "./interpreter";
import { NN_LAYERS } from "./nnLayers";
import { KerasBuildError, buildKeras } from "../keras/kerasBuild";
import type { KerasModel } from "../keras/kerasModel";
import { parsePython } from "./parse";
import { withRegisteredParams } from "./registeredParams";
import { isModuleClass, lookupClassAttr } from "./pyClasses";
import { TorchHost, type ImportResolver } from "./torchHost";
import { Scope, describe, iterate, type PyObject, type PyValue } from "./values";

export interface InputSpec {
  readonly shape: Dim[];
  readonly dtype: DType;
  /** comment = `# convlens: input …`; setting = convlens.inputShapes; assumed = derived from the first layer. */
  readonly source: "comment" | "setting" | "assumed";
}

export interface LineResult {
  readonly span: Span;
  /** "1×64×56×56", "(1×20×128, …)", or "? (unknown: reason)". */
  readonly text: string;
  readonly unknown: boolean;
}

export interface TracedClass {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly input?: InputSpec;
  readonly analysis?: ModelAnalysis;
  /** The traced graph (random weights when run). */
  readonly model?: Model;
  /** Why the class could not be analysed (one line). */
  readonly error?: string;
  readonly diagnostics: readonly PyDiagnostic[];
  readonly lines: readonly LineResult[];
}

export interface PythonAnalysis {
  readonly classes: readonly TracedClass[];
  readonly parseErrors: readonly Span[];
}

export interface PythonOptions {
  readonly fileName: string;
  /** Input shapes by class name (from settings); a comment in the file wins. */
  readonly inputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Input shapes that win over comments too (the CLI's --input-shape). */
  readonly forcedInputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /**
   * The text of a sibling module (`from .blocks import BasicBlock`, `import models.blocks`):
   * `module` is the dotted name, `level` the number of leading dots. Undefined = not available.
   */
  readonly readModule?: (module: string, level: number) => string | undefined;
  readonly timeLimitMs?: number;
}

/** Spans of an imported file are shifted past this base per file, so they can never be mistaken for this file's. */
export const FOREIGN_SPAN_BASE = 1e12;

export function isForeignSpan(span: Span): boolean {
  return span.from >= FOREIGN_SPAN_BASE;
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

const INPUT_COMMENT = /#\s*convlens:\s*input\s+([A-Za-z0-9_×x, ]+?)(?:\s+(int64|int32|float32|float16))?\s*$/i;

/** `# convlens: input 1x3x224x224` on the class line or in the comment lines just above it. */
export function inputFromComment(source: string, classSpan: Span): InputSpec | undefined {
  const lines = source.slice(0, classSpan.from).split("\n");
  const classLine = source.slice(classSpan.from).split("\n")[0] ?? "";
  const candidates = [classLine];
  for (let i = lines.length - 2; i >= 0; i--) {
    const l = (lines[i] ?? "").trim();
    if (!l.startsWith("#") && !l.startsWith("@")) break;
    candidates.push(l);
  }
  for (const c of candidates) {
    const m = INPUT_COMMENT.exec(c);
    if (!m?.[1]) continue;
    const dims = m[1].trim().split(/\s*[x×,]\s*/).map((d) => (/^\d+$/.test(d) ? Number(d) : d));
    return { shape: dims, dtype: (m[2]?.toLowerCase() as DType | undefined) ?? "float32", source: "comment" };
  }
  return undefined;
}

function assignPaths(root: PyObject): void {
  const visit = (m: PyObject, prefix: string) => {
    for (const [name, child] of m.children ?? []) {
      if (child.path !== undefined) continue;
      child.path = prefix ? `${prefix}.${name}` : name;
      visit(child, child.path);
    }
  };
  root.path = "";
  visit(root, "");
}

function defaultInput(root: PyObject, host: TorchHost): InputSpec | undefined {
  // The first leaf in registration order is the first layer in nearly every model.
  const order: PyObject[] = [];
  const visit = (m: PyObject) => {
    if (m.leaf) order.push(m);
    for (const c of m.children?.values() ?? []) visit(c);
  };
  visit(root);
  for (const leaf of [...order, ...host.createdLeaves]) {
    const spec = leaf.leaf ? NN_LAYERS[leaf.leaf.type] : undefined;
    const d = spec?.defaultInput?.(leaf.leaf?.args ?? new Map());
    if (d) return { ...d, source: "assumed" };
  }
  return undefined;
}

function describeResult(v: PyValue): { text: string; unknown: boolean } {
  if (v.t === "tensor") return v.state.shape ? { text: v.state.shape.join("×"), unknown: false } : { text: "? (unknown: shape could not be inferred)", unknown: true };
  if (v.t === "unknown") return { text: `? (unknown: ${v.reason})`, unknown: true };
  if (v.t === "tuple" || v.t === "list") {
    const parts = (iterate(v) ?? []).map((x) => describeResult(x));
    return { text: `(${parts.map((p) => p.text).join(", ")})`, unknown: parts.some((p) => p.unknown) };
  }
  return { text: describe(v), unknown: false };
}

function traceClass(def: ClassDef, cls: PyValue, source: string, opts: PythonOptions, host: TorchHost, interp: Interpreter): TracedClass {
  const base = { name: def.name, span: def.span, nameSpan: def.nameSpan };
  interp.onStatement = undefined;
  const missing = requiredArgs(cls);
  if (missing.length)
    return { ...base, error: `${def.name} needs constructor arguments (${missing.join(", ")}); it is analysed where a subclass or a model passes them`, diagnostics: [], lines: [] };
  let root: PyValue;
  try {
    root = interp.call(cls, { args: [], kwargs: new Map(), argSpans: [], kwargSpans: new Map(), span: def.nameSpan });
  } catch (e) {
    if (!(e instanceof InterpError)) throw e;
    return { ...base, error: `cannot construct ${def.name}: ${e.message}`, diagnostics: [], lines: [] };
  }
  if (root.t !== "object" || !root.children) return { ...base, error: `cannot construct ${def.name}: ${describe(root)}`, diagnostics: [], lines: [] };
  assignPaths(root);
  const fromSetting = opts.inputShapes?.[def.name];
  const assumed = defaultInput(root, host);
  // A shape from a setting takes its dtype from the first layer (token ids for an Embedding).
  const forced = opts.forcedInputShapes?.[def.name];
  const commented = inputFromComment(source, def.span);
  let input: InputSpec | undefined = forced
    ? { shape: [...forced], dtype: commented?.dtype ?? assumed?.dtype ?? "float32", source: "setting" }
    : (commented ?? (fromSetting ? { shape: [...fromSetting], dtype: assumed?.dtype ?? "float32", source: "setting" } : assumed));
  if (!input) return { ...base, error: `no input shape: add a comment "# convlens: input 1x3x224x224" above class ${def.name}`, diagnostics: [], lines: [] };
  let run = traceForward(root, input, def, host, interp);
  // An assumed image size that breaks the model (LeNet's 32×32, MNIST's 28×28) is retried with other common sizes.
  if (input.source === "assumed" && input.shape.length >= 3 && run.b.diagnostics.length > 0) {
    for (const size of ASSUMED_SIZES) {
      const shape = input.shape.map((d, i) => (i >= 2 ? size : d));
      const retry = traceForward(root, { ...input, shape }, def, host, interp);
      if (retry.b.diagnostics.length === 0 && retry.outputs.length > 0) {
        run = retry;
        input = { ...input, shape };
        break;
      }
    }
  }
  const { out, b, outputs } = run;
  const lines = run.lines;
  const diagnostics = [...b.diagnostics];
  if (outputs.length === 0) {
    const why = out.t === "unknown" ? out.reason : `forward returned ${describe(out)}`;
    return { ...base, input, error: `cannot follow ${def.name}.forward: ${why}`, diagnostics, lines: [...lines.values()] };
  }
  const model: Model = { format: "pytorch", graph: b.graph(outputs), opsets: { "": 17 }, producer: "PyTorch source", irVersion: 0, weightless: true };
  try {
    // Totals count what PyTorch registers (unused layers, nn.Parameters, tied weights once).
    const analysis = withRegisteredParams(analyzeModel(model, { modelName: def.name, timeLimitMs: opts.timeLimitMs ?? 10_000 }), root, host.params, model.graph.initializers);
    return { ...base, input, analysis, model, diagnostics, lines: [...lines.values()] };
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    return { ...base, input, error: e.message, diagnostics, lines: [...lines.values()] };
  }
}

/** Parameters of the class's __init__ (through its bases) that have no default. */
function requiredArgs(cls: PyValue): string[] {
  if (cls.t !== "class") return [];
  const init = lookupClassAttr(cls, "__init__")?.value;
  if (init?.t !== "func" || "lambda" in init.def) return [];
  return init.def.params.slice(1).filter((p) => !p.default && !p.star).map((p) => p.name);
}

// Spatial sizes tried, in order, when the assumed 224 does not fit the model.
const ASSUMED_SIZES = [32, 28, 64, 96, 128, 256, 299, 112, 48, 16];

interface Trace {
  readonly b: GraphBuilder;
  readonly out: PyValue;
  readonly outputs: string[];
  readonly lines: Map<number, LineResult>;
}

/** Run forward on a fresh graph with this input; per-statement results recorded. */
function traceForward(root: PyObject, input: InputSpec, def: ClassDef, host: TorchHost, interp: Interpreter): Trace {
  const b = new GraphBuilder();
  const lines = new Map<number, LineResult>();
  host.startTrace(b);
  interp.onStatement = (span, v) => {
    if (!lines.has(span.from)) lines.set(span.from, { span, ...describeResult(v) });
  };
  let out: PyValue;
  try {
    const x = b.input("input", input.dtype, input.shape);
    out = interp.call(root, { args: [x], kwargs: new Map(), argSpans: [], kwargSpans: new Map(), span: def.nameSpan });
  } catch (e) {
    if (!(e instanceof InterpError)) throw e;
    out = { t: "unknown", reason: e.message };
  } finally {
    host.builder = undefined;
    interp.onStatement = undefined;
  }
  const outputs = (out.t === "tuple" || out.t === "list" ? out.items : [out]).filter((v) => v.t === "tensor").map((v) => (v.t === "tensor" ? v.value : ""));
  return { b, out, outputs, lines };
}

/** Every nn.Module class defined at the top level of the file. */
export function analyzePythonSource(source: string, opts: PythonOptions): PythonAnalysis {
  const mod = parsePython(source);
  const loaded = new Map<string, PyValue>();
  const texts: string[] = [];
  // Sibling modules run once each, in their own scope, with the same interpreter.
  const resolveImport: ImportResolver = (name, level) => {
    const key = `${level}:${name}`;
    const hit = loaded.get(key);
    if (hit) return hit;
    const text = opts.readModule?.(name, level);
    if (text === undefined) return undefined;
    loaded.set(key, { t: "unknown", reason: `module ${name} imports itself` });
    const scope = new Scope();
    for (const [k, v] of builtins) scope.set(k, v);
    const base = FOREIGN_SPAN_BASE * (texts.length + 1);
    texts.push(text);
    const body = shiftSpans(parsePython(text).body, base);
    for (const s of body) {
      try {
        interp.exec(s, scope);
      } catch (e) {
        if (!(e instanceof InterpError)) throw e;
      }
    }
    const value: PyValue = { t: "builtin", name, call: () => ({ t: "unknown", reason: `${name} is a module` }), attrs: (n) => scope.get(n) };
    loaded.set(key, value);
    return value;
  };
  const host = new TorchHost(resolveImport);
  const textOf = (span: Span): string => {
    const k = Math.floor(span.from / FOREIGN_SPAN_BASE);
    const base = k * FOREIGN_SPAN_BASE;
    return (k === 0 ? source : (texts[k - 1] ?? "")).slice(span.from - base, span.to - base);
  };
  const interp = new Interpreter(host, textOf);
  const builtins = makeBuiltins(() => interp);
  builtins.set("super", host.makeSuper(interp));
  const globals = new Scope();
  for (const [k, v] of builtins) globals.set(k, v);
  for (const s of mod.body) {
    try {
      interp.exec(s, globals);
    } catch (e) {
      if (!(e instanceof InterpError)) throw e;
    }
  }
  const classes: TracedClass[] = [];
  const defs = mod.body.filter((s): s is Extract<Stmt, { kind: "ClassDef" }> => s.kind === "ClassDef");
  for (const s of defs) {
    const cls = globals.get(s.def.name);
    if (cls?.t !== "class" || !isModuleClass(cls)) continue;
    classes.push(traceClass(s.def, cls, source, opts, host, interp));
  }
  for (const k of host.keras.models) classes.push(traceKeras(k.model(), k.span, opts));
  return { classes, parseErrors: mod.errors };
}

/** A Keras model recorded at module level, built channels-last and analysed like a class. */
function traceKeras(m: KerasModel, span: Span, opts: PythonOptions): TracedClass {
  const base = { name: m.name, span, nameSpan: span, diagnostics: [] as PyDiagnostic[], lines: [] as LineResult[] };
  const b = new GraphBuilder();
  let outputs: string[];
  try {
    outputs = buildKeras(m, b);
  } catch (e) {
    if (!(e instanceof KerasBuildError)) throw e;
    return { ...base, error: e.message };
  }
  const input = b.inputs[0];
  const model: Model = { format: "keras", graph: b.graph(outputs), opsets: { "": 17 }, producer: "Keras source", irVersion: 0, weightless: true, layout: "channels_last" };
  try {
    const analysis = analyzeModel(model, { modelName: m.name, timeLimitMs: opts.timeLimitMs ?? 10_000, layout: "channels_last" });
    return { ...base, diagnostics: b.diagnostics, analysis, model, ...(input?.shape ? { input: { shape: [...input.shape], dtype: input.dtype, source: "comment" as const } } : {}) };
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    return { ...base, error: e.message };
  }
}
