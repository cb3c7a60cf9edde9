/**
 * PyTorch source → one analysis per nn.Module class: parse, run the module
 * body, instantiate each model class with its defaults, trace forward on a
 * symbolic input, and analyse the traced graph with the shared op table.
 */
import type { Span, Stmt } from "./ast";
import { makeBuiltins } from "./builtins";
import { InterpError, raisedInPython } from "./interpErrors";
import { Interpreter } from "./interpreter";
import { parsePython } from "./parse";
import { isModuleClass } from "./pyClasses";
import { ParsedModules, dirOf, isForeignSpan } from "./moduleLoader";
import { ModuleSystem } from "./pyImports";
import { assignedName, type ModelInstance } from "./instances";
import { TorchHost } from "./torchHost";
import { documentedSize } from "./assumedInput";
import { bindUnfollowed } from "./unfollowedNames";
import type { PythonAnalysis, PythonOptions, TracedClass } from "./pythonResult";
import { traceKeras } from "./traceKeras";
import { inputFromComment, traceClass, traceRoot } from "./traceRoot";
import { isKerasSource, kerasStopped } from "./keras";
import { Scope, str } from "./values";

export { FOREIGN_SPAN_BASE, isForeignSpan } from "./moduleLoader";
export type {
  InputSpec,
  LineResult,
  PythonAnalysis,
  PythonOptions,
  Trace,
  TracedClass,
} from "./pythonResult";
export { inputFromComment } from "./traceRoot";

/** Every nn.Module class defined at the top level of the file. */
export function analyzePythonSource(source: string, opts: PythonOptions): PythonAnalysis {
  const mod = parsePython(source);
  const parsed = opts.parsedModules ?? new ParsedModules();
  const builtinScope = new Scope();
  const files = opts.files ?? { read: () => undefined };
  const searchPath = [dirOf(opts.fileName), ...(opts.pythonPath ?? [])];
  const imports = new ModuleSystem(files, searchPath, parsed, builtinScope, (): Interpreter => interp);
  const host = new TorchHost(imports);
  if (opts.kerasBackend) host.keras.assumptions.choice = opts.kerasBackend;
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
  const stopped = new Map<Stmt, string>();
  for (const s of mod.body) {
    try {
      interp.exec(s, globals);
    } catch (e) {
      if (!(e instanceof InterpError)) throw e;
      bindUnfollowed(s, globals, source, e.message);
      stopped.set(s, e.message);
    }
  }
  host.instances.recording = false;
  interp.onUnknownCall = undefined;
  interp.onBind = undefined;
  const classes: TracedClass[] = [];
  const defs = mod.body.filter((s): s is Extract<Stmt, { kind: "ClassDef" }> => s.kind === "ClassDef");
  const ownModule = (d: (typeof defs)[number]) => {
    const cls = globals.get(d.def.name);
    return cls?.t === "class" && isModuleClass(cls);
  };
  host.instances.settleBareLayers(defs.some(ownModule));
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
      instance: true,
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
  const assumed = host.keras.assumptions.notes();
  for (const k of host.keras.models)
    classes.push(traceKeras(k.model(), k.span, opts, host.keras.boundName, assumed));
  if (host.keras.models.length === 0 && isKerasSource(source)) {
    const valueOf = (n: string) => (globals.has(n) ? globals.get(n) : undefined);
    classes.push(...kerasStopped(mod.body, stopped, valueOf, source, assumed));
  }
  return { classes, parseErrors: mod.errors };
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
