/**
 * TFLite's sparse tensors (schema.fbs SparsityParameters, the "sparsity" model optimisation): the
 * stored values of a pruned weight and, per traversal level, either DENSE (every index) or SPARSE_CSR
 * (segments and indices naming the kept ones), over the dense shape with some dims split into blocks
 * (block_map). Densified here the way TFLite's sparsity_format_converter.cc (SparseToDense) reads
 * it, so the weight is the dense tensor TFLite computes with and its parameters are the dense
 * element count (zeros included), as TFLite's and Keras's tools count a pruned model.
 */
import { DimensionType } from "./generated/tflite/dimension-type";
import type { DimensionMetadata } from "./generated/tflite/dimension-metadata";
import { Int32Vector } from "./generated/tflite/int32-vector";
import { SparseIndexVector } from "./generated/tflite/sparse-index-vector";
import type { SparsityParameters } from "./generated/tflite/sparsity-parameters";
import { Uint16Vector } from "./generated/tflite/uint16-vector";
import { Uint8Vector } from "./generated/tflite/uint8-vector";

export type SparseLevel =
  | { readonly format: "dense"; readonly size: number }
  | { readonly format: "sparse"; readonly segments: readonly number[]; readonly indices: readonly number[] };

export interface Sparsity {
  /** Which expanded dim each level walks: original dims 0..rank−1, then the block dims in block_map order. */
  readonly traversalOrder: readonly number[];
  /** The original dim each block dim splits. */
  readonly blockMap: readonly number[];
  readonly levels: readonly SparseLevel[];
}

function indexVector(m: DimensionMetadata, which: "segments" | "indices"): readonly number[] {
  const type = which === "segments" ? m.arraySegmentsType() : m.arrayIndicesType();
  const read = <T extends { valuesArray(): ArrayLike<number> | null }>(make: () => T): number[] => {
    const table = (which === "segments" ? m.arraySegments(make()) : m.arrayIndices(make())) as T | null;
    return Array.from(table?.valuesArray() ?? []);
  };
  switch (type) {
    case SparseIndexVector.Int32Vector:
      return read(() => new Int32Vector());
    case SparseIndexVector.Uint16Vector:
      return read(() => new Uint16Vector());
    case SparseIndexVector.Uint8Vector:
      return read(() => new Uint8Vector());
    default:
      throw new Error(`a SPARSE_CSR level without its ${which}`);
  }
}

/** The file's SparsityParameters as plain records. Throws (with the reason) on a malformed table. */
export function readSparsity(p: SparsityParameters): Sparsity {
  const levels: SparseLevel[] = [];
  for (let i = 0; i < p.dimMetadataLength(); i++) {
    const m = p.dimMetadata(i);
    if (!m) throw new Error(`dim_metadata ${i} is missing`);
    levels.push(
      m.format() === DimensionType.DENSE
        ? { format: "dense", size: m.denseSize() }
        : { format: "sparse", segments: indexVector(m, "segments"), indices: indexVector(m, "indices") },
    );
  }
  return {
    traversalOrder: Array.from(p.traversalOrderArray() ?? []),
    blockMap: Array.from(p.blockMapArray() ?? []),
    levels,
  };
}

/**
 * For each stored value, its element offset in the dense row-major tensor of `shape`. Walks the levels
 * as a compressed sparse fibre: a dense level gives every parent all its indices, a SPARSE_CSR level
 * gives parent p the indices[segments[p] .. segments[p+1]). Throws where the metadata does not fit the
 * shape (a wrong offset would be a wrong number).
 */
export function denseOffsets(s: Sparsity, shape: readonly number[]): Float64Array {
  const rank = shape.length;
  const { traversalOrder: order, blockMap, levels } = s;
  if (order.length !== levels.length || order.length !== rank + blockMap.length)
    throw new Error(`${levels.length} levels and traversal order ${order.length} for rank ${rank}`);
  if ([...order].sort((a, b) => a - b).some((d, i) => d !== i))
    throw new Error(`traversal order [${order.join(", ")}] is not a permutation`);
  // Block sizes are the dense sizes of the levels that walk the block dims (TFLite blocks are dense).
  const blockSize = blockMap.map((_, k) => {
    const level = levels[order.indexOf(rank + k)];
    if (level?.format !== "dense") throw new Error(`block dim ${k} is not a DENSE level`);
    return level.size;
  });
  const rowStride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const extent: number[] = [];
  const stride: number[] = [];
  shape.forEach((n, d) => {
    const k = blockMap.indexOf(d);
    const b = k >= 0 ? (blockSize[k] ?? 1) : 1;
    if (b <= 0 || n % b !== 0) throw new Error(`dim ${d} (${n}) is not a multiple of its block ${b}`);
    extent.push(n / b);
    stride.push((rowStride[d] ?? 1) * b);
  });
  blockMap.forEach((d, k) => {
    extent.push(blockSize[k] ?? 1);
    stride.push(rowStride[d] ?? 1);
  });
  let offsets = new Float64Array([0]);
  levels.forEach((level, l) => {
    const dim = order[l] ?? 0;
    const n = extent[dim] ?? 0;
    const st = stride[dim] ?? 0;
    if (level.format === "dense") {
      if (level.size !== n) throw new Error(`level ${l} is DENSE of ${level.size} where the dim has ${n}`);
      const next = new Float64Array(offsets.length * n);
      offsets.forEach((o, p) => {
        for (let i = 0; i < n; i++) next[p * n + i] = o + i * st;
      });
      offsets = next;
      return;
    }
    const { segments, indices } = level;
    if (segments.length !== offsets.length + 1 || segments[0] !== 0 || segments.at(-1) !== indices.length)
      throw new Error(`level ${l}'s segments do not fit its ${offsets.length} parents and indices`);
    const next = new Float64Array(indices.length);
    offsets.forEach((o, p) => {
      const from = segments[p] ?? 0,
        to = segments[p + 1] ?? 0;
      if (to < from) throw new Error(`level ${l}'s segments decrease`);
      for (let j = from; j < to; j++) {
        const i = indices[j] ?? -1;
        if (i < 0 || i >= n) throw new Error(`level ${l} has index ${i} outside 0..${n - 1}`);
        next[j] = o + i * st;
      }
    });
    offsets = next;
  });
  return offsets;
}

/** The dense tensor's bytes: zeros, with each stored element (elemBytes wide) at its offset. */
export function densify(
  s: Sparsity,
  shape: readonly number[],
  stored: Uint8Array,
  elemBytes: number,
): Uint8Array {
  const offsets = denseOffsets(s, shape);
  if (stored.length !== offsets.length * elemBytes)
    throw new Error(`${stored.length / elemBytes} stored values where the metadata names ${offsets.length}`);
  const dense = new Uint8Array(shape.reduce((a, b) => a * b, 1) * elemBytes);
  offsets.forEach((o, j) => dense.set(stored.subarray(j * elemBytes, (j + 1) * elemBytes), o * elemBytes));
  return dense;
}
