/**
 * Decisions of the Run tab that need no DOM: which sample image suits the
 * model, which layers get filters, file names for saved pictures, what a layer
 * output's header says. Unit-tested under Node.
 */
import type { LayerRow } from "../../src/core/analysis/result";
import type { InputSpec } from "./inputModel";

export type RunView = "predictions" | "featureMaps" | "filters" | "explain";

export const RUN_VIEWS: readonly { readonly id: RunView; readonly label: string }[] = [
  { id: "predictions", label: "Predictions" },
  { id: "featureMaps", label: "Feature maps" },
  { id: "filters", label: "Filters" },
  { id: "explain", label: "Explain" },
];

/** Convolutions have filters to draw (ONNX Conv / ConvTranspose, or a framework's Conv1d/2d/3d). */
export function hasFilters(layer: Pick<LayerRow, "opType" | "layerType" | "weights">): boolean {
  const t = `${layer.opType} ${layer.layerType ?? ""}`;
  return /\bConv/.test(t) && layer.weights.length > 0;
}

/** What is known about a sample image once decoded. */
export interface SampleInfo {
  readonly name: string;
  readonly uri: string;
  readonly width: number;
  readonly height: number;
  /** R = G = B everywhere. */
  readonly grey: boolean;
}

/**
 * The sample that suits the input best: its size equals the model's (3 points),
 * grey for 1-channel / colour for 3-channel models (2 points), square when the input is square
 * (1 point); ties keep the host's order. Null without samples.
 */
export function pickSample(samples: readonly SampleInfo[], spec: InputSpec): SampleInfo | null {
  let best: SampleInfo | null = null;
  let bestScore = -1;
  for (const s of samples) {
    let score = 0;
    if (spec.width !== null && spec.height !== null && s.width === spec.width && s.height === spec.height)
      score += 3;
    if (spec.channels !== null && (spec.channels === 1) === s.grey) score += 2;
    if ((spec.width === spec.height) === (s.width === s.height)) score += 1;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}

/** "lenet5_digits-c1-feature-maps.png": safe on every file system. */
export function pngName(model: string, ...parts: readonly string[]): string {
  const clean = (s: string): string =>
    s
      .replace(/[^A-Za-z0-9_.-]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 60);
  return `${[model, ...parts]
    .map(clean)
    .filter((s) => s !== "")
    .join("-")}.png`;
}

/** "1×6×28×28". */
export function shapeText(dims: readonly (number | string)[]): string {
  return dims.length === 0 ? "scalar" : dims.join("×");
}

/** Key of a set of layers for the runnable cache. */
export function layersKey(layers: readonly number[]): string {
  return [...layers].sort((a, b) => a - b).join(",");
}

/** "12.3 ms", "1.24 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** An image the user picked in the workspace, as a webview URL. */
export interface PickedImage {
  readonly name: string;
  readonly uri: string;
}

/** A convolution's weights for the filter grid. */
export interface FilterWeights {
  readonly layerIndex: number;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}
