/**
 * Tensor data out of torch storages: a pickled tensor is a storage + offset + size + stride;
 * this gathers its elements into contiguous little-endian data, floating-point types as float32
 * (safetensors' layout, so both weight readers hand the same StoredTensor to applyWeights).
 */
import { bad, type PyTensor } from "./pickle";
import type { StoredTensor } from "./safetensors";

interface ElementType {
  readonly dtype: string; // safetensors' name for what is stored
  readonly size: number;
  readonly float: boolean;
}

const STORAGES: Record<string, ElementType> = {
  FloatStorage: { dtype: "F32", size: 4, float: true },
  HalfStorage: { dtype: "F16", size: 2, float: true },
  BFloat16Storage: { dtype: "BF16", size: 2, float: true },
  DoubleStorage: { dtype: "F64", size: 8, float: true },
  LongStorage: { dtype: "I64", size: 8, float: false },
  IntStorage: { dtype: "I32", size: 4, float: false },
  ShortStorage: { dtype: "I16", size: 2, float: false },
  CharStorage: { dtype: "I8", size: 1, float: false },
  ByteStorage: { dtype: "U8", size: 1, float: false },
  BoolStorage: { dtype: "BOOL", size: 1, float: false },
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0] ?? 0;
}

/** Contiguous little-endian data of one tensor; floating-point types as float32. */
export function materialize(
  name: string,
  t: PyTensor,
  storageBytes: Uint8Array,
  littleEndian: boolean,
): StoredTensor {
  const type = STORAGES[t.storage.type];
  if (!type) return bad(`"${name}" is stored as torch.${t.storage.type}, which ConvLens cannot read.`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  const available = Math.floor(storageBytes.byteLength / type.size);
  if (count > 0) {
    let low = t.offset;
    let high = t.offset;
    t.shape.forEach((d, i) => {
      const reach = (d - 1) * (t.stride[i] ?? 0);
      if (reach < 0) low += reach;
      else high += reach;
    });
    if (low < 0 || high >= available)
      bad(`"${name}" reaches past its storage (${available} elements in data/${t.storage.key}).`);
  }
  let contiguous = true;
  for (let d = t.shape.length - 1, expect = 1; d >= 0; d--) {
    if ((t.shape[d] ?? 1) !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d] ?? 1;
  }
  const shape = [...t.shape];
  if (contiguous && littleEndian && type.dtype === "F32")
    return { dtype: "F32", shape, bytes: storageBytes.subarray(t.offset * 4, (t.offset + count) * 4) };
  // Storage element index of each output element, in row-major order.
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  const src = new DataView(storageBytes.buffer, storageBytes.byteOffset, storageBytes.byteLength);
  const outSize = type.float ? 4 : type.size;
  const out = new Uint8Array(count * outSize);
  const dst = new DataView(out.buffer);
  let pos = t.offset;
  for (let i = 0; i < count; i++) {
    const at = pos * type.size;
    if (type.float) {
      let v: number;
      if (type.dtype === "F32") v = src.getFloat32(at, littleEndian);
      else if (type.dtype === "F64") v = src.getFloat64(at, littleEndian);
      else if (type.dtype === "F16") v = halfToFloat(src.getUint16(at, littleEndian));
      else v = bf16ToFloat(src.getUint16(at, littleEndian));
      dst.setFloat32(i * 4, v, true);
    } else
      for (let b = 0; b < type.size; b++)
        out[i * type.size + b] = storageBytes[at + (littleEndian ? b : type.size - 1 - b)] ?? 0;
    for (let d = rank - 1; d >= 0; d--) {
      const stride = t.stride[d] ?? 0;
      index[d]!++;
      pos += stride;
      if (index[d]! < (t.shape[d] ?? 0)) break;
      pos -= stride * (t.shape[d] ?? 0);
      index[d] = 0;
    }
  }
  return { dtype: type.float ? "F32" : type.dtype, shape, bytes: out };
}
