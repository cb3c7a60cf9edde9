/**
 * Decisions of the Explain view that need no DOM: the methods and what each
 * needs (a class, a layer with spatial units, a channel, ascent steps), which
 * layer a run uses, the request sent to the host, how many classes there are,
 * and what the result canvas carries for tests (data-shape, data-values). Pure.
 */
import type { LayerRow, ModelAnalysis } from "../../../src/core/analysis/result";
import {
  methodInfo,
  seedIsFed,
  type ExplainMethod,
  type GraphMethod,
} from "../../../src/core/explain/methods";
import { vectorLength } from "../predictions";
import { defaultSpatialLayer, isSpatial } from "../../../src/core/explain/layers";

/** Activation maximisation's objective: a channel's mean of the layer, or a class logit. */
export type AscentTarget = "channel" | "class";

/** Does this run use a class (and so need the predicted one when none is chosen)? */
export function runUsesClass(method: ExplainMethod, target: AscentTarget): boolean {
  return method === "activationMax" ? target === "class" : methodInfo(method).usesClass;
}

export interface LayerChoice {
  readonly layer: LayerRow | null;
  /** Why another layer than the selected one is used. */
  readonly note: string | null;
  /** No layer can be used. */
  readonly error: string | null;
}

/** The layer a run uses: the selected one when it fits, else the last spatial layer (said in a note). */
export function chooseLayer(
  method: ExplainMethod,
  selected: LayerRow | null,
  layers: readonly LayerRow[],
  target: AscentTarget = "channel",
): LayerChoice {
  const need = method === "activationMax" && target === "class" ? "none" : methodInfo(method).layer;
  if (need === "none") return { layer: null, note: null, error: null };
  if (selected !== null && (need === "any" || isSpatial(selected)))
    return { layer: selected, note: null, error: null };
  const fallback = defaultSpatialLayer(layers);
  if (fallback === null)
    return { layer: null, note: null, error: "The model has no layer with spatial units for this method." };
  const why =
    selected === null
      ? "No layer selected"
      : `${selected.name} has no spatial units (output ${(selected.outputs[0]?.shape ?? []).join("×") || "?"})`;
  return {
    layer: fallback,
    note: `${why}: using ${fallback.name}. Select a layer in the table to choose another.`,
    error: null,
  };
}

/** The number of classes when the first output is a vector, else 0 (no class picker). */
export function classCount(analysis: Pick<ModelAnalysis, "outputs">): number {
  const shape = analysis.outputs[0]?.shape;
  if (!shape || !shape.every((d): d is number => typeof d === "number")) return 0;
  const n = vectorLength(shape);
  return n !== null && n > 1 ? n : 0;
}

/** "3 · cat" with labels, "class 3" without. */
export function classLabel(index: number, labels: readonly string[] | null): string {
  const name = labels?.[index]?.trim();
  return name ? `${index} · ${name}` : `class ${index}`;
}

/** Index of the largest value (the predicted class); ties keep the first. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export interface ExplainParams {
  readonly layerIndex?: number;
  readonly channel?: number;
  readonly classIndex?: number;
}

/** FNV-1a over the float bits: tells whether the input is the one explained before. */
export function dataHash(data: Float32Array): string {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h ^= words[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${data.length}:${h.toString(16)}`;
}

/** Key of a backward graph for the runnable cache (a fed class or channel is not part of it). */
export function explainKey(method: GraphMethod, p: ExplainParams): string {
  const fed = seedIsFed(method);
  return [
    method,
    p.layerIndex ?? "-",
    fed ? "-" : (p.channel ?? "-"),
    fed ? "-" : (p.classIndex ?? "-"),
  ].join("|");
}

/** Raw values put into data-values for tests; larger maps only give their first values (data-head). */
export const MAX_DATA_VALUES = 4096;
export const HEAD_VALUES = 64;

/** The result canvas's data attributes: shape, the raw values of small maps, the first values of any. */
export function mapDataAttrs(dims: readonly number[], data: ArrayLike<number>): Record<string, string> {
  // Only the values written: a copy of all of them (150,000 for a 3×224×224 map) cost each drawing.
  const first = (n: number) => Array.from({ length: Math.min(n, data.length) }, (_, i) => data[i]!);
  const attrs: Record<string, string> = {
    "data-shape": JSON.stringify(dims),
    "data-head": JSON.stringify(first(HEAD_VALUES)),
  };
  if (data.length <= MAX_DATA_VALUES) attrs["data-values"] = JSON.stringify(first(data.length));
  return attrs;
}

/** "42 %" share of the theoretical field, with one decimal below 10 %. */
export function formatShare(share: number): string {
  const pct = share * 100;
  return pct < 10 ? `${pct.toFixed(1)} %` : `${Math.round(pct)} %`;
}
