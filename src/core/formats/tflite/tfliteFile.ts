/**
 * A `.tflite` file (a FlatBuffer with file identifier "TFL3", TensorFlow's schema.fbs) read through
 * the flatc-generated accessors into plain records: the main subgraph's tensors (shape, dtype,
 * constant bytes, quantization) and operators (builtin name or custom code, inputs, outputs, options).
 */
import * as flatbuffers from "flatbuffers";
import type { DType, Dim } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { BuiltinOperator } from "./generated/tflite/builtin-operator";
import { BuiltinOptions } from "./generated/tflite/builtin-options";
import { Model as TflModel } from "./generated/tflite/model";
import type { Operator } from "./generated/tflite/operator";
import { TensorType } from "./generated/tflite/tensor-type";
import { densify, readSparsity } from "./tfliteSparsity";
import { dtypeBytes } from "../../ir/dtype";
import type { Tensor as FbTensor } from "./generated/tflite/tensor";

export interface Quantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  /** The axis the scales run along (per-channel weights); 0 with one scale. */
  readonly axis: number;
}

export interface TflTensor {
  readonly index: number;
  /** Unique within the model (the file's names may repeat or be empty). */
  readonly name: string;
  readonly dtype: DType;
  /** The stored shape, -1 dims of shape_signature as symbols; undefined for an unknown rank. */
  readonly shape: readonly Dim[] | undefined;
  /** The constant's bytes (little-endian), when the tensor has a buffer. */
  readonly data: Uint8Array | undefined;
  readonly quant: Quantization | undefined;
  /**
   * Stored sparse (SparsityParameters): `data` is then the densified tensor, or undefined with
   * `error` saying why it could not be densified.
   */
  readonly sparse?: { readonly stored: number; readonly error?: string };
}

export interface TflOperator {
  /** "CONV_2D", or the custom op's code for CUSTOM. */
  readonly code: string;
  readonly custom: boolean;
  /** Tensor indices; -1 marks an omitted optional input. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly optionsType: string;
  readonly raw: Operator;
}

export interface TflFile {
  readonly version: number;
  readonly description: string;
  readonly subgraphCount: number;
  readonly tensors: readonly TflTensor[];
  readonly operators: readonly TflOperator[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

const DTYPES: Readonly<Record<string, DType>> = {
  FLOAT32: "float32",
  FLOAT16: "float16",
  BFLOAT16: "bfloat16",
  FLOAT64: "float64",
  INT32: "int32",
  UINT8: "uint8",
  INT64: "int64",
  STRING: "string",
  BOOL: "bool",
  INT16: "int16",
  COMPLEX64: "complex64",
  INT8: "int8",
  COMPLEX128: "complex128",
  UINT64: "uint64",
  UINT32: "uint32",
  UINT16: "uint16",
  INT4: "int4",
};

export function looksLikeTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(4, 8)) === "TFL3";
}

/** Shape with shape_signature's -1 dims as symbols: the batch "N", others "<tensor>_d<axis>". */
function shapeOf(name: string, shape: Int32Array | null, signature: Int32Array | null): Dim[] {
  const dims = [...(shape ?? [])];
  if (!signature || signature.length !== dims.length) return dims;
  return dims.map((d, i) => (signature[i] === -1 ? (i === 0 ? "N" : `${name}_d${i}`) : d));
}

/** A sparse tensor's dense bytes, or why there are none; how many values the file stores. */
function densified(
  t: FbTensor,
  dtype: DType,
  shape: readonly Dim[] | undefined,
  stored: Uint8Array | undefined,
): { data?: Uint8Array; stored: number; error?: string } {
  const bytes = dtype === "int4" || dtype === "string" ? 0 : dtypeBytes(dtype);
  const count = stored && bytes ? Math.floor(stored.length / bytes) : 0;
  const dims = shape?.filter((d): d is number => typeof d === "number");
  try {
    if (!stored) throw new Error("it has no stored values");
    if (!bytes) throw new Error(`its element type ${dtype} is not one ConvLens densifies`);
    if (!shape || dims?.length !== shape.length) throw new Error("its dense shape is not fully known");
    const sparsity = t.sparsity();
    if (!sparsity) throw new Error("its sparsity parameters are missing");
    return { data: densify(readSparsity(sparsity), dims, stored, bytes), stored: count };
  } catch (e) {
    return { stored: count, error: e instanceof Error ? e.message : String(e) };
  }
}

export function parseTflite(bytes: Uint8Array): TflFile {
  if (!looksLikeTflite(bytes))
    throw new ModelError('Not a TensorFlow Lite model: no "TFL3" file identifier at bytes 4..8.');
  let model: TflModel;
  try {
    model = TflModel.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
    return readModel(model, bytes);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`This .tflite file is damaged: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

function readModel(model: TflModel, bytes: Uint8Array): TflFile {
  const sub = model.subgraphs(0);
  if (!sub) throw new ModelError("This .tflite file has no subgraph.");
  const used = new Set<string>();
  const tensors: TflTensor[] = [];
  for (let i = 0; i < sub.tensorsLength(); i++) {
    const t = sub.tensors(i);
    if (!t) throw new ModelError(`Tensor ${i} is missing.`);
    let name = t.name() || `tensor_${i}`;
    if (used.has(name)) name = `${name}_${i}`;
    used.add(name);
    const buffer = t.buffer() ? model.buffers(t.buffer()) : null;
    let data = buffer?.dataArray() ?? undefined;
    const offset = Number(buffer?.offset() ?? 0n);
    if (buffer && offset > 1) data = bytes.subarray(offset, offset + Number(buffer.size()));
    if (data && data.length === 0) data = undefined;
    const q = t.quantization();
    const scale = [...(q?.scaleArray() ?? [])];
    const zeroPoint = Array.from({ length: q?.zeroPointLength() ?? 0 }, (_, k) => Number(q?.zeroPoint(k)));
    const typeName = TensorType[t.type()] ?? "";
    const dtype = DTYPES[typeName] ?? "unknown";
    const unknownRank = t.shapeLength() === 0 && !t.hasRank() && !data;
    const shape = unknownRank ? undefined : shapeOf(name, t.shapeArray(), t.shapeSignatureArray());
    const sparse = t.sparsity() ? densified(t, dtype, shape, data) : undefined;
    tensors.push({
      index: i,
      name,
      dtype,
      shape,
      data: sparse ? sparse.data : data,
      quant: scale.length
        ? {
            scale,
            zeroPoint: zeroPoint.length ? zeroPoint : scale.map(() => 0),
            axis: q?.quantizedDimension() ?? 0,
          }
        : undefined,
      ...(sparse
        ? { sparse: { stored: sparse.stored, ...(sparse.error ? { error: sparse.error } : {}) } }
        : {}),
    });
  }
  const operators: TflOperator[] = [];
  for (let i = 0; i < sub.operatorsLength(); i++) {
    const op = sub.operators(i);
    if (!op) throw new ModelError(`Operator ${i} is missing.`);
    const oc = model.operatorCodes(op.opcodeIndex());
    if (!oc)
      throw new ModelError(
        `Operator ${i} names operator code ${op.opcodeIndex()}, which is not in the file.`,
      );
    // builtin_code holds codes ≥ 127; older files only have the byte-wide deprecated field.
    const value = Math.max(oc.builtinCode(), oc.deprecatedBuiltinCode());
    const builtin = BuiltinOperator[value] ?? `BUILTIN_${value}`;
    const custom = builtin === "CUSTOM";
    operators.push({
      code: custom ? (oc.customCode() ?? "unnamed custom op") : builtin,
      custom,
      inputs: [...(op.inputsArray() ?? [])],
      outputs: [...(op.outputsArray() ?? [])],
      optionsType: BuiltinOptions[op.builtinOptionsType()] ?? "NONE",
      raw: op,
    });
  }
  return {
    version: model.version(),
    description: model.description() ?? "",
    subgraphCount: model.subgraphsLength(),
    tensors,
    operators,
    inputs: [...(sub.inputsArray() ?? [])],
    outputs: [...(sub.outputsArray() ?? [])],
  };
}
