/** Text renderings of an analysis for the CLI: the fixture-schema JSON, a table, CSV and Markdown. */
import type { Dim } from "../ir/types";
import { paramsLowerBound, paramsNotes } from "./paramNotes";
import type { LayerRow, ModelAnalysis, RFInfo, UnknownParams, UnusedParams } from "./result";
import { PER_SAMPLE } from "./result";

export interface JsonLayer {
  name: string;
  type: string;
  output_shape: Dim[] | null;
  /** Every output's name, shape and dtype, present for nodes with more than one output. */
  outputs?: { name: string; shape: Dim[] | null; dtype: string }[];
  params: number;
  macs: number | null;
  /**
   * global_context: the local field is also rescaled by a channel gate that sees the whole input (absent =
   * not).
   */
  rf: { size: number[]; stride: number[]; start: number[]; global_context?: true } | null;
}

export interface JsonReport {
  model: string;
  input_shape: Dim[] | null;
  totals: {
    params: number;
    macs: number | null;
    flops: number | null;
    activation_bytes: number | null;
    /** Present when params is a lower bound: the parts not counted. */
    params_unknown?: UnknownParams[];
  };
  layers: JsonLayer[];
  /** Source models: registered parameters forward never used (in totals.params). */
  not_called?: UnusedParams[];
  /** Set when a symbolic batch was counted as 1: shapes, MACs and bytes are per sample. */
  per_sample?: { note: string; batch: { input: string; symbol: string }[] };
}

function rfJson(rf: RFInfo): JsonLayer["rf"] {
  if (rf?.kind !== "spatial") return null;
  return {
    size: rf.axes.map((a) => a.size),
    stride: rf.axes.map((a) => a.stride),
    start: rf.axes.map((a) => a.start),
    ...(rf.globalContext ? { global_context: true as const } : {}),
  };
}

/** Exactly the schema of shared/fixtures/expected/*.json (the parts we compute). */
export function jsonReport(a: ModelAnalysis): JsonReport {
  return {
    model: a.model,
    input_shape: a.inputs[0]?.shape ? [...a.inputs[0].shape] : null,
    totals: {
      params: a.totals.params,
      macs: a.totals.macs,
      flops: a.totals.flops,
      activation_bytes: a.totals.activationBytes,
      ...(a.totals.paramsUnknown?.length ? { params_unknown: [...a.totals.paramsUnknown] } : {}),
    },
    layers: a.layers.map((l) => ({
      name: l.name,
      type: l.layerType ?? l.opType,
      output_shape: l.outputs[0]?.shape ? [...l.outputs[0].shape] : null,
      ...(l.outputs.length > 1
        ? {
            outputs: l.outputs.map((o) => ({
              name: o.name,
              shape: o.shape ? [...o.shape] : null,
              dtype: o.dtype,
            })),
          }
        : {}),
      params: l.params,
      macs: l.macs,
      rf: rfJson(l.rf),
    })),
    ...(a.notCalled?.length ? { not_called: [...a.notCalled] } : {}),
    ...(a.batchAssumed?.length
      ? { per_sample: { note: PER_SAMPLE, batch: a.batchAssumed.map((b) => ({ ...b })) } }
      : {}),
  };
}

/**
 * For source-defined models (PyTorch): one entry per leaf module, in first-call order, as
 * `named_modules()` names them. A module called twice is listed once, with its first call's
 * shapes; a layer of several nodes (Linear on 3-D input = MatMul + Add) is summed; functional
 * operations in forward (additions, torch.flatten) are not layers.
 */
export function moduleReport(a: ModelAnalysis): JsonReport {
  const runs = new Map<string, LayerRow[]>();
  const closed = new Set<string>();
  let prev = "";
  for (const l of a.layers) {
    if (!l.layerType) {
      // A functional op between two calls of one module ends its first call: later calls are not its rows.
      if (runs.has(prev)) closed.add(prev);
      prev = "";
      continue;
    }
    if (prev !== l.name && runs.has(prev)) closed.add(prev);
    if (!closed.has(l.name)) runs.set(l.name, [...(runs.get(l.name) ?? []), l]);
    prev = l.name;
  }
  const base = jsonReport(a);
  return {
    ...base,
    layers: [...runs.entries()].map(([name, rows]) => {
      const last = rows[rows.length - 1] as LayerRow;
      const macs = rows.reduce<number | null>(
        (acc, r) => (acc === null || r.macs === null ? null : acc + r.macs),
        0,
      );
      return {
        name,
        type: last.layerType ?? last.opType,
        output_shape: last.outputs[0]?.shape ? [...last.outputs[0].shape] : null,
        params: rows.reduce((acc, r) => acc + r.params, 0),
        macs,
        rf: rfJson(last.rf),
      };
    }),
  };
}

/**
 * For framework definitions (Caffe, Darknet, Keras): one row per framework layer, as the
 * framework's own summary prints it. A layer built from several nodes (Darknet's conv +
 * BatchNorm + activation, a Keras LSTM with its bias) is summed, with its last node's output
 * and receptive field. Consecutive rows of one layer name only; ONNX models keep their nodes.
 */
export function byLayer(a: ModelAnalysis): ModelAnalysis {
  const merged: LayerRow[] = [];
  for (const l of a.layers) {
    const prev = merged[merged.length - 1];
    if (
      prev !== undefined &&
      l.layerType !== undefined &&
      prev.name === l.name &&
      prev.layerType === l.layerType
    ) {
      const sum = (x: number | null, y: number | null): number | null =>
        x === null || y === null ? null : x + y;
      merged[merged.length - 1] = {
        ...l,
        index: prev.index,
        id: prev.id,
        inputs: prev.inputs,
        params: prev.params + l.params,
        macs: sum(prev.macs, l.macs),
        flops: sum(prev.flops, l.flops),
        weights: [...prev.weights, ...l.weights],
        predecessors: prev.predecessors,
        warnings: [...prev.warnings, ...l.warnings],
      };
    } else merged.push(l);
  }
  // The framework's layer type names the row ("convolutional", "LSTM"), not its last node's op.
  return { ...a, layers: merged.map((l) => (l.layerType === undefined ? l : { ...l, opType: l.layerType })) };
}

export function shapeText(s: readonly Dim[] | null | undefined): string {
  return s ? s.join("×") : "?";
}

/**
 * After an RF size: the local field, plus a channel gate (squeeze-and-excitation) that sees the whole input.
 */
export const GLOBAL_CONTEXT_MARK = "+global";

export function rfText(rf: RFInfo): { size: string; stride: string; start: string } {
  if (!rf) return { size: "", stride: "", start: "" };
  if (rf.kind === "global") return { size: "global", stride: "", start: "" };
  const flag = (rf.misaligned ? " ⚠" : "") + (rf.globalContext ? ` ${GLOBAL_CONTEXT_MARK}` : "");
  return {
    size: rf.axes.map((a) => a.size).join("×") + flag,
    stride: rf.axes.map((a) => a.stride).join("×"),
    start: rf.axes.map((a) => a.start).join(","),
  };
}

/** The weights' bytes, where they are not plain float32 (a quantized or half-precision model). */
function storedBytes(t: ModelAnalysis["totals"]): string {
  return t.paramBytes && t.paramBytes !== 4 * t.params ? `, stored in ${humanBytes(t.paramBytes)}` : "";
}

/**
 * The one count format (params, MACs, FLOPs) of the CodeLens, hints, CLI and inspector:
 * 11689512 → "11.69 M" (SI, two decimals, as model cards write them); below 1000 the number
 * itself. Rounding that reaches the next unit moves to it (999,999 → "1.00 M", not "1000.00 k").
 */
export function humanCount(n: number | null): string {
  if (n === null) return "?";
  if (!Number.isFinite(n)) return String(n);
  const units = ["", "k", "M", "G", "T", "P", "E"];
  let unit = 0;
  let v = Math.abs(n);
  while (v >= 1000 && unit < units.length - 1) {
    v /= 1000;
    unit++;
  }
  if (unit === 0) return String(n);
  if (Number(v.toFixed(2)) >= 1000 && unit < units.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${n < 0 ? "-" : ""}${v.toFixed(2)} ${units[unit]}`;
}

export function humanBytes(n: number | null): string {
  if (n === null) return "?";
  const units: [number, string][] = [
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
    [2 ** 10, "KiB"],
  ];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(2)} ${u}`;
  return `${n} B`;
}

const COLUMNS = [
  "name",
  "op",
  "output shape",
  "params",
  "MACs",
  "FLOPs",
  "bytes",
  "RF size",
  "RF stride",
  "RF start",
];

/** The column heads; the ones whose numbers hold for one sample say so when the batch was assumed. */
function columnsOf(a: ModelAnalysis): string[] {
  if (!a.batchAssumed?.length) return COLUMNS;
  return COLUMNS.map((c, i) => (i === 2 || (i >= 4 && i <= 6) ? `${c} per sample` : c));
}

function rowCells(l: LayerRow): string[] {
  const rf = rfText(l.rf);
  return [
    l.name,
    l.opType,
    // Multi-output nodes (Split, TopK, LSTM, LayerNormalization's statistics) list every output.
    l.outputs.map((o) => shapeText(o.shape)).join(" ; "),
    String(l.params),
    String(l.macs ?? "?"),
    String(l.flops ?? "?"),
    String(l.outputBytes ?? "?"),
    rf.size,
    rf.stride,
    rf.start,
  ];
}

/** "per sample (batch assumed 1): " before the counts that hold for one sample only. */
function perSample(a: ModelAnalysis): string {
  return a.batchAssumed?.length ? `${PER_SAMPLE}: ` : "";
}

function totalsLines(a: ModelAnalysis): string[] {
  const t = a.totals;
  const rf = rfText(a.finalRf);
  const sampleNote = a.batchAssumed?.length ? ` (${PER_SAMPLE})` : "";
  return [
    // Opset is an ONNX notion: other formats are converted to a fixed opset that says nothing about the file.
    `model ${a.model} (${[a.format, ...(a.format === "onnx" ? [`opset ${a.opset}`] : []), ...(a.weightless ? ["weightless"] : [])].join(", ")})`,
    `inputs: ${a.inputs.map((v) => `${v.name} ${v.dtype}[${shapeText(v.shape)}]`).join(", ")}${sampleNote}`,
    `outputs: ${a.outputs.map((v) => `${v.name} ${v.dtype}[${shapeText(v.shape)}]`).join(", ")}${sampleNote}`,
    `params ${paramsLowerBound(t) ? "≥ " : ""}${t.params} (${humanCount(t.params)}${storedBytes(t)}) · ${perSample(a)}MACs ${t.macs ?? "?"} (${humanCount(t.macs)}) · FLOPs ${t.flops ?? "?"} (= 2 × MACs) · activations ${humanBytes(t.activationBytes)} (peak ${humanBytes(t.peakActivationBytes)}) · final RF ${rf.size || "none"}`,
    ...paramsNotes(a, humanCount).map((n) => `note: ${n}`),
    ...(a.batchAssumed?.length
      ? [
          `note: layer shapes, MACs and bytes are ${PER_SAMPLE}: ${a.batchAssumed.map((b) => `input "${b.input}" has batch "${b.symbol}"`).join(", ")}`,
        ]
      : []),
  ];
}

export function tableReport(a: ModelAnalysis): string {
  const rows = a.layers.map(rowCells);
  const columns = columnsOf(a);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    ...totalsLines(a),
    "",
    line(columns),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    ...a.warnings.map((w) => `warning: ${w}`),
  ].join("\n");
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvReport(a: ModelAnalysis): string {
  return [columnsOf(a), ...a.layers.map(rowCells)].map((r) => r.map(csvCell).join(",")).join("\n");
}

export function markdownReport(a: ModelAnalysis): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    ...totalsLines(a).map((l) => `${l}  `),
    "",
    `| ${columnsOf(a).join(" | ")} |`,
    `|${COLUMNS.map((_, i) => (i >= 3 && i <= 6 ? " ---: " : " --- ")).join("|")}|`,
    ...a.layers.map((l) => `| ${rowCells(l).map(esc).join(" | ")} |`),
  ].join("\n");
}
