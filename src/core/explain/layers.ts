/**
 * Which layer an explanation uses when none is chosen, and the row its graph is built at. The
 * Explain tab (its default layer) and the host (the graphs it prepares ahead) both read these,
 * so a graph prepared ahead is the one the first Explain asks for. Pure.
 */
import type { LayerRow } from "../analysis/result";

/** The layer's output has spatial axes ([N, C, H, W] or [N, C, L]) and a spatial receptive field. */
export function isSpatial(layer: Pick<LayerRow, "rf" | "outputs">): boolean {
  return layer.rf?.kind === "spatial" && (layer.outputs[0]?.shape?.length ?? 0) >= 3;
}

/** The last layer with spatial units that is not a pooling (Grad-CAM's and the ERF's usual choice). */
export function defaultSpatialLayer(layers: readonly LayerRow[]): LayerRow | null {
  const spatial = layers.filter((l) => isSpatial(l) && l.opType !== "MaxPool" && l.opType !== "AveragePool");
  return spatial[spatial.length - 1] ?? null;
}

/**
 * The row the host builds a layer's graph at: a layer of several nodes (Linear as MatMul + Add,
 * a module applied twice) is represented by its last node, so its forward output and
 * receptive field are that row's.
 */
export function hostLayer(layer: LayerRow, layers: readonly LayerRow[]): LayerRow {
  const rows = layers.filter((l) => l.name === layer.name);
  return rows[rows.length - 1] ?? layer;
}
