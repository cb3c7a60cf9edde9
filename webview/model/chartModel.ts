/**
 * Chart series derived from the layers. Capped so a 10,000-layer model does
 * not build 10,000 bars: the bar charts keep the top N layers by value (in
 * execution order, so the chart still reads left-to-right through the
 * network), and the RF line is thinned evenly.
 */
import type { LayerRow } from "../../src/core/analysis/result";

export type BarMetric = "macs" | "params";

export interface BarSeries {
  readonly labels: readonly string[];
  readonly values: readonly number[];
  readonly layerIndexes: readonly number[];
  /** Layers with a nonzero value, before capping. */
  readonly total: number;
}

export interface RfPoint {
  readonly layerIndex: number;
  readonly name: string;
  /** First spatial axis. */
  readonly size: number;
  readonly stride: number;
}

export const DEFAULT_MAX_BARS = 50;
export const DEFAULT_MAX_RF_POINTS = 2000;

function metricOf(layer: LayerRow, metric: BarMetric): number {
  return metric === "macs" ? (layer.macs ?? 0) : layer.params;
}

export function layerBarSeries(
  layers: readonly LayerRow[],
  metric: BarMetric,
  maxBars = DEFAULT_MAX_BARS,
): BarSeries {
  const nonzero = layers.filter((l) => metricOf(l, metric) > 0);
  const chosen =
    nonzero.length <= maxBars
      ? nonzero
      : [...nonzero]
          .sort((a, b) => metricOf(b, metric) - metricOf(a, metric) || a.index - b.index)
          .slice(0, maxBars);
  const inOrder = [...chosen].sort((a, b) => a.index - b.index);
  return {
    labels: inOrder.map((l) => l.name),
    values: inOrder.map((l) => metricOf(l, metric)),
    layerIndexes: inOrder.map((l) => l.index),
    total: nonzero.length,
  };
}

/** Receptive-field size and effective stride (first spatial axis) of every layer that has a spatial field. */
export function receptiveFieldSeries(
  layers: readonly LayerRow[],
  maxPoints = DEFAULT_MAX_RF_POINTS,
): RfPoint[] {
  const points: RfPoint[] = [];
  for (const layer of layers) {
    const rf = layer.rf;
    if (rf === null || rf.kind !== "spatial") continue;
    const axis = rf.axes[0];
    if (axis === undefined) continue;
    points.push({ layerIndex: layer.index, name: layer.name, size: axis.size, stride: axis.stride });
  }
  points.sort((a, b) => a.layerIndex - b.layerIndex);
  if (points.length <= maxPoints) return points;
  // Thin evenly but keep the last point: the final field is the one people look for.
  const step = points.length / maxPoints;
  const thinned: RfPoint[] = [];
  for (let i = 0; i < maxPoints - 1; i++) {
    const p = points[Math.floor(i * step)];
    if (p !== undefined) thinned.push(p);
  }
  const last = points[points.length - 1];
  if (last !== undefined) thinned.push(last);
  return thinned;
}
