/**
 * Ops that pick, scatter or accumulate elements by index: their outputs take the shape of the data,
 * of the indices, or (Compress, Unique) a size only the data decides, named as a symbol.
 */
import { dtypeFromOnnx } from "../ir/dtype";
import type { Dim } from "../ir/types";
import { attrInt, attrInts, axisOf, constInts, countOf, dtypeOf, isNum, shapeOf } from "./dims";
import { runtimeReason, runtimeShaped } from "./runtimeDims";
import { ShapeError, type OpRule, type ValueState } from "./types";

/** Same shape as input 0; every output element may read any input element along some axis. */
const likeData: OpRule = {
  infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
  rf: "global",
};

const gatherElements: OpRule = {
  infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 1) }],
  rf: "global",
};

/** GatherND: indices[:-1] ++ data[batch_dims + indices[-1]:]. */
const gatherND: OpRule = {
  infer(ctx) {
    const data = shapeOf(ctx, 0);
    const idx = shapeOf(ctx, 1);
    const b = attrInt(ctx.node, "batch_dims", 0);
    const last = idx[idx.length - 1];
    if (!isNum(last))
      return [runtimeShaped(ctx, undefined, "GatherND: the index depth (last axis of indices) is symbolic")];
    if (b + last > data.length)
      throw new ShapeError(`GatherND indexes ${last} axes of a rank ${data.length} tensor`);
    return [{ dtype: dtypeOf(ctx), shape: [...idx.slice(0, -1), ...data.slice(b + last)] }];
  },
  rf: "global",
};

/** OneHot: the indices' shape with `depth` inserted at `axis`. */
const oneHot: OpRule = {
  infer(ctx) {
    const idx = shapeOf(ctx, 0);
    const depth = ctx.inputs[1]?.value?.[0];
    const rank = idx.length + 1;
    const axis = axisOf(attrInt(ctx.node, "axis", -1), rank);
    const dims: (Dim | undefined)[] = [...idx];
    dims.splice(axis, 0, isNum(depth) ? Math.trunc(depth) : undefined);
    const dtype = dtypeOf(ctx, 2);
    if (isNum(depth)) return [{ dtype, shape: dims as Dim[] }];
    return [runtimeShaped(ctx, dims, runtimeReason(ctx, "depth", 1), 0, dtype)];
  },
  rf: "none",
};

/** Compress: the kept slices along `axis` (or of the flattened input); their count is data-dependent. */
const compress: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axisAttr = ctx.node.attrs["axis"];
    const cond = ctx.inputs[1]?.value;
    const kept = cond?.every(isNum) ? cond.filter((c) => c !== 0).length : undefined;
    if (typeof axisAttr !== "number") {
      if (kept !== undefined) return [{ dtype: dtypeOf(ctx), shape: [kept] }];
      return [runtimeShaped(ctx, [undefined], runtimeReason(ctx, "condition", 1))];
    }
    const axis = axisOf(axisAttr, x.length);
    if (kept !== undefined) return [{ dtype: dtypeOf(ctx), shape: x.map((d, i) => (i === axis ? kept : d)) }];
    return [
      runtimeShaped(
        ctx,
        x.map((d, i) => (i === axis ? undefined : d)),
        runtimeReason(ctx, "condition", 1),
      ),
    ];
  },
  rf: "global",
};

/** Unique: Y, indices, inverse_indices, counts; how many are unique only the data says. */
const unique: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axisAttr = ctx.node.attrs["axis"];
    const u = `${ctx.node.outputs[0] || ctx.node.name}_unique`;
    const reason = "Unique: how many values are unique depends on the data";
    const axis = typeof axisAttr === "number" ? axisOf(axisAttr, x.length) : undefined;
    const y: Dim[] = axis === undefined ? [u] : x.map((d, i) => (i === axis ? u : d));
    const all = axis === undefined ? (countOf(x) ?? `${u}_n`) : (x[axis] ?? "?");
    const outs: ValueState[] = [
      { dtype: dtypeOf(ctx), shape: y, reason },
      { dtype: "int64", shape: [u], reason },
      { dtype: "int64", shape: [all] },
      { dtype: "int64", shape: [u], reason },
    ];
    return outs.slice(0, ctx.node.outputs.length);
  },
  rf: "global",
};

/** EyeLike / Random*Like: the input's shape, the dtype attribute's type. */
const shapedLike: OpRule = {
  infer(ctx) {
    const to = attrInt(ctx.node, "dtype", 0);
    return [{ dtype: to ? dtypeFromOnnx(to) : dtypeOf(ctx), shape: shapeOf(ctx, 0) }];
  },
  rf: "none",
};

/** RandomUniform / RandomNormal: the shape attribute. */
const randomOfShape: OpRule = {
  infer(ctx) {
    const shape = attrInts(ctx.node, "shape");
    if (!shape) throw new ShapeError(`${ctx.node.opType} has no shape attribute`);
    return [{ dtype: dtypeFromOnnx(attrInt(ctx.node, "dtype", 1)), shape }];
  },
  rf: "none",
};

/** Det: the determinant of each trailing square matrix. */
const det: OpRule = {
  infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0).slice(0, -2) }],
  rf: "global",
};

/** CenterCropPad: the given sizes on `axes` (all by default). */
const centerCropPad: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axes = (attrInts(ctx.node, "axes") ?? x.map((_, i) => i)).map((a) => axisOf(a, x.length));
    const sizes = constInts(ctx, 1);
    const dims = x.map((d, i) => {
      const k = axes.indexOf(i);
      return k < 0 ? d : sizes?.[k];
    });
    if (sizes) return [{ dtype: dtypeOf(ctx), shape: dims as Dim[] }];
    return [runtimeShaped(ctx, dims, runtimeReason(ctx, "shape", 1))];
  },
  rf: "global",
};

export const GATHER_SCATTER_OPS: Readonly<Record<string, OpRule>> = {
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterND: likeData,
  ScatterElements: likeData,
  Scatter: likeData,
  TensorScatter: likeData,
  CumSum: likeData,
  CumProd: likeData,
  ReverseSequence: likeData,
  OneHot: oneHot,
  Compress: compress,
  Unique: unique,
  EyeLike: shapedLike,
  RandomUniformLike: shapedLike,
  RandomNormalLike: shapedLike,
  RandomUniform: randomOfShape,
  RandomNormal: randomOfShape,
  Det: det,
  CenterCropPad: centerCropPad,
};
