/**
 * The analysis of one model as plain JSON: what the CLI prints and what the
 * host posts to the inspector webview (never the model bytes themselves).
 */
import type { Dim, DType, SourceInfo } from "../ir/types";
import type { BodyRow } from "../ops/types";
import type { RFAxis, RFInfo } from "../fields/receptiveField";

export type { BodyRow, RFAxis, RFInfo };

export interface ValueSummary {
  readonly name: string;
  readonly dtype: DType;
  /** null when the shape could not be inferred. */
  readonly shape: readonly Dim[] | null;
  /**
   * Source models: the value as the source names it (`x`, `out`; `c1` for what layer c1 returns
   * unnamed). `name` stays the graph's name, which the runnable model and the Run tab use.
   */
  readonly label?: string;
}

export interface LayerRow {
  /** Position in topological order. */
  readonly index: number;
  /** Node name as in the file (unique within the model). */
  readonly id: string;
  /** PyTorch module path when the node name carries one, else the node name. */
  readonly name: string;
  /** Module groups from outermost to innermost, e.g. ["layer1", "layer1.0", "layer1.0.conv1"]. */
  readonly groups: readonly string[];
  readonly opType: string;
  /** The framework's layer type (e.g. "Conv2d") for source-defined models. */
  readonly layerType?: string;
  /**
   * Source models: the op as the source names it — the layer type (`Conv2d`), the function or
   * operator (`F.relu`, `view`, `+`); where one call made several nodes, with the node's op
   * (`Linear · MatMul`). `opType` stays the graph's op.
   */
  readonly sourceOp?: string;
  /** Source location for source-defined models. */
  readonly source?: SourceInfo;
  readonly inputs: readonly ValueSummary[];
  readonly outputs: readonly ValueSummary[];
  readonly params: number;
  /** null when a dimension it needs is unknown. */
  readonly macs: number | null;
  readonly flops: number | null;
  readonly outputBytes: number | null;
  readonly rf: RFInfo;
  /** Attributes formatted for display. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Parameter tensors this node owns (counted in params). */
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /** If / Loop / Scan: the nodes of its nested graphs, as one run of each analysed them. */
  readonly body?: readonly BodyRow[];
  /** Quantized values this layer reads or writes (QDQ pairs, QLinear* ops): dtype, scale, zero point. */
  readonly quant?: readonly QuantParams[];
  /** Indexes of the layers producing this layer's inputs. */
  readonly predecessors: readonly number[];
  /** e.g. "unknown: no rule for op Foo". */
  readonly warnings: readonly string[];
}

/** The label of every count that holds for one sample because a symbolic batch was counted as 1. */
export const PER_SAMPLE = "per sample (batch assumed 1)";

/** How one value is quantized: real = scale × (stored − zero point). */
export interface QuantParams {
  /** The value's role at this layer ("input", "weight", "output", "bias") and its name. */
  readonly role: string;
  readonly value: string;
  /** The stored integer type (int8, uint8, int4, …). */
  readonly dtype: DType;
  /** The first scales (one per tensor, or per channel); null when the file does not hold them. */
  readonly scale: readonly number[] | null;
  readonly zeroPoint: readonly number[] | null;
  /** How many scales there are (1 = per tensor; else per channel along `axis`). */
  readonly scaleCount: number | null;
  readonly axis?: number;
}

/** A part of a model whose parameters cannot be counted: its module path and why. */
export interface UnknownParams {
  readonly path: string;
  readonly reason: string;
}

/**
 * Registered parameters the traced forward never used: a module (or a parameter) path, its type, its count.
 */
export interface UnusedParams {
  readonly path: string;
  /** The layer or class name, or "Parameter" for an nn.Parameter attribute. */
  readonly type: string;
  readonly params: number;
}

export interface Totals {
  /** Source models: every registered parameter counted once, as PyTorch's model.parameters(). */
  readonly params: number;
  /** Set when params is a lower bound: the parts whose parameters are not known. */
  readonly paramsUnknown?: readonly UnknownParams[];
  /** Bytes of the counted parameters in their stored dtypes (an int8 model: about one per param). */
  readonly paramBytes?: number;
  /** null when some layer's MACs are unknown. */
  readonly macs: number | null;
  readonly flops: number | null;
  /** Sum of every layer's output bytes. */
  readonly activationBytes: number | null;
  /** Largest sum of live tensors when layers run in topological order. */
  readonly peakActivationBytes: number | null;
}

export interface ModelAnalysis {
  /** File name without extension. */
  readonly model: string;
  readonly format: string;
  readonly producer: string;
  readonly opset: number;
  readonly irVersion: number;
  readonly weightless: boolean;
  readonly inputs: readonly ValueSummary[];
  readonly outputs: readonly ValueSummary[];
  readonly totals: Totals;
  /** The largest spatial receptive field reached in the model (before it goes global). */
  readonly finalRf: RFInfo;
  readonly layers: readonly LayerRow[];
  /**
   * Source models: registered parameters forward never used (aux heads, spare layers); totals.params includes
   * them.
   */
  readonly notCalled?: readonly UnusedParams[];
  /**
   * Inputs whose symbolic batch dim was counted as 1: every shape, MAC and byte count is then per
   * sample, and says so (PER_SAMPLE). Absent when no batch was assumed.
   */
  readonly batchAssumed?: readonly { readonly input: string; readonly symbol: string }[];
  /** Model-level notes: unknown ops, symbols counted as 1, misaligned merges. */
  readonly warnings: readonly string[];
  readonly analysisMs: number;
  /** Source models: the file (base name) and the class the model is built from. */
  readonly definedIn?: { readonly file: string; readonly className: string };
}

/** The op type a reader of the model's own language expects: the source's name, else the graph's. */
export function opLabel(layer: Pick<LayerRow, "opType" | "sourceOp">): string {
  return layer.sourceOp ?? layer.opType;
}

/** A value's name as the model's source calls it, else the graph's name. */
export function valueLabel(v: Pick<ValueSummary, "name" | "label">): string {
  return v.label ?? v.name;
}
