/**
 * `convlens` command line, on the same core as the extension:
 *   convlens summary FILE [--input-shape 1x3x224x224] [--format table|json|csv|md]
 *   convlens run MODEL [--input IMAGE|noise] [--format json]
 * convlens explain MODEL --input IMAGE --method (see CLI_METHODS in core/explain/methods.ts) [--layer NAME]
 * [--channel K] [--class K] [--out map.png] [--format json]
 * Exit 0 on success, 2 with a one-line message on bad input or bad usage.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { analyzeFile, ModelError, type ModelAnalysis } from "./core/index";
import {
  byLayer,
  csvReport,
  jsonReport,
  markdownReport,
  moduleReport,
  tableReport,
} from "./core/analysis/report";
import {
  type NotebookCellSource,
  notebookCellsFromJson,
  notebookProgram,
} from "./core/formats/python/notebookProgram";
import { analyzePythonSource } from "./core/formats/python/pythonModel";
import { NO_KERAS_MODEL, isKerasSource } from "./core/formats/python/keras";
import type { Dim } from "./core/ir/types";
import { parseShapeText } from "./core/ir/shapeText";
import { explain, writeExplain, type ExplainArgs } from "./cli/explain";
import { CLI_METHODS, isCliMethod, methodInfo } from "./core/explain/methods";
import { runModel, runText, type RunBackend } from "./cli/run";
import { CachedSourceFiles, pythonLibraryPath } from "./runtime/pythonFiles";
import {
  DEFAULT_KERAS_BACKEND,
  KERAS_BACKENDS,
  isKerasBackend,
  type KerasBackendChoice,
} from "./core/formats/python/kerasAssumptions";

const USAGE = `usage: convlens summary FILE [--input-shape 1x3x224x224] [--format table|json|csv|md] [--time-limit SECONDS]
       convlens summary MODEL.py|NOTEBOOK.ipynb [--class NAME|VARIABLE] [--python-path DIR …] [--input-shape 2x3x224x224] [--keras-backend tensorflow|jax|torch|numpy|openvino] [--format …]
       convlens run MODEL [--input IMAGE.png|noise] [--preprocess unit|imagenet|signed] [--backend auto|native|wasm] [--format table|json]
       convlens explain MODEL --input IMAGE.png --method ${CLI_METHODS.join("|")} [--layer NAME] [--channel K] [--class K] [--preprocess unit|imagenet|signed] [--backend auto|native|wasm] [--out map.png] [--format json]`;
const FORMATS = ["table", "json", "csv", "md"] as const;
type Format = (typeof FORMATS)[number];

class UsageError extends Error {}

export function parseShape(text: string): Dim[] {
  const dims = parseShapeText(text);
  if (dims === undefined) throw new UsageError(`bad --input-shape "${text}": expected dims like 1x3x224x224`);
  return dims;
}

interface Args {
  command: string;
  file: string;
  format: Format;
  inputShape?: Dim[];
  timeLimitS: number;
  options: Map<string, string>;
  /** --python-path DIR, in the order given (repeatable). */
  pythonPath: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const pythonPath: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--help" || a === "-h") throw new UsageError("");
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    if (key === "python-path") pythonPath.push(resolve(v));
    else options.set(key, v);
  }
  const known = [
    "format",
    "input-shape",
    "time-limit",
    "input",
    "method",
    "layer",
    "channel",
    "class",
    "out",
    "normalize",
    "preprocess",
    "backend",
    "keras-backend",
  ];
  // --class names a Python model class for summary, a class index for explain.
  for (const k of options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
  // "markdown" is what people type for md.
  const format = options.get("format")?.replace(/^markdown$/, "md") ?? "table";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`unknown --format "${format}" (table, json, csv or md)`);
  const [command, file] = positional;
  if (!["summary", "explain", "run"].includes(command ?? "") || !command || !file || positional.length > 2)
    throw new UsageError("");
  const shape = options.get("input-shape");
  // The file's absolute path: relative imports (`from ..ops import x`) walk up from its folder.
  return {
    command,
    file: resolve(file),
    format: format as Format,
    timeLimitS: Number(options.get("time-limit") ?? 30),
    options,
    pythonPath,
    ...(shape ? { inputShape: parseShape(shape) } : {}),
  };
}

function intOption(options: Map<string, string>, key: string): number | undefined {
  const v = options.get(key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${key} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

async function runExplain(args: Args): Promise<number> {
  const method = args.options.get("method") ?? "";
  if (!isCliMethod(method)) throw new UsageError(`--method must be one of ${CLI_METHODS.join(", ")}`);
  const input = args.options.get("input");
  if (methodInfo(method).inputs === "image" && !input)
    throw new UsageError("--input IMAGE.png is required for this method");
  if (input && !existsSync(input)) throw new ModelError(`no such image: ${input}`);
  const normalize = args.options.get("preprocess") ?? args.options.get("normalize") ?? "unit";
  if (!["unit", "imagenet", "signed"].includes(normalize))
    throw new UsageError("--preprocess must be unit, imagenet or signed");
  const backend = args.options.get("backend") ?? "auto";
  if (!["auto", "native", "wasm"].includes(backend))
    throw new UsageError("--backend must be auto, native or wasm");
  const e: ExplainArgs = {
    backend: backend as NonNullable<ExplainArgs["backend"]>,
    model: args.file,
    method,
    json: args.format === "json",
    normalize: normalize as ExplainArgs["normalize"],
    ...(input ? { input } : {}),
    ...(args.options.get("layer") ? { layer: args.options.get("layer") as string } : {}),
    ...(args.options.get("out") ? { out: args.options.get("out") as string } : {}),
    ...(intOption(args.options, "channel") !== undefined
      ? { channel: intOption(args.options, "channel") as number }
      : {}),
    ...(intOption(args.options, "class") !== undefined
      ? { classIndex: intOption(args.options, "class") as number }
      : {}),
  };
  const result = await explain(e);
  process.stdout.write(writeExplain(result, e) + "\n");
  return 0;
}

/**
 * `convlens summary model.py [--class NAME] [--python-path DIR …]`: the PyTorch source path,
 * leaf modules as layers. NAME is a model class or a module-level instance (`model`); imports
 * are looked for beside the file, in each --python-path, then in python3's sys.path.
 */
function notebookCells(text: string): NotebookCellSource[] {
  try {
    return notebookCellsFromJson(text);
  } catch (e) {
    throw new ModelError((e as Error).message);
  }
}

/** --keras-backend, else KERAS_BACKEND (as Keras reads it), else Keras's default tensorflow. */
function kerasBackendOption(flag: string | undefined): KerasBackendChoice {
  if (flag !== undefined) {
    if (!isKerasBackend(flag))
      throw new UsageError(`unknown --keras-backend "${flag}" (${KERAS_BACKENDS.join(", ")})`);
    return { name: flag, from: "--keras-backend" };
  }
  const env = process.env["KERAS_BACKEND"];
  if (isKerasBackend(env)) return { name: env, from: "KERAS_BACKEND; --keras-backend changes it" };
  return { ...DEFAULT_KERAS_BACKEND, from: "Keras's default; --keras-backend changes it" };
}

async function summarizePython(args: Args): Promise<number> {
  const text = readFileSync(args.file, "utf8");
  // A notebook is read as one program of its code cells; its messages name the cell.
  const notebook = args.file.endsWith(".ipynb") ? notebookProgram(notebookCells(text)) : undefined;
  const source = notebook?.text ?? text;
  const wanted = args.options.get("class");
  const environment = await pythonLibraryPath("python3");
  const shapes = wanted && args.inputShape ? { [wanted]: args.inputShape } : undefined;
  const result = analyzePythonSource(source, {
    fileName: args.file,
    files: new CachedSourceFiles(),
    pythonPath: [...args.pythonPath, ...environment],
    ...(shapes ? { forcedInputShapes: shapes } : {}),
    kerasBackend: kerasBackendOption(args.options.get("keras-backend")),
  });
  const models = result.classes.filter((c) => !c.error?.includes("needs constructor arguments"));
  // The model the script builds, when it builds one; else the file's only model class.
  const instances = models.filter((c) => c.kind === "instance");
  const only = instances.length === 1 ? instances : models;
  const cls = wanted
    ? result.classes.find((c) => c.name === wanted)
    : only.length === 1
      ? only[0]
      : undefined;
  if (!cls && models.length === 0 && isKerasSource(source))
    throw new ModelError(`${args.file}: ${NO_KERAS_MODEL}`);
  if (!cls) {
    const names = models.map((c) => c.name).join(", ") || "none";
    throw new UsageError(
      wanted
        ? `no model class or instance ${wanted} in ${args.file} (models: ${names})`
        : `choose a model with --class (models: ${names})`,
    );
  }
  const lineOf = (offset: number): string => {
    const cell = notebook?.cellOf(offset);
    const start = cell === undefined ? 0 : (notebook?.starts[cell] ?? 0);
    const line = source.slice(start, offset).split("\n").length;
    return cell === undefined ? `${line}` : `cell ${cell + 1}:${line}`;
  };
  for (const d of cls.diagnostics)
    process.stderr.write(
      `${args.file}:${lineOf(d.span.from)}: ${d.severity}: ${d.message}${d.fixes?.[0] ? ` (fix: ${d.fixes[0].title})` : ""}\n`,
    );
  if (!cls.analysis) throw new ModelError(`${cls.name}: ${cls.error ?? "could not be analysed"}`);
  // The table lists them with the warnings; the other formats' stdout is data.
  if (args.format !== "table")
    for (const a of cls.assumptions ?? []) process.stderr.write(`${args.file}: note: ${a}\n`);
  process.stdout.write(render(cls.analysis, args.format, true) + "\n");
  return cls.diagnostics.some((d) => d.severity === "error") ? 2 : 0;
}

function render(analysis: ModelAnalysis, format: Format, modules = false): string {
  // Caffe / Darknet / Keras and Python sources: one row per framework layer in every format, as
  // their own summaries print them (the JSON of a source groups by module itself).
  const a = analysis.format === "onnx" ? analysis : byLayer(analysis);
  switch (format) {
    case "json":
      return JSON.stringify(modules ? moduleReport(analysis) : jsonReport(a), null, 2);
    case "csv":
      return csvReport(a);
    case "md":
      return markdownReport(a);
    default:
      return tableReport(a);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (!existsSync(args.file)) throw new ModelError(`no such file: ${args.file}`);
    if (statSync(args.file).isDirectory()) throw new ModelError(`${args.file} is a folder, not a model file`);
    if (args.command === "explain") return await runExplain(args);
    if (args.command === "run") {
      const normalize = args.options.get("preprocess") ?? args.options.get("normalize") ?? "unit";
      if (!["unit", "imagenet", "signed"].includes(normalize))
        throw new UsageError("--preprocess must be unit, imagenet or signed");
      const backend = args.options.get("backend") ?? "auto";
      if (!["auto", "native", "wasm"].includes(backend))
        throw new UsageError("--backend must be auto, native or wasm");
      const r = await runModel(
        args.file,
        args.options.get("input") ?? "noise",
        normalize as ExplainArgs["normalize"],
        backend as RunBackend,
      );
      process.stdout.write((args.format === "json" ? JSON.stringify(r) : runText(r)) + "\n");
      return 0;
    }
    if (/\.(py|ipynb)$/.test(args.file)) return await summarizePython(args);
    const bytes = readFileSync(args.file);
    const dir = dirname(args.file);
    const analysis = analyzeFile(
      args.file,
      bytes,
      { siblingExists: (rel) => existsSync(join(dir, rel)) },
      {
        timeLimitMs: args.timeLimitS * 1000,
        ...(args.inputShape ? { inputShapes: { "*": args.inputShape } } : {}),
      },
    );
    process.stdout.write(render(analysis, args.format) + "\n");
    for (const w of analysis.warnings) process.stderr.write(`warning: ${w}\n`);
    const broken = analysis.layers.find((l) => l.warnings.some((w) => w.startsWith("shape error")));
    if (broken) {
      process.stderr.write(
        `convlens: ${args.file}: node "${broken.id}" (${broken.opType}): ${broken.warnings[0]}\n`,
      );
      return 2;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(e.message ? `convlens: ${e.message}\n${USAGE}\n` : `${USAGE}\n`);
      return 2;
    }
    const msg =
      e instanceof ModelError
        ? e.message
        : e instanceof Error && /PNG/.test(e.message)
          ? e.message
          : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`convlens: ${msg.split("\n")[0]}\n`);
    return 2;
  }
}

// A closed pipe (`| head`) is not an error worth a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});
// Only as the `convlens` program itself (dist/cli.js), not when another bundle (scripts/) includes main.
if (require.main === module && /(^|[\\/])cli\.[jt]s$/.test(require.main.filename))
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
