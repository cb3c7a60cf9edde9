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
import { InterpError, PyRaises, raisedInPython } from "./interpErrors";
import { Interpreter } from "./interpreter";
import { NN_LAYERS } from "./nnLayers";
import { KerasBuildError, buildKeras, unknownLayerNotes, type KerasSourceName } from "../keras/kerasBuild";
import type { KerasModel } from "../keras/kerasModel";
import { parsePython } from "./parse";
import { withRegisteredParams } from "./registeredParams";
import { isModuleClass, lookupClassAttr } from "./pyClasses";
import { ParsedModules, dirOf, isForeignSpan, type SourceFiles } from "./moduleLoader";
import { ModuleSystem } from "./pyImports";
import { assignedName, type ModelInstance, type RecordedArg, type RecordedInput } from "./instances";
import { TorchHost } from "./torchHost";
import { assumeInputSize, documentedSize } from "./assumedInput";
import { withSourceNames } from "./sourceNames";

export { FOREIGN_SPAN_BASE, isForeignSpan } from "./moduleLoader";
import { bindUnfollowed } from "./unfollowedNames";
import { Scope, describe, iterate, str, type PyObject, type PyValue } from "./values";

export interface InputSpec {
  readonly shape: Dim[];
  readonly dtype: DType;
  /**
   * code = the script's own call of the model (`model(torch.randn(…))`, torchinfo, onnx export);
   * comment = `# convlens: input …`; setting = convlens.inputShapes / --input-shape;
   * assumed = derived from the first layer.
   */
  readonly source: "code" | "comment" | "setting" | "assumed";
  /** Every tensor argument when forward takes several (the first is `shape` / `dtype`). */
  readonly args?: readonly RecordedArg[];
  /** Where the code states it (source "code"). */
  readonly from?: Span;
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
  /**
   * "instance": a model the script builds (`model = Net(num_classes=10)`), named by its variable,
   * spanning the building call; "class" (the default): an nn.Module class of the file.
   */
  readonly kind?: "class" | "instance";
  /** For an instance, its class; for a class, the instance whose arguments it was analysed with. */
  readonly className?: string;
  readonly instance?: string;
  /** For an instance: where the script calls it (`model(x)`). */
  readonly calls?: readonly Span[];
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
  /** Reads the files imports resolve to; without it only torch, math and the like are known. */
  readonly files?: SourceFiles;
  /**
   * Where absolute imports are looked for after the file's own folder: workspace roots, then
   * the Python environment's site-packages (sys.path order).
   */
  readonly pythonPath?: readonly string[];
  /** Parsed library files kept between analyses (the host and the CLI hold one). */
  readonly parsedModules?: ParsedModules;
  readonly timeLimitMs?: number;
  /**
   * The input assumed for a class at its last analysis without errors (by class or variable name):
   * kept while the class is broken in a way no input size fixes.
   */
  readonly lastGoodInputs?: Readonly<Record<string, readonly Dim[]>>;
}

const INPUT_COMMENT =
  /#\s*convlens:\s*input\s+([A-Za-z0-9_×x, ]+?)(?:\s+(int64|int32|float32|float16))?\s*$/i;

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
    const dims = m[1]
      .trim()
      .split(/\s*[x×,]\s*/)
      .map((d) => (/^\d+$/.test(d) ? Number(d) : d));
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
  if (v.t === "tensor")
    return v.state.shape
      ? { text: v.state.shape.join("×"), unknown: false }
      : { text: "? (unknown: shape could not be inferred)", unknown: true };
  if (v.t === "unknown") return { text: `? (unknown: ${v.reason})`, unknown: true };
  if (v.t === "tuple" || v.t === "list") {
    const parts = (iterate(v) ?? []).map((x) => describeResult(x));
    return { text: `(${parts.map((p) => p.text).join(", ")})`, unknown: parts.some((p) => p.unknown) };
  }
  return { text: describe(v), unknown: false };
}

function traceClass(
  def: ClassDef,
  cls: PyValue,
  source: string,
  opts: PythonOptions,
  host: TorchHost,
  interp: Interpreter,
): TracedClass {
  const base = { name: def.name, span: def.span, nameSpan: def.nameSpan };
  interp.onStatement = undefined;
  const missing = requiredArgs(cls);
  if (missing.length)
    return {
      ...base,
      error: `${def.name} needs constructor arguments (${missing.join(", ")}); it is analysed where a subclass or a model passes them`,
      diagnostics: [],
      lines: [],
    };
  let root: PyValue;
  try {
    root = interp.call(cls, {
      args: [],
      kwargs: new Map(),
      argSpans: [],
      kwargSpans: new Map(),
      span: def.nameSpan,
    });
  } catch (e) {
    if (!(e instanceof InterpError)) throw e;
    const error = `cannot construct ${def.name}: ${e.message}`;
    const diagnostics: PyDiagnostic[] =
      e instanceof PyRaises ? [{ span: def.nameSpan, message: error, severity: "error" }] : [];
    return { ...base, error, diagnostics, lines: [] };
  }
  if (root.t !== "object" || !root.children)
    return { ...base, error: `cannot construct ${def.name}: ${describe(root)}`, diagnostics: [], lines: [] };
  const commented = inputFromComment(source, def.span);
  const documented = documentedSize(def);
  return traceRoot(root, { ...base, keys: [def.name], commented, documented }, opts, host, interp);
}

interface RootInfo {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  /** Names the settings may give an input shape under (class name, variable name). */
  readonly keys: readonly string[];
  readonly recorded?: RecordedInput;
  readonly commented?: InputSpec | undefined;
  /** The square size the class's docstring gives its input ("for a 1x1x32x32 input", "a 19x19 board"). */
  readonly documented?: number | undefined;
}

/** Pick the input (forced > code > comment > setting > assumed), trace forward and analyse. */
function traceRoot(
  root: PyObject,
  info: RootInfo,
  opts: PythonOptions,
  host: TorchHost,
  interp: Interpreter,
): TracedClass {
  const base = { name: info.name, span: info.span, nameSpan: info.nameSpan };
  assignPaths(root);
  const pick = (m: Readonly<Record<string, readonly Dim[]>> | undefined) =>
    info.keys.map((k) => m?.[k]).find((x) => x !== undefined);
  const fromSetting = pick(opts.inputShapes);
  const assumed = defaultInput(root, host);
  // A shape from a setting takes its dtype from the first layer (token ids for an Embedding).
  const forced = pick(opts.forcedInputShapes);
  const commented = info.commented;
  // A DataLoader's batch gives way to a comment or a setting (per-sample numbers for a batch of 128).
  const fromLoader = info.recorded?.args.every((x) => x.origin) && (commented ?? fromSetting);
  const recorded = fromLoader ? undefined : info.recorded;
  const first = recorded?.args[0];
  let input: InputSpec | undefined = forced
    ? { shape: [...forced], dtype: commented?.dtype ?? assumed?.dtype ?? "float32", source: "setting" }
    : first
      ? {
          shape: [...first.shape],
          dtype: first.dtype,
          source: "code",
          args: recorded.args,
          from: recorded.span,
        }
      : (commented ??
        (fromSetting
          ? { shape: [...fromSetting], dtype: assumed?.dtype ?? "float32", source: "setting" }
          : assumed));
  if (!input)
    return {
      ...base,
      error: `no input shape: add a comment "# convlens: input 1x3x224x224" above class ${root.cls.name}`,
      diagnostics: [],
      lines: [],
    };
  let run = traceForward(root, input, info.nameSpan, host, interp);
  if (input.source === "assumed" && input.shape.length >= 3) {
    const assumed = input;
    const solved = assumeInputSize(assumed, pick(opts.lastGoodInputs) ?? info.documented, (shape) =>
      traceForward(root, { ...assumed, shape }, info.nameSpan, host, interp),
    );
    run = solved.run;
    input = { ...input, shape: solved.shape };
  }
  const { out, b, outputs } = run;
  const lines = run.lines;
  const diagnostics = [...b.diagnostics];
  if (outputs.length === 0) {
    const why = firstUnknown(out) ?? `forward returned ${describe(out)}`;
    return {
      ...base,
      input,
      error: `cannot follow ${root.cls.name}.forward: ${why}`,
      diagnostics,
      lines: [...lines.values()],
    };
  }
  const model: Model = {
    format: "pytorch",
    graph: b.graph(outputs),
    opsets: { "": 17 },
    producer: "PyTorch source",
    irVersion: 0,
    weightless: true,
  };
  try {
    // Totals count what PyTorch registers (unused layers, nn.Parameters, tied weights once).
    const analysed = withRegisteredParams(
      analyzeModel(model, { modelName: info.name, timeLimitMs: opts.timeLimitMs ?? 10_000 }),
      root,
      host.params,
      model.graph.initializers,
    );
    // forward returned more than its known tensors (a tuple with an unknown element): say so.
    const missing = firstUnknown(out);
    const named = withSourceNames(
      analysed,
      { values: b.sourceNames, spellings: b.spellings },
      { file: baseName(opts.fileName), className: root.cls.name },
    );
    const analysis = missing
      ? { ...named, warnings: [...named.warnings, `an output of forward is unknown: ${missing}`] }
      : named;
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
  return init.def.params
    .slice(1)
    .filter((p) => !p.default && !p.star)
    .map((p) => p.name);
}

export interface Trace {
  readonly b: GraphBuilder;
  readonly out: PyValue;
  readonly outputs: string[];
  readonly lines: Map<number, LineResult>;
}

/** Run forward on a fresh graph with this input; per-statement results recorded. */
function traceForward(
  root: PyObject,
  input: InputSpec,
  span: Span,
  host: TorchHost,
  interp: Interpreter,
): Trace {
  const b = new GraphBuilder();
  const lines = new Map<number, LineResult>();
  host.startTrace(b);
  interp.onStatement = (s, v) => {
    if (!lines.has(s.from)) lines.set(s.from, { span: s, ...describeResult(v) });
  };
  interp.onBind = (name, v) => {
    if (v.t === "tensor") b.nameValue(v.value, name);
  };
  let out: PyValue;
  try {
    // Several tensors (forward(self, x, mask)) as the script passed them: positional, then keywords.
    const specs =
      input.args && input.args.length > 1 ? input.args : [{ shape: input.shape, dtype: input.dtype }];
    const args: PyValue[] = [];
    const kwargs = new Map<string, PyValue>();
    specs.forEach((a, i) => {
      const t = b.input(
        i === 0 ? "input" : (a.name ?? `input_${i}`),
        a.dtype,
        i === 0 ? input.shape : a.shape,
      );
      if (a.name) kwargs.set(a.name, t);
      else args.push(t);
    });
    out = interp.call(root, { args, kwargs, argSpans: [], kwargSpans: new Map(), span });
  } catch (e) {
    if (!(e instanceof InterpError)) throw e;
    out = { t: "unknown", reason: e.message };
  } finally {
    host.builder = undefined;
    interp.onStatement = undefined;
    interp.onBind = undefined;
  }
  const outputs = modelOutputs(out);
  return { b, out, outputs, lines };
}

/** The reason of the first unknown in a returned value (a tensor, tuple, list or dict of them). */
function firstUnknown(v: PyValue): string | undefined {
  if (v.t === "unknown") return v.reason;
  if (v.t === "tensor" && !v.state.shape) return "an output's shape could not be inferred";
  const items =
    v.t === "tuple" || v.t === "list"
      ? v.items
      : v.t === "dict"
        ? [...v.entries.values()].map((e) => e.value)
        : [];
  for (const x of items) {
    const why = firstUnknown(x);
    if (why) return why;
  }
  return undefined;
}

/**
 * The graph outputs: a tensor, the tensors of a tuple / list / namedtuple, or of a dict
 * (torchvision's segmentation models return OrderedDict(out=…, aux=…): "out" first).
 */
function modelOutputs(out: PyValue): string[] {
  const items =
    out.t === "tuple" || out.t === "list"
      ? out.items
      : out.t === "dict"
        ? [...out.entries.values()].map((e) => e.value)
        : [out];
  return items.filter((v) => v.t === "tensor").map((v) => (v.t === "tensor" ? v.value : ""));
}

/** Every nn.Module class defined at the top level of the file. */
export function analyzePythonSource(source: string, opts: PythonOptions): PythonAnalysis {
  const mod = parsePython(source);
  const parsed = opts.parsedModules ?? new ParsedModules();
  const builtinScope = new Scope();
  const files = opts.files ?? { read: () => undefined };
  const searchPath = [dirOf(opts.fileName), ...(opts.pythonPath ?? [])];
  const imports = new ModuleSystem(files, searchPath, parsed, builtinScope, (): Interpreter => interp);
  const host = new TorchHost(imports);
  const textOf = (span: Span): string =>
    isForeignSpan(span) ? (parsed.textOf(span) ?? "") : source.slice(span.from, span.to);
  const interp: Interpreter = new Interpreter(host, textOf);
  for (const [k, v] of makeBuiltins(() => interp)) builtinScope.set(k, v);
  builtinScope.set("super", host.makeSuper(interp));
  // The file runs as a script: `if __name__ == "__main__":` blocks are followed.
  const globals = new Scope(builtinScope, opts.fileName);
  globals.set("__name__", str("__main__"));
  host.instances.recording = true;
  host.instances.source = source;
  interp.onUnknownCall = (reason, a) => host.instances.unknownCalled(reason, a.args, a.span);
  // Keras functional models: the variables layer outputs are bound to name their values (`x`).
  interp.onBind = (name, v) => host.keras.bind(name, v);
  for (const s of mod.body) {
    try {
      interp.exec(s, globals);
    } catch (e) {
      if (!(e instanceof InterpError)) throw e;
      bindUnfollowed(s, globals, source, e.message);
    }
  }
  host.instances.recording = false;
  interp.onUnknownCall = undefined;
  interp.onBind = undefined;
  const classes: TracedClass[] = [];
  const defs = mod.body.filter((s): s is Extract<Stmt, { kind: "ClassDef" }> => s.kind === "ClassDef");
  const instances = host.instances.instances;
  const traced = new Map<ModelInstance, TracedClass>();
  const names = instanceNames(instances, source);
  const traceInstance = (inst: ModelInstance): TracedClass => {
    const hit = traced.get(inst);
    if (hit) return hit;
    const def = defs.find((d) => globals.get(d.def.name) === inst.obj.cls)?.def;
    const named = names.get(inst);
    const name = named?.name ?? inst.obj.cls.name;
    const info = {
      name,
      span: inst.span,
      nameSpan: named?.span ?? inst.span,
      keys: [name, inst.obj.cls.name],
      ...(inst.input ? { recorded: inst.input } : {}),
    };
    // A comment on the line that builds the model, else on its class.
    const commented =
      inputFromComment(source, inst.span) ?? (def ? inputFromComment(source, def.span) : undefined);
    const documented = def ? documentedSize(def) : undefined;
    const result = traceRoot(inst.obj, { ...info, commented, documented }, opts, host, interp);
    traced.set(inst, result);
    return result;
  };
  for (const s of defs) {
    const cls = globals.get(s.def.name);
    if (cls?.t !== "class" || !isModuleClass(cls)) continue;
    // A class the script builds is analysed as built there (its arguments, its input).
    const inst = instances.find((i) => i.obj.cls === cls);
    if (inst)
      classes.push({
        ...traceInstance(inst),
        name: s.def.name,
        span: s.def.span,
        nameSpan: s.def.nameSpan,
        kind: "class",
        instance: names.get(inst)?.name ?? "",
      });
    else classes.push(traceClass(s.def, cls, source, opts, host, interp));
  }
  for (const inst of instances)
    classes.push({
      ...traceInstance(inst),
      kind: "instance",
      className: inst.obj.cls.name,
      calls: inst.calls,
    });
  // `model(x)` where `model` could not be built: the reason, on the line that calls it.
  for (const f of host.instances.failed) {
    const callee = /^[\w.]+/.exec(source.slice(f.span.from, f.span.to))?.[0] ?? "model";
    if (classes.some((c) => c.name === callee)) continue;
    const error = `cannot build ${callee}: ${f.reason}`;
    const [first] = f.args;
    classes.push({
      name: callee,
      span: f.span,
      nameSpan: f.span,
      kind: "instance",
      error,
      ...(first ? { input: { ...first, source: "code" as const, args: f.args, from: f.span } } : {}),
      // The model itself is broken (PyTorch raises building it): an error, not just no numbers.
      diagnostics: raisedInPython(f.reason) ? [{ span: f.span, message: error, severity: "error" }] : [],
      lines: [],
      calls: [f.span],
    });
  }
  for (const k of host.keras.models) classes.push(traceKeras(k.model(), k.span, opts, host.keras.boundName));
  return { classes, parseErrors: mod.errors };
}

/** The file's base name, as the inspector's header shows it. */
function baseName(fileName: string): string {
  return fileName.split(/[\\/]/).pop() ?? fileName;
}

/** A Keras model recorded at module level, built channels-last and analysed like a class. */
function traceKeras(
  m: KerasModel,
  span: Span,
  opts: PythonOptions,
  sourceName: KerasSourceName,
): TracedClass {
  const base = {
    name: m.name,
    span,
    nameSpan: span,
    diagnostics: [] as PyDiagnostic[],
    lines: [] as LineResult[],
  };
  const b = new GraphBuilder();
  let built: ReturnType<typeof buildKeras>;
  try {
    built = buildKeras(m, b, sourceName);
  } catch (e) {
    if (!(e instanceof KerasBuildError)) throw e;
    return { ...base, error: e.message };
  }
  const input = b.inputs[0];
  const notes = unknownLayerNotes(built.unknown);
  const model: Model = {
    format: "keras",
    graph: b.graph(built.outputs),
    ...(notes.length ? { notes, paramsUnknown: built.unknown } : {}),
    opsets: { "": 17 },
    producer: "Keras source",
    irVersion: 0,
    weightless: true,
    layout: "channels_last",
  };
  try {
    // The inspector speaks Keras: `Conv2D`, `Dense`, layer names, variables (`x`), the model and its file.
    const analysis = withSourceNames(
      analyzeModel(model, {
        modelName: m.name,
        timeLimitMs: opts.timeLimitMs ?? 10_000,
        layout: "channels_last",
      }),
      { values: b.sourceNames, spellings: b.spellings },
      { file: baseName(opts.fileName), className: m.name },
    );
    return {
      ...base,
      diagnostics: b.diagnostics,
      analysis,
      model,
      ...(input?.shape
        ? { input: { shape: [...input.shape], dtype: input.dtype, source: "comment" as const } }
        : {}),
    };
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    return { ...base, error: e.message };
  }
}

/**
 * Each instance's variable (`model`), made unique (`model`, `model#2`) so the CLI and commands can pick one.
 */
function instanceNames(
  instances: readonly ModelInstance[],
  source: string,
): Map<ModelInstance, { name: string; span: Span }> {
  const out = new Map<ModelInstance, { name: string; span: Span }>();
  const used = new Map<string, number>();
  for (const inst of instances) {
    const assigned = assignedName(source, inst.span);
    const base = assigned?.name ?? `${inst.obj.cls.name}()`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    out.set(inst, { name: n === 1 ? base : `${base}#${n}`, span: assigned?.span ?? inst.span });
  }
  return out;
}
