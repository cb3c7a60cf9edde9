/**
 * TFLite builtins that cut, stack or contract whole tensors: SPLIT, SPLIT_V and UNPACK (one output
 * tensor per part, as one ONNX Split), PACK, BATCH_MATMUL, ARG_MAX / ARG_MIN. Semantics from
 * TensorFlow Lite's kernels (tensorflow/lite/kernels/split.cc, split_v.cc, unpack.cc, pack.cc,
 * batch_matmul.cc, arg_min_max.cc); sizes the file leaves open make the operator unknown, named.
 */
import { BatchMatMulOptions } from "./generated/tflite/batch-mat-mul-options";
import { PackOptions } from "./generated/tflite/pack-options";
import { SplitOptions } from "./generated/tflite/split-options";
import { UnpackOptions } from "./generated/tflite/unpack-options";
import { TfliteUnsupported } from "./tfliteEmit";
import type { Converter, OpCtx } from "./tfliteOps";

const ONNX_INT64 = 7;

/** The one value of a constant axis input, made non-negative against `rank`. */
function axisInput(c: OpCtx, k: number, rank: number): number {
  const [axis] = c.ints(k);
  if (axis === undefined) throw new TfliteUnsupported(`input ${k} (the axis) is empty`);
  return axis < 0 ? axis + rank : axis;
}

/** Split `data` along `axis` into parts of the given sizes, one file output each. */
function splitInto(c: OpCtx, data: number, axis: number, sizes: readonly number[]): string[] {
  if (sizes.length !== c.op.outputs.length)
    throw new TfliteUnsupported(`${sizes.length} parts for ${c.op.outputs.length} output tensors`);
  return c.e.nodeOutputs("Split", [c.input(data), c.e.ints(sizes)], { axis }, sizes.length);
}

/** SPLIT(axis, input): num_splits equal parts (the kernel refuses a size that does not divide). */
const split: Converter = (c) => {
  const axis = axisInput(c, 0, c.rank(1));
  const n = c.options(SplitOptions)?.numSplits() || c.op.outputs.length;
  const total = c.dim(1, axis);
  if (total % n !== 0) throw new TfliteUnsupported(`dim ${axis} (${total}) does not split into ${n} parts`);
  return splitInto(
    c,
    1,
    axis,
    Array.from({ length: n }, () => total / n),
  );
};

/** SPLIT_V(input, size_splits, axis): the sizes as given, one of them −1 for what is left. */
const splitV: Converter = (c) => {
  const axis = axisInput(c, 2, c.rank(0));
  const sizes = c.ints(1);
  const open = sizes.filter((s) => s === -1).length;
  if (open > 1) throw new TfliteUnsupported("more than one size_splits entry is -1");
  if (open === 1) {
    const rest = c.dim(0, axis) - sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
    return splitInto(
      c,
      0,
      axis,
      sizes.map((s) => (s === -1 ? rest : s)),
    );
  }
  return splitInto(c, 0, axis, sizes);
};

/** UNPACK(input): `num` slices of size 1 along `axis`, that axis removed from each. */
const unpack: Converter = (c) => {
  const o = c.options(UnpackOptions);
  const given = o?.axis() ?? 0;
  const axis = given < 0 ? given + c.rank(0) : given;
  const n = o?.num() || c.dim(0, axis);
  const parts = splitInto(
    c,
    0,
    axis,
    Array.from({ length: n }, () => 1),
  );
  return parts.map((p) => c.node("Squeeze", [p, c.e.ints([axis])]));
};

/** PACK(x0, x1, …): each gains a new axis `axis`, then they are joined along it. */
const pack: Converter = (c) => {
  const axis = c.options(PackOptions)?.axis() ?? 0;
  const parts = c.op.inputs.map((_, k) => c.node("Unsqueeze", [c.input(k), c.e.ints([axis])]));
  return c.node("Concat", parts, { axis });
};

/** BATCH_MATMUL(x, y): adj_x / adj_y transpose the last two dims first; batch dims broadcast. */
const batchMatMul: Converter = (c) => {
  const o = c.options(BatchMatMulOptions);
  const side = (k: number, adjoint: boolean | undefined) => {
    if (!adjoint) return c.input(k);
    const r = c.rank(k);
    const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    return c.node("Transpose", [c.input(k)], { perm });
  };
  return c.node("MatMul", [side(0, o?.adjX()), side(1, o?.adjY())]);
};

/** ARG_MAX / ARG_MIN(input, axis): the axis removed; the index type the file stores (int32 or int64). */
function argReduce(opType: "ArgMax" | "ArgMin"): Converter {
  return (c) => {
    const axis = axisInput(c, 1, c.rank(0));
    const y = c.node(opType, [c.input(0)], { axis, keepdims: 0 });
    // ONNX gives int64 indices; output_type INT32 is the file's int32 output tensor.
    const to = c.outputDtypeCode();
    return to === ONNX_INT64 || to === 0 ? y : c.node("Cast", [y], { to });
  };
}

export const TENSOR_CONVERTERS: Readonly<Record<string, Converter>> = {
  SPLIT: split,
  SPLIT_V: splitV,
  UNPACK: unpack,
  PACK: pack,
  BATCH_MATMUL: batchMatMul,
  ARG_MAX: argReduce("ArgMax"),
  ARG_MIN: argReduce("ArgMin"),
};
