/**
 * Exporter plumbing: layers no model input reaches. Exporters emit these as
 * Identity/Constant nodes feeding parameters to the real layers (16 of
 * ResNet-18's 65 ONNX nodes). The graph and the table hide them by default;
 * their parameters still count in every total.
 */
import type { ModelAnalysis } from "../../src/core/analysis/result";

/**
 * Layers that compute only from weights and constants. When no layer would
 * remain (a graph without inputs), none counts as plumbing.
 */
export function findConstantLayers(analysis: ModelAnalysis): Set<number> {
  const modelInputs = new Set(analysis.inputs.map((v) => v.name));
  const constants = new Set<number>();
  const ordered = [...analysis.layers].sort((a, b) => a.index - b.index);
  for (const layer of ordered) {
    const readsInput = layer.inputs.some((v) => modelInputs.has(v.name));
    if (!readsInput && layer.predecessors.every((p) => constants.has(p))) constants.add(layer.index);
  }
  return constants.size === analysis.layers.length ? new Set() : constants;
}

/**
 * The table's plumbing rows: constant layers that own no parameters. A constant layer with weights (a Keras
 * LSTM's bias folded through an Add) is part of the model's parameter count and stays listed, so the listed
 * rows always add up to the totals.
 */
export function findPlumbingRows(analysis: ModelAnalysis): Set<number> {
  const byIndex = new Map(analysis.layers.map((l) => [l.index, l]));
  return new Set([...findConstantLayers(analysis)].filter((i) => (byIndex.get(i)?.params ?? 0) === 0));
}
