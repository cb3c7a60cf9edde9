import { dtypeBytes } from "./dtype";
import type { DType, Tensor } from "./types";

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  // An index loop: called for every value of a graph, mostly before the JIT has optimised it, where a for-of
  // allocates an iterator result per element.
  let n = 1;
  for (let i = 0; i < dims.length; i++) n *= dims[i] ?? 1;
  return n;
}

/** Min and max of the values ([0, 0] when empty). */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return values.length === 0 ? [0, 0] : [lo, hi];
}

/**
 * The values of a small numeric tensor, for constant folding (shape and axis
 * constants). Returns undefined for big tensors, absent data or unsupported types.
 */
export function tensorValues(t: Tensor, maxElements = 4096): number[] | undefined {
  const n = elementCount(t.dims);
  if (n > maxElements) return undefined;
  const s = t.storage;
  if (s.kind === "typed") return Array.from(s.values).slice(0, n);
  if (s.kind !== "inline") return n === 0 ? [] : undefined;
  const size = dtypeBytes(t.dtype);
  if (size === 0 || s.bytes.byteLength < n * size) return undefined;
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (t.dtype) {
      case "float32":
        out.push(view.getFloat32(o, true));
        break;
      case "float64":
        out.push(view.getFloat64(o, true));
        break;
      case "int64":
        out.push(Number(view.getBigInt64(o, true)));
        break;
      case "uint64":
        out.push(Number(view.getBigUint64(o, true)));
        break;
      case "int32":
        out.push(view.getInt32(o, true));
        break;
      case "uint32":
        out.push(view.getUint32(o, true));
        break;
      case "int16":
        out.push(view.getInt16(o, true));
        break;
      case "uint16":
        out.push(view.getUint16(o, true));
        break;
      case "int8":
        out.push(view.getInt8(o));
        break;
      case "uint8":
      case "bool":
        out.push(view.getUint8(o));
        break;
      default:
        return undefined;
    }
  }
  return out;
}

/** A learned weight or buffer whose values are not read (a source or config file gives only its size). */
export function weightTensor(
  name: string,
  dims: readonly number[],
  role: "parameter" | "buffer" = "parameter",
  dtype: DType = "float32",
): Tensor {
  return { name, dtype, dims: [...dims], storage: { kind: "none" }, role };
}

/**
 * A constant that is part of a layer's definition (shape vectors, Relu6 bounds, BatchNorm's unit scale),
 * with its values; symbolic entries (strings) leave the storage empty.
 */
export function constantTensor(
  name: string,
  dtype: DType,
  dims: readonly number[],
  values: readonly (number | string)[],
  role?: "buffer",
): Tensor {
  const numeric = values.every((v): v is number => typeof v === "number");
  return {
    name,
    dtype,
    dims: [...dims],
    storage: numeric ? { kind: "typed", values: [...values] } : { kind: "none" },
    ...(role ? { role } : {}),
  };
}

/** Row-major `data` of shape `dims` with its axes permuted (output axis k is input axis perm[k]). */
export function transposeData(
  data: Float32Array,
  dims: readonly number[],
  perm: readonly number[],
): Float32Array {
  const out = new Float32Array(data.length);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const outDims = perm.map((p) => dims[p] ?? 1);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += (idx[k] ?? 0) * (strides[perm[k] ?? 0] ?? 0);
    out[o] = data[src] ?? 0;
    for (let k = outDims.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] ?? 0) + 1;
      if ((idx[k] ?? 0) < (outDims[k] ?? 1)) break;
      idx[k] = 0;
    }
  }
  return out;
}
