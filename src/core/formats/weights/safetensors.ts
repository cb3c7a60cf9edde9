/**
 * Weights for models that have none in their definition (PyTorch source, Caffe,
 * Darknet, weightless ONNX): a .safetensors file (8-byte header length, JSON
 * header, raw little-endian data) matched to the model's parameters by name,
 * with a report of missing, unexpected and mis-shaped keys.
 */
import type { Model, Tensor } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { elementCount } from "../../ir/tensorData";

export interface StoredTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export function readSafetensors(bytes: Uint8Array): Map<string, StoredTensor> {
  if (bytes.byteLength < 8) throw new ModelError("Not a safetensors file: shorter than its header.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > bytes.byteLength)
    throw new ModelError("Not a safetensors file: bad header length.");
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as typeof header;
  } catch {
    throw new ModelError("Not a safetensors file: its header is not JSON.");
  }
  const base = 8 + headerLength;
  const out = new Map<string, StoredTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__" || !info.data_offsets || !info.shape || !info.dtype) continue;
    const [from, to] = info.data_offsets;
    if (base + to > bytes.byteLength || from > to)
      throw new ModelError(`safetensors: the data of "${name}" lies outside the file.`);
    out.set(name, { dtype: info.dtype, shape: info.shape, bytes: bytes.subarray(base + from, base + to) });
  }
  return out;
}

export interface WeightReport {
  readonly loaded: number;
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly misshaped: readonly string[];
  /** What `loaded`, `missing` and `unexpected` count: tensors (the default) or whole layers (Caffe). */
  readonly unit?: "tensors" | "layers";
}

/** 2-D [a, b] stored as [b, a] (a Linear kept as MatMul's [in, out]): transpose while copying. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c] ?? 0;
  return out;
}

export function applyWeights(
  model: Model,
  stored: ReadonlyMap<string, StoredTensor>,
): { model: Model; report: WeightReport } {
  const initializers = new Map<string, Tensor>();
  const missing: string[] = [];
  const misshaped: string[] = [];
  const used = new Set<string>();
  let loaded = 0;
  for (const [name, t] of model.graph.initializers) {
    const s = stored.get(name);
    const isParam = t.dtype === "float32" && t.storage.kind !== "inline" && t.storage.kind !== "typed";
    if (!isParam) {
      initializers.set(name, t);
      continue;
    }
    if (!s) {
      missing.push(name);
      initializers.set(name, t);
      continue;
    }
    used.add(name);
    const same = s.shape.length === t.dims.length && s.shape.every((d, i) => d === t.dims[i]);
    const flipped =
      s.shape.length === 2 && t.dims.length === 2 && s.shape[0] === t.dims[1] && s.shape[1] === t.dims[0];
    if (s.dtype !== "F32" || (!same && !flipped) || s.bytes.byteLength !== elementCount(t.dims) * 4) {
      misshaped.push(
        `${name}: file has ${s.dtype}[${s.shape.join(", ")}], the model needs float32[${t.dims.join(", ")}]`,
      );
      initializers.set(name, t);
      continue;
    }
    const copy = new Uint8Array(s.bytes);
    const values = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
    const data = flipped ? transpose2d(values, s.shape[0] ?? 0, s.shape[1] ?? 0) : values;
    initializers.set(name, {
      ...t,
      storage: { kind: "inline", bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
    });
    loaded++;
  }
  // num_batches_tracked and the like are bookkeeping, not weights.
  const unexpected = [...stored.keys()].filter((k) => !used.has(k) && !k.endsWith("num_batches_tracked"));
  return {
    model: { ...model, graph: { ...model.graph, initializers } },
    report: { loaded, missing, unexpected, misshaped },
  };
}
