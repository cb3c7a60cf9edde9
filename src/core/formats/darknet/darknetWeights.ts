/**
 * Darknet .weights: a header (major, minor, revision, images seen) and then, layer by
 * layer in cfg order, convolutional [biases, (scales, rolling mean, rolling variance when
 * batch-normalised), weights] and connected [biases, weights] as float32.
 */
import type { Model, Tensor } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { elementCount } from "../../ir/tensorData";

export function applyDarknetWeights(model: Model, bytes: Uint8Array): { model: Model; loaded: number } {
  if (bytes.byteLength < 16) throw new ModelError("Not a Darknet .weights file: shorter than its header.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getInt32(0, true),
    minor = view.getInt32(4, true);
  // "seen" became 64-bit in format 0.2.
  let pos = 12 + (major * 10 + minor >= 2 ? 8 : 4);
  const initializers = new Map(model.graph.initializers);
  const layers = new Set<number>();
  for (const name of initializers.keys()) {
    const m = /^(\d+)\.(biases|weights)$/.exec(name);
    if (m) layers.add(Number(m[1]));
  }
  // Recurrent sections hold inner layers ("3.self.weights") whose order in the file ConvLens does not
  // follow yet: refuse rather than misplace every later tensor.
  const inner = [...initializers.keys()].find((name) => /^\d+\.\w+\.weights$/.test(name));
  if (inner)
    throw new ModelError(
      `ConvLens cannot load Darknet .weights into recurrent layers yet (layer ${inner.split(".")[0]}).`,
    );
  let loaded = 0;
  const take = (name: string) => {
    const t = initializers.get(name);
    if (!t) return;
    const n = elementCount(t.dims);
    if (pos + n * 4 > bytes.byteLength)
      throw new ModelError(`The .weights file ends before layer ${name.split(".")[0]} (${name}).`);
    const copy = new Uint8Array(bytes.subarray(pos, pos + n * 4));
    initializers.set(name, { ...t, storage: { kind: "inline", bytes: copy } } as Tensor);
    pos += n * 4;
    loaded++;
  };
  for (const i of [...layers].sort((a, b) => a - b)) {
    take(`${i}.biases`);
    if (initializers.has(`${i}.scales`))
      ["scales", "rolling_mean", "rolling_variance"].forEach((k) => take(`${i}.${k}`));
    take(`${i}.weights`);
  }
  if (pos !== bytes.byteLength)
    throw new ModelError(
      `The .weights file has ${bytes.byteLength - pos} bytes more than the cfg's layers use: it belongs to another cfg.`,
    );
  return { model: { ...model, graph: { ...model.graph, initializers } }, loaded };
}
