/**
 * A Keras model recorded while running a Python file, built through the Keras reader (in its
 * layers' data_format, channels-last by Keras's default) and analysed like a PyTorch class.
 */
import { analyzeModel } from "../../analysis/analyze";
import type { Model } from "../../ir/types";
import { ModelError } from "../../ir/types";
import type { Span } from "./ast";
import { GraphBuilder, type PyDiagnostic } from "./graphBuilder";
import {
  KerasBuildError,
  buildKeras,
  kerasLayout,
  unknownLayerNotes,
  type KerasSourceName,
} from "../keras/kerasBuild";
import type { KerasModel } from "../keras/kerasModel";
import { withSourceNames } from "./sourceNames";
import type { LineResult, PythonOptions, TracedClass } from "./pythonResult";
import { baseName } from "./traceRoot";

/** A Keras model recorded at module level, built as its layers' data_format say and analysed like a class. */
export function traceKeras(
  m: KerasModel,
  span: Span,
  opts: PythonOptions,
  sourceName: KerasSourceName,
  assumed: readonly string[] = [],
): TracedClass {
  const base = {
    name: m.name,
    span,
    nameSpan: span,
    diagnostics: [] as PyDiagnostic[],
    lines: [] as LineResult[],
    ...(assumed.length ? { assumptions: assumed } : {}),
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
  const unknownNotes = unknownLayerNotes(built.unknown);
  const graph = b.graph(built.outputs);
  const { notes: layoutNotes, ...layout } = kerasLayout(built.formats, graph);
  const notes = [...assumed, ...layoutNotes, ...unknownNotes];
  const model: Model = {
    format: "keras",
    graph,
    ...(notes.length ? { notes } : {}),
    ...(unknownNotes.length ? { paramsUnknown: built.unknown } : {}),
    opsets: { "": 17 },
    producer: "Keras source",
    irVersion: 0,
    weightless: true,
    ...layout,
  };
  try {
    // The inspector speaks Keras: `Conv2D`, `Dense`, layer names, variables (`x`), the model and its file.
    const analysis = withSourceNames(
      analyzeModel(model, {
        modelName: m.name,
        timeLimitMs: opts.timeLimitMs ?? 10_000,
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
