/**
 * One model's weights as a file of their own (ONNX external data), so that every graph built from
 * the model (the Explain tab's backward graphs) refers to them instead of carrying a copy: such a
 * graph's file is a few kilobytes, and onnxruntime maps the weights from the file instead of
 * copying them out of the protobuf (ResNet-18's backward session: ~10 ms instead of 0.3–0.6 s on
 * the 2-core machine). Each tensor starts on a page boundary, as onnxruntime maps them.
 */
import type { Model, Tensor } from "../ir/types";

/** Where each large initializer of a model lies in its weights file. */
export interface WeightsLayout {
  /** Each tensor of the model that is in the file (the model's own Tensor objects) → its bytes there. */
  readonly at: ReadonlyMap<Tensor, { readonly offset: number; readonly length: number }>;
  /** The file's contents in order: the tensors' raw bytes and the zero padding between them. */
  readonly parts: readonly Uint8Array[];
  readonly length: number;
}

/** Tensors smaller than this stay in the graph's file (constants, biases of small layers). */
export const SHARED_MIN_BYTES = 1024;
const PAGE = 4096;

/** The layout of `model`'s weights file: its inline initializers of SHARED_MIN_BYTES or more. */
export function weightsLayout(model: Model): WeightsLayout {
  const at = new Map<Tensor, { offset: number; length: number }>();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const t of model.graph.initializers.values()) {
    if (t.storage.kind !== "inline" || t.storage.bytes.length < SHARED_MIN_BYTES) continue;
    const pad = (PAGE - (length % PAGE)) % PAGE;
    if (pad > 0) parts.push(new Uint8Array(pad));
    length += pad;
    at.set(t, { offset: length, length: t.storage.bytes.length });
    parts.push(t.storage.bytes);
    length += t.storage.bytes.length;
  }
  return { at, parts, length };
}

/**
 * `model` with the initializers that are in `layout` (the same Tensor objects: a graph built from
 * the model keeps them) referring to the weights file `location` (a name beside the graph's file).
 */
export function withSharedWeights(model: Model, layout: WeightsLayout, location: string): Model {
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of model.graph.initializers) {
    const place = layout.at.get(t);
    initializers.set(
      name,
      place === undefined ? t : { ...t, storage: { kind: "external", location, ...place } },
    );
  }
  return { ...model, graph: { ...model.graph, initializers } };
}
