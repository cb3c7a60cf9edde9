/**
 * One model root (a class built with its defaults, or an instance the script builds): pick its
 * input, trace forward on a symbolic tensor, and analyse the traced graph with the shared op table.
 */
import { analyzeModel } from "../../analysis/analyze";
import type { DType, Dim, Model } from "../../ir/types";
import { ModelError } from "../../ir/types";
import type { ClassDef, Span } from "./ast";
import { GraphBuilder, type PyDiagnostic } from "./graphBuilder";
import { InterpError, PyRaises } from "./interpErrors";
import type { Interpreter } from "./interpreter";
import { NN_LAYERS } from "./nnLayers";
import { withRegisteredParams } from "./registeredParams";
import { lookupClassAttr } from "./pyClasses";
import type { RecordedInput } from "./instances";
import type { TorchHost } from "./torchHost";
import { assumeInputSize, documentedSize } from "./assumedInput";
import { withSourceNames } from "./sourceNames";
import type { InputSpec, LineResult, PythonOptions, Trace, TracedClass } from "./pythonResult";
import { describe, iterate, type PyObject, type PyValue } from "./values";

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
  // A layer that is the whole model (`model = nn.LayerNorm(8)`): its own arguments, nothing else
  // (the file's other layers say nothing about its input).
  if (root.leaf) {
    const spec = NN_LAYERS[root.leaf.type];
    const d = spec?.defaultInput?.(root.leaf.args) ?? spec?.aloneInput?.(root.leaf.args);
    return d ? { ...d, source: "assumed" } : undefined;
  }
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

export function traceClass(
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

export interface RootInfo {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  /** Names the settings may give an input shape under (class name, variable name). */
  readonly keys: readonly string[];
  readonly recorded?: RecordedInput;
  readonly commented?: InputSpec | undefined;
  /** The square size the class's docstring gives its input ("for a 1x1x32x32 input", "a 19x19 board"). */
  readonly documented?: number | undefined;
  /** Built by the script (`model = …`), not a class analysed with its defaults. */
  readonly instance?: boolean;
}

/** Pick the input (forced > code > comment > setting > assumed), trace forward and analyse. */
export function traceRoot(
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
      error: info.instance
        ? `no input shape: call ${info.name} on a tensor or add "# convlens: input 1x3x224x224" on its line`
        : `no input shape: add a comment "# convlens: input 1x3x224x224" above class ${root.cls.name}`,
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

/** The file's base name, as the inspector's header shows it. */
export function baseName(fileName: string): string {
  return fileName.split(/[\\/]/).pop() ?? fileName;
}
