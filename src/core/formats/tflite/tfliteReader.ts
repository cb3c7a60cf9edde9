/**
 * TensorFlow Lite models (`.tflite`) into the IR: the main subgraph's operators in file order,
 * NHWC as the file keeps it. The shapes the file stores for every tensor go into valueInfo, so the
 * analysis checks its own shapes against them and warns where they disagree (never shows either
 * silently). Operators the reader does not convert stay as unknown ops named after the builtin or
 * custom code, with the reason in the model's notes.
 */
import type { Model, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { Emitter, TfliteUnsupported } from "./tfliteEmit";
import { parseTflite, type TflFile, type TflTensor } from "./tfliteFile";
import { CUSTOM_CONVERTERS } from "./tfliteCustomOps";
import { CONVERTERS, OpCtx } from "./tfliteOps";

export { looksLikeTflite } from "./tfliteFile";

function info(t: TflTensor): ValueInfo {
  return { name: t.name, dtype: t.dtype, shape: t.shape };
}

function tensorAt(file: TflFile, index: number, what: string): TflTensor {
  const t = file.tensors[index];
  if (!t) throw new ModelError(`The ${what} names tensor ${index}, which is not in the file.`);
  return t;
}

export function readTflite(bytes: Uint8Array): Model {
  const file = parseTflite(bytes);
  const e = new Emitter(file.tensors);
  const notes: string[] = [];
  const unsupported = new Map<string, string>();
  file.operators.forEach((op, i) => {
    op.inputs.forEach((k) => k >= 0 && tensorAt(file, k, `operator ${i} (${op.code})`));
    const outs = op.outputs.map((k) => tensorAt(file, k, `operator ${i} (${op.code})`));
    e.begin(op);
    const convert = (op.custom ? CUSTOM_CONVERTERS : CONVERTERS)[op.code];
    let reason = op.custom ? "a custom operator" : "no converter for this builtin operator";
    if (convert) {
      try {
        const result = convert(new OpCtx(e, op));
        const results = typeof result === "string" ? [result] : result;
        if (results.length !== outs.length)
          throw new TfliteUnsupported(`${outs.length} outputs where the converter makes ${results.length}`);
        outs.forEach((out, k) => e.land(results[k] ?? "", out));
        return;
      } catch (err) {
        if (!(err instanceof TfliteUnsupported)) throw err;
        reason = err.message;
        e.rollback();
      }
    }
    e.opaque(op, reason);
    if (!unsupported.has(op.code)) unsupported.set(op.code, reason);
  });
  for (const [code, reason] of unsupported)
    notes.push(`TFLite operator ${code} is kept as an unknown op (${reason}); values after it are unknown.`);
  if (file.subgraphCount > 1)
    notes.push(`Only the main subgraph is read; ${file.subgraphCount - 1} more (IF/WHILE bodies) are not.`);
  const quantized = file.tensors.some((t) => t.quant && !t.data && !t.dtype.startsWith("float"));
  const runNotes = quantized
    ? [
        "Quantized TFLite model: onnxruntime runs it as dequantize → float op → quantize, not TFLite's integer kernels, so values may differ from TFLite's by a quantization step.",
      ]
    : [];
  const sparse = file.tensors.filter((t) => t.sparse);
  const undensified = sparse.filter((t) => t.sparse?.error);
  if (sparse.length > undensified.length) {
    const n = sparse.length - undensified.length;
    const stored = sparse.reduce((a, t) => a + (t.sparse?.error ? 0 : (t.sparse?.stored ?? 0)), 0);
    notes.push(
      `${n} sparse weight tensor${n > 1 ? "s" : ""} (${stored} stored values) densified as TFLite does; ` +
        "parameters count the dense elements, zeros included.",
    );
  }
  const inputs = file.inputs.map((k) => tensorAt(file, k, "subgraph input"));
  const outputs = file.outputs.map((k) => tensorAt(file, k, "subgraph output"));
  const produced = new Set(file.operators.flatMap((op) => op.outputs));
  for (const t of file.tensors)
    if (produced.has(t.index) && !outputs.includes(t)) e.valueInfo.set(t.name, info(t));
  return {
    format: "tflite",
    graph: {
      name: "main",
      nodes: e.nodes,
      inputs: inputs.map(info),
      outputs: outputs.map(info),
      initializers: e.initializers,
      valueInfo: e.valueInfo,
    },
    opsets: { "": 17 },
    producer: `TFLite schema v${file.version}${file.description ? ` (${file.description})` : ""}`,
    irVersion: 0,
    weightless: false,
    layout: "channels_last",
    ...(notes.length ? { notes } : {}),
    ...(runNotes.length ? { runNotes } : {}),
    ...(undensified.length
      ? {
          paramsUnknown: undensified.map((t) => ({
            path: t.name,
            reason: `a sparse tensor ConvLens cannot densify: ${t.sparse?.error ?? ""}`,
          })),
        }
      : {}),
  };
}
