/**
 * TFLite builtins that cut, stack, rearrange or contract whole tensors: STRIDED_SLICE, SLICE, SPLIT,
 * SPLIT_V and UNPACK (one output tensor per part, as one ONNX Split), PACK, BATCH_MATMUL, ARG_MAX /
 * ARG_MIN, SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND. Semantics from TensorFlow Lite's kernels
 * (tensorflow/lite/kernels/split.cc, split_v.cc, unpack.cc, pack.cc, batch_matmul.cc, arg_min_max.cc,
 * space_to_batch_nd.cc, batch_to_space_nd.cc); sizes the file leaves open make the operator unknown, named.
 */
import { BatchMatMulOptions } from "./generated/tflite/batch-mat-mul-options";
import { PackOptions } from "./generated/tflite/pack-options";
import { SplitOptions } from "./generated/tflite/split-options";
import { StridedSliceOptions } from "./generated/tflite/strided-slice-options";
import { UnpackOptions } from "./generated/tflite/unpack-options";
import { TfliteUnsupported } from "./tfliteEmit";
import type { Converter, OpCtx } from "./tfliteOps";

const ONNX_INT64 = 7;
const INT_MAX = 2 ** 31 - 1;

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

const stridedSlice: Converter = (c) => {
  const o = c.options(StridedSliceOptions);
  if (o && (o.ellipsisMask() || o.newAxisMask()))
    throw new TfliteUnsupported("ellipsis_mask and new_axis_mask are not supported");
  const begin = c.ints(1);
  let end = c.ints(2);
  const steps = c.has(3) ? c.ints(3) : begin.map(() => 1);
  if (o?.offset()) end = end.map((e, i) => e + (begin[i] ?? 0));
  const bit = (mask: number | undefined, i: number) => ((mask ?? 0) >> i) & 1;
  const shrink = begin.flatMap((_, i) => (bit(o?.shrinkAxisMask(), i) ? [i] : []));
  const starts = begin.map((b, i) => (bit(o?.beginMask(), i) ? ((steps[i] ?? 1) > 0 ? 0 : INT_MAX) : b));
  const ends = end.map((e, i) =>
    shrink.includes(i)
      ? (begin[i] ?? 0) + 1
      : bit(o?.endMask(), i)
        ? (steps[i] ?? 1) > 0
          ? INT_MAX
          : -INT_MAX
        : e,
  );
  const axes = begin.map((_, i) => i);
  const y = c.node("Slice", [c.input(0), c.e.ints(starts), c.e.ints(ends), c.e.ints(axes), c.e.ints(steps)]);
  return shrink.length ? c.node("Squeeze", [y, c.e.ints(shrink)]) : y;
};

const slice: Converter = (c) => {
  const begin = c.ints(1);
  const size = c.ints(2);
  const ends = size.map((s, i) => (s === -1 ? INT_MAX : (begin[i] ?? 0) + s));
  return c.node("Slice", [c.input(0), c.e.ints(begin), c.e.ints(ends)]);
};

/** The 4-D input's dims and the two block sizes of SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND. */
function blocked(c: OpCtx): { dims: readonly number[]; bh: number; bw: number; edges: number[] } {
  const dims = c.dims(0);
  const [bh = 0, bw = 0, ...more] = c.ints(1);
  if (dims.length !== 4 || more.length || bh < 1 || bw < 1)
    throw new TfliteUnsupported("only 4-D tensors with two block sizes are supported");
  const edges = c.ints(2); // [top, bottom, left, right]: paddings or crops
  if (edges.length !== 4) throw new TfliteUnsupported("input 2 is not [[top, bottom], [left, right]]");
  return { dims, bh, bw, edges };
}

/**
 * SPACE_TO_BATCH_ND(input, block_shape, paddings): pad, then move each block offset into the batch —
 * [N,H,W,C] → [N,H/bh,bh,W/bw,bw,C] → [bh,bw,N,H/bh,W/bw,C] → [bh·bw·N,H/bh,W/bw,C]. TF1 converters write
 * a dilated convolution as SPACE_TO_BATCH_ND → CONV_2D → BATCH_TO_SPACE_ND.
 */
const spaceToBatch: Converter = (c) => {
  const { dims, bh, bw, edges } = blocked(c);
  const [n = 0, h = 0, w = 0, ch = 0] = dims;
  const [top = 0, bottom = 0, left = 0, right = 0] = edges;
  const [ph, pw] = [h + top + bottom, w + left + right];
  if (ph % bh || pw % bw)
    throw new TfliteUnsupported(`the padded ${ph}×${pw} is not a multiple of the block`);
  const padded = edges.some((e) => e !== 0)
    ? c.node("Pad", [c.input(0), c.e.ints([0, top, left, 0, 0, bottom, right, 0])])
    : c.input(0);
  const split = c.node("Reshape", [padded, c.e.ints([n, ph / bh, bh, pw / bw, bw, ch])]);
  const moved = c.node("Transpose", [split], { perm: [2, 4, 0, 1, 3, 5] });
  return c.node("Reshape", [moved, c.e.ints([bh * bw * n, ph / bh, pw / bw, ch])]);
};

/** BATCH_TO_SPACE_ND(input, block_shape, crops): SPACE_TO_BATCH_ND undone, then the crops cut off. */
const batchToSpace: Converter = (c) => {
  const { dims, bh, bw, edges } = blocked(c);
  const [b = 0, h = 0, w = 0, ch = 0] = dims;
  if (b % (bh * bw)) throw new TfliteUnsupported(`batch ${b} is not a multiple of ${bh}×${bw}`);
  const split = c.node("Reshape", [c.input(0), c.e.ints([bh, bw, b / (bh * bw), h, w, ch])]);
  const moved = c.node("Transpose", [split], { perm: [2, 3, 0, 4, 1, 5] });
  const y = c.node("Reshape", [moved, c.e.ints([b / (bh * bw), h * bh, w * bw, ch])]);
  const [top = 0, bottom = 0, left = 0, right = 0] = edges;
  if (edges.every((e) => e === 0)) return y;
  const ends = [h * bh - bottom, w * bw - right];
  return c.node("Slice", [y, c.e.ints([top, left]), c.e.ints(ends), c.e.ints([1, 2])]);
};

export const TENSOR_CONVERTERS: Readonly<Record<string, Converter>> = {
  STRIDED_SLICE: stridedSlice,
  SLICE: slice,
  SPLIT: split,
  SPLIT_V: splitV,
  UNPACK: unpack,
  PACK: pack,
  BATCH_MATMUL: batchMatMul,
  ARG_MAX: argReduce("ArgMax"),
  ARG_MIN: argReduce("ArgMin"),
  SPACE_TO_BATCH_ND: spaceToBatch,
  BATCH_TO_SPACE_ND: batchToSpace,
};
