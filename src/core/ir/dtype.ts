import type { DType } from "./types";

/** ONNX TensorProto.DataType codes → our dtype and its size in bytes. */
const ONNX_DTYPES: Readonly<Record<number, readonly [DType, number]>> = {
  1: ["float32", 4],
  2: ["uint8", 1],
  3: ["int8", 1],
  4: ["uint16", 2],
  5: ["int16", 2],
  6: ["int32", 4],
  7: ["int64", 8],
  8: ["string", 0],
  9: ["bool", 1],
  10: ["float16", 2],
  11: ["float64", 8],
  12: ["uint32", 4],
  13: ["uint64", 8],
  14: ["complex64", 8],
  15: ["complex128", 16],
  16: ["bfloat16", 2],
  17: ["float8", 1],
  18: ["float8", 1],
  19: ["float8", 1],
  20: ["float8", 1],
  21: ["uint4", 0.5],
  22: ["int4", 0.5],
};

const SIZES: Readonly<Partial<Record<DType, number>>> = Object.fromEntries(
  Object.values(ONNX_DTYPES).map(([t, s]) => [t, s]),
);

export function dtypeFromOnnx(code: number): DType {
  return ONNX_DTYPES[code]?.[0] ?? "unknown";
}

export function onnxCodeOf(dtype: DType): number {
  for (const [code, [t]] of Object.entries(ONNX_DTYPES)) if (t === dtype) return Number(code);
  return 0;
}

/** Bytes per element; 0 when unknown (strings). */
export function dtypeBytes(dtype: DType): number {
  return SIZES[dtype] ?? 0;
}

export function isFloat(dtype: DType): boolean {
  return dtype.startsWith("float") || dtype === "bfloat16";
}
