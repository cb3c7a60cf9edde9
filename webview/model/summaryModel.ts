/**
 * Text for the header (model summary and totals) and the details pane (one
 * layer), kept here so the renderers stay free of formatting decisions.
 */
import {
  opLabel,
  PER_SAMPLE,
  valueLabel,
  type LayerRow,
  type ModelAnalysis,
  type QuantParams,
  type ValueSummary,
} from "../../src/core/analysis/result";
import {
  formatBytes,
  formatCount,
  formatExact,
  formatRf,
  formatRfNumber,
  formatShape,
  NOT_APPLICABLE,
} from "./format";
import { MAC_CONVENTION } from "./tableColumns";
import { paramsNotes, paramsTotalText } from "../../src/core/analysis/paramNotes";

export interface TotalView {
  readonly testId: string;
  readonly label: string;
  readonly text: string;
  /** Raw number for `data-value`: String(n), "" when unknown; absent for non-numeric totals. */
  readonly dataValue?: string;
  readonly title: string;
}

export interface HeaderView {
  readonly model: string;
  /** "ONNX · pytorch 2.5 · opset 17 · IR 8"; for a class in a source file "— models.py · PyTorch". */
  readonly meta: string;
  readonly weightless: boolean;
  /** Set when a symbolic batch was counted as 1: the badge text and what it means. */
  readonly perSample: { readonly text: string; readonly title: string } | null;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly totals: readonly TotalView[];
  /** What the params total holds beyond the traced layers: an unknown part, layers forward never calls. */
  readonly paramNotes: readonly string[];
  readonly warnings: readonly string[];
}

/** "input: 1×3×224×224 float32"; a source model's values by the source's names ("x: …"). */
export function describeValue(v: ValueSummary): string {
  return `${valueLabel(v)}: ${formatShape(v.shape)} ${v.dtype}`;
}

/** How the header names the framework a source model is written in. */
const SOURCE_FRAMEWORKS: Readonly<Record<string, string>> = { pytorch: "PyTorch", keras: "Keras" };

/**
 * The model's origin: the file and framework of a source class, else the file's format, producer and
 * versions.
 */
function modelMeta(a: ModelAnalysis): string {
  if (a.definedIn) {
    const { className, file } = a.definedIn;
    // A model the script builds is titled by its variable; its class is named beside it.
    const framework = SOURCE_FRAMEWORKS[a.format] ?? a.format;
    return `${className === a.model ? "" : `${className} `}— ${file} · ${framework}`;
  }
  // Opset and IR version are an ONNX file's; other formats are read into opset 17 by us, which tells nothing.
  const versions = a.format.toLowerCase() === "onnx" ? [`opset ${a.opset}`, `IR ${a.irVersion}`] : [];
  return [a.format, a.producer, ...versions].filter((s) => s.trim() !== "").join(" · ");
}

const raw = (n: number | null): string => (n === null ? "" : String(n));

export function headerView(a: ModelAnalysis): HeaderView {
  const t = a.totals;
  const notes = paramsNotes(a, formatCount);
  const sample = a.batchAssumed?.length ? " per sample" : "";
  return {
    model: a.model,
    meta: modelMeta(a),
    weightless: a.weightless,
    perSample: a.batchAssumed?.length
      ? {
          text: PER_SAMPLE,
          title: `${a.batchAssumed.map((b) => `Input "${b.input}" has a symbolic batch "${b.symbol}"`).join("; ")}: it is counted as 1, so shapes, MACs, FLOPs and bytes are for one sample. Set convlens.inputShapes for another batch.`,
        }
      : null,
    inputs: a.inputs.map(describeValue),
    outputs: a.outputs.map(describeValue),
    totals: [
      {
        testId: "total-params",
        label: "Params",
        text: paramsTotalText(t, formatCount),
        dataValue: raw(t.params),
        title: [
          `${t.paramsUnknown?.length ? "at least " : ""}${formatExact(t.params)} parameters`,
          ...notes,
        ].join("\n"),
      },
      ...(t.paramBytes === undefined
        ? []
        : [
            {
              testId: "total-weight-bytes",
              label: "Weights",
              text: formatBytes(t.paramBytes),
              dataValue: raw(t.paramBytes),
              title: `${formatExact(t.paramBytes)} bytes: the parameters in their stored types (int8 one byte each, float32 four)`,
            },
          ]),
      {
        testId: "total-macs",
        label: `MACs${sample}`,
        text: formatCount(t.macs),
        dataValue: raw(t.macs),
        title: `${formatExact(t.macs)}\n${MAC_CONVENTION}`,
      },
      {
        testId: "total-flops",
        label: `FLOPs${sample}`,
        text: formatCount(t.flops),
        dataValue: raw(t.flops),
        title: `${formatExact(t.flops)}\n${MAC_CONVENTION}`,
      },
      {
        testId: "total-activation",
        label: `Activations${sample}`,
        text: formatBytes(t.activationBytes),
        dataValue: raw(t.activationBytes),
        title: `Sum of every layer's output bytes: ${formatExact(t.activationBytes)}`,
      },
      {
        testId: "peak-activation",
        label: `Peak memory${sample}`,
        text: formatBytes(t.peakActivationBytes),
        dataValue: raw(t.peakActivationBytes),
        title: `Largest sum of live tensors running layers in order: ${formatExact(t.peakActivationBytes)} bytes`,
      },
      {
        testId: "final-rf",
        label: "Final RF",
        text: formatRf(a.finalRf),
        title: "Largest spatial receptive field reached before the model goes global",
      },
    ],
    paramNotes: notes,
    warnings: a.warnings,
  };
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly title?: string;
}

export interface RfAxisView {
  readonly axis: string;
  readonly size: string;
  readonly stride: string;
  readonly start: string;
}

export interface LinkView {
  readonly index: number;
  readonly label: string;
}

export interface DetailsView {
  readonly name: string;
  readonly id: string;
  /** Where the node id comes from: the model file, or the graph traced from a source class. */
  readonly idOrigin: string;
  readonly index: number;
  /** The op as the model's language names it (`Linear` in a PyTorch class, `Gemm` in an ONNX file). */
  readonly opType: string;
  /** The runnable graph's op when the source names it otherwise (`Gemm` under `Linear`). */
  readonly graphOp?: string;
  readonly metrics: readonly KeyValue[];
  /** "global", "—" or per-axis rows. */
  readonly rf: string | readonly RfAxisView[];
  readonly rfMisaligned: boolean;
  /** The local field is also rescaled by a channel gate that sees the whole input. */
  readonly rfGlobalContext: boolean;
  readonly inputs: readonly KeyValue[];
  readonly outputs: readonly KeyValue[];
  readonly weights: readonly KeyValue[];
  /** Quantized values (QDQ, QLinear*): "input x" → "uint8 · scale 0.0187 · zero point 128". */
  readonly quantization: readonly KeyValue[];
  /** If / Loop / Scan: each node of its nested graphs, "body · /conv" → "Conv 1×8×16×16 · 147.46 k MACs". */
  readonly body: readonly KeyValue[];
  readonly attributes: readonly KeyValue[];
  readonly predecessors: readonly LinkView[];
  readonly successors: readonly LinkView[];
  readonly warnings: readonly string[];
}

const AXIS_NAMES = ["H", "W"];

/** Axis labels: H, W for 2-D; D, H, W for 3-D; otherwise numbered. */
function axisName(i: number, count: number): string {
  if (count === 2) return AXIS_NAMES[i] ?? String(i);
  if (count === 3) return ["D", "H", "W"][i] ?? String(i);
  return count === 1 ? "L" : `axis ${i}`;
}

function valueRows(values: readonly ValueSummary[]): KeyValue[] {
  return values.map((v) => ({
    key: valueLabel(v),
    value: `${formatShape(v.shape)} ${v.dtype}`,
    ...(v.label !== undefined ? { title: `graph value ${v.name}` } : {}),
  }));
}

/** Scales and zero points as read: four significant digits, the rest elided with their count. */
function quantNumbers(xs: readonly number[], count: number | null): string {
  const shown = xs.map((x) => String(Number(x.toPrecision(4))));
  return count !== null && count > xs.length ? `${shown.join(", ")}, … (${count})` : shown.join(", ");
}

/** "int8 · scale 0.0187 · zero point 0"; per channel "int8 · 64 scales (axis 0): 0.0012, …". */
export function quantText(q: QuantParams): string {
  const perChannel = q.scaleCount !== null && q.scaleCount > 1;
  const scale =
    q.scale === null
      ? q.scaleCount === null
        ? null
        : "scale not in the file"
      : perChannel
        ? `${q.scaleCount} scales (axis ${q.axis ?? 1}): ${quantNumbers(q.scale, q.scaleCount)}`
        : `scale ${quantNumbers(q.scale, q.scaleCount)}`;
  const zp = q.zeroPoint === null ? null : `zero point ${quantNumbers(q.zeroPoint, q.scaleCount)}`;
  return [q.dtype, scale, zp].filter((x) => x !== null).join(" · ");
}

export function detailsView(layer: LayerRow, a: ModelAnalysis): DetailsView {
  const byIndex = new Map(a.layers.map((l) => [l.index, l] as const));
  const link = (i: number): LinkView => ({ index: i, label: byIndex.get(i)?.name ?? `#${i}` });
  const successors = a.layers.filter((l) => l.predecessors.includes(layer.index)).map((l) => link(l.index));
  const rf = layer.rf;
  return {
    name: layer.name,
    id: layer.id,
    idOrigin: a.definedIn
      ? "Node name in the graph traced from the source (the model the Run tab runs)"
      : "Node name in the file",
    index: layer.index,
    opType: opLabel(layer),
    ...(layer.sourceOp !== undefined ? { graphOp: layer.opType } : {}),
    metrics: [
      { key: "Params", value: formatCount(layer.params), title: formatExact(layer.params) },
      { key: "MACs", value: formatCount(layer.macs), title: `${formatExact(layer.macs)}\n${MAC_CONVENTION}` },
      { key: "FLOPs", value: formatCount(layer.flops), title: formatExact(layer.flops) },
      { key: "Output bytes", value: formatBytes(layer.outputBytes), title: formatExact(layer.outputBytes) },
    ],
    rf:
      rf === null
        ? NOT_APPLICABLE
        : rf.kind === "global"
          ? "global"
          : rf.axes.map((ax, i) => ({
              axis: axisName(i, rf.axes.length),
              size: formatRfNumber(ax.size),
              stride: formatRfNumber(ax.stride),
              start: formatRfNumber(ax.start),
            })),
    rfMisaligned: rf !== null && rf.kind === "spatial" && rf.misaligned,
    rfGlobalContext: rf !== null && rf.kind === "spatial" && rf.globalContext === true,
    inputs: valueRows(layer.inputs),
    outputs: valueRows(layer.outputs),
    weights: layer.weights.map((w) => ({ key: w.name, value: formatShape(w.shape) })),
    quantization: (layer.quant ?? []).map((q) => ({ key: `${q.role} ${q.value}`, value: quantText(q) })),
    body: (layer.body ?? []).map((r) => ({
      key: `${r.graph} · ${r.id}`,
      value: `${r.opType} ${r.outputs.map((o) => formatShape(o.shape)).join(", ")} · ${formatCount(r.macs)} MACs`,
      title: `${formatExact(r.macs)} MACs in one run of ${r.graph}`,
    })),
    attributes: Object.entries(layer.attrs).map(([key, value]) => ({ key, value })),
    predecessors: [...new Set(layer.predecessors)].map(link),
    successors,
    warnings: layer.warnings,
  };
}
