/**
 * The inspector's "PyTorch" column: what PyTorch traced for each layer row (Check with PyTorch),
 * set on the row that ends each module call, and the list of disagreements with the row each
 * one selects. When the static reading could not build the model at all, tracedAnalysis makes
 * rows of PyTorch's own trace, so the inspector can still show the model (MACs and receptive
 * fields unknown, said why).
 */
import { shapeText } from "./report";
import type { LayerRow, ModelAnalysis, ValueSummary } from "./result";
import type { ComparedCall, TorchTrace, TraceComparison, TracedTensor } from "./torchTrace";

/** One row's PyTorch cell. */
export interface TorchCell {
  /** PyTorch's output shape ("" when it recorded no tensor or never made the call). */
  readonly shape: string;
  /** PyTorch's parameter count of the module (on its first call). */
  readonly params?: number;
  readonly verdict: ComparedCall["verdict"];
  /** "static reading says …, PyTorch says …" for each disagreement of the call. */
  readonly messages: readonly string[];
}

export interface TorchDisagreement {
  readonly message: string;
  /** The layer row to select; null for a model-level difference or a call with no row. */
  readonly layer: number | null;
}

/** What the inspector shows of one Check with PyTorch (posted beside the analysis). */
export interface TorchColumn {
  /** "PyTorch 1.13.0 on meta" */
  readonly source: string;
  /** Layer index → PyTorch's cell, on the last row of each module call. */
  readonly cells: readonly (readonly [number, TorchCell])[];
  readonly disagreements: readonly TorchDisagreement[];
  readonly agreements: number;
  /** Calls PyTorch traced where the static reading has no value. */
  readonly filled: number;
}

function sourceOf(trace: TorchTrace): string {
  return `PyTorch ${trace.torch} on ${trace.device}`;
}

/** The column for the static analysis that `comparison` compared with PyTorch's trace. */
export function torchColumn(trace: TorchTrace, comparison: TraceComparison): TorchColumn {
  const cells: [number, TorchCell][] = [];
  const disagreements: TorchDisagreement[] = [];
  for (const call of comparison.calls) {
    const last = call.rows[call.rows.length - 1];
    if (last !== undefined)
      cells.push([
        last.index,
        {
          shape: call.traced ? shapeText(call.traced.shape) : "",
          ...(call.params !== undefined ? { params: call.params } : {}),
          verdict: call.verdict,
          messages: call.messages,
        },
      ]);
    for (const message of call.messages) disagreements.push({ message, layer: last?.index ?? null });
  }
  for (const message of comparison.totals) disagreements.push({ message, layer: null });
  return {
    source: sourceOf(trace),
    cells,
    disagreements,
    agreements: comparison.agreements,
    filled: comparison.filled.length,
  };
}

function values(tensors: readonly TracedTensor[], prefix: string): ValueSummary[] {
  return tensors.map((t, i) => ({
    name: tensors.length > 1 ? `${prefix}_${i}` : prefix,
    dtype: t.dtype as ValueSummary["dtype"],
    shape: t.shape,
  }));
}

/**
 * An analysis made of PyTorch's trace alone, for a model the static reading cannot build
 * (`why`): one row per call of a leaf module, with PyTorch's shapes and parameters. MACs,
 * FLOPs, bytes and receptive fields are unknown (nothing here says which op each layer is).
 */
export function tracedAnalysis(
  model: string,
  trace: TorchTrace,
  why: string,
): { analysis: ModelAnalysis; column: TorchColumn } {
  const modules = new Map(trace.modules.map((m) => [m.path, m]));
  const seen = new Map<string, number>();
  const layers: LayerRow[] = [];
  const cells: [number, TorchCell][] = [];
  let previous: number | null = null;
  for (const call of trace.calls) {
    const module = modules.get(call.path);
    if (!module?.leaf) continue;
    const k = seen.get(call.path) ?? 0;
    seen.set(call.path, k + 1);
    const index = layers.length;
    const parts = call.path.split(".");
    const params = k === 0 ? module.params : 0;
    layers.push({
      index,
      id: k === 0 ? call.path : `${call.path} (call ${k + 1})`,
      name: call.path,
      groups: parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join(".")),
      opType: call.type,
      layerType: call.type,
      inputs: values(call.inputs, `${call.path}.input`),
      outputs: values(call.outputs, `${call.path}.output`),
      params,
      macs: null,
      flops: null,
      outputBytes: null,
      rf: null,
      attrs: {},
      weights: [],
      predecessors: previous === null ? [] : [previous],
      warnings: [],
    });
    previous = index;
    const out = call.outputs[0];
    cells.push([
      index,
      {
        shape: out ? shapeText(out.shape) : "",
        ...(k === 0 ? { params: module.params } : {}),
        verdict: "filled",
        messages: [],
      },
    ]);
  }
  const analysis: ModelAnalysis = {
    model,
    format: "PyTorch trace",
    producer: sourceOf(trace),
    opset: 0,
    irVersion: 0,
    weightless: true,
    inputs: values(trace.inputs, "input"),
    outputs: values(trace.outputs, "output"),
    totals: {
      params: trace.params,
      macs: null,
      flops: null,
      activationBytes: null,
      peakActivationBytes: null,
    },
    finalRf: null,
    layers,
    warnings: [
      `The static reading cannot build this model (${why}): the rows are PyTorch's trace ` +
        "(Check with PyTorch); MACs, FLOPs and receptive fields are unknown.",
    ],
    analysisMs: trace.ms,
  };
  const column = { source: sourceOf(trace), cells, disagreements: [], agreements: 0, filled: cells.length };
  return { analysis, column };
}
