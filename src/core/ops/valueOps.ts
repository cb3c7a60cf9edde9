/**
 * Ops whose outputs are values for shape arithmetic (Shape, Size, Constant, ConstantOfShape, Cast,
 * Range, folded when small) and the data-dependent index ops (NonZero, NonMaxSuppression).
 */
import { dtypeFromOnnx } from "../ir/dtype";
import { tensorValues } from "../ir/tensorData";
import type { Dim, Tensor } from "../ir/types";
import { attrInt, countOf, dtypeOf, isNum, product, shapeOf } from "./dims";
import { operandLength, runtimeReason, runtimeShaped, unknownDims } from "./runtimeDims";
import { ShapeError, type ConstValues, type OpRule } from "./types";

/** Shape: the input's dims (start / end select a range), as a folded constant. */
const shapeOp: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const r = x.length;
    const start = attrInt(ctx.node, "start", 0);
    const end = attrInt(ctx.node, "end", r);
    const s = Math.max(0, Math.min(r, start < 0 ? start + r : start));
    const e = Math.max(0, Math.min(r, end < 0 ? end + r : end));
    const value = x.slice(s, Math.max(s, e));
    return [{ dtype: "int64", shape: [value.length], value }];
  },
  rf: "none",
};

function constantTensor(t: Tensor): { dtype: Tensor["dtype"]; shape: number[]; value?: ConstValues } {
  const v = tensorValues(t);
  return { dtype: t.dtype, shape: [...t.dims], ...(v ? { value: v } : {}) };
}

const constant: OpRule = {
  infer(ctx) {
    const t = ctx.node.attrs["value"];
    if (t && typeof t === "object" && "dims" in t) return [constantTensor(t)];
    for (const [k, v] of Object.entries(ctx.node.attrs)) {
      if (k === "value_float" || k === "value_int")
        return [{ dtype: k === "value_int" ? "int64" : "float32", shape: [], value: [v as number] }];
      if ((k === "value_floats" || k === "value_ints") && Array.isArray(v))
        return [{ dtype: k === "value_ints" ? "int64" : "float32", shape: [v.length], value: v as number[] }];
    }
    throw new ShapeError("Constant without a supported value attribute");
  },
  rf: "none",
};

const constantOfShape: OpRule = {
  infer(ctx) {
    const shape = ctx.inputs[0]?.value;
    const t = ctx.node.attrs["value"];
    const c = t && typeof t === "object" && "dims" in t ? constantTensor(t) : undefined;
    if (!shape) {
      const n = operandLength(ctx, 0);
      const why = runtimeReason(ctx, "shape", 0);
      return [
        runtimeShaped(ctx, n === undefined ? undefined : unknownDims(n), why, 0, c?.dtype ?? "float32"),
      ];
    }
    const n = countOf(shape);
    const fill = c?.value?.[0] ?? 0;
    return [
      {
        dtype: c?.dtype ?? "float32",
        shape,
        ...(n !== undefined && n <= 4096 ? { value: new Array<number | string>(n).fill(fill) } : {}),
      },
    ];
  },
  rf: "none",
};

/** A constant's values as Cast converts them: integers truncate, bool is "not zero". */
function castValues(v: ConstValues | undefined, to: Dim | string): ConstValues | undefined {
  if (!v) return undefined;
  if (to === "bool") return v.every(isNum) ? v.map((x) => Number(x !== 0)) : undefined;
  if (typeof to === "string" && /int/.test(to)) return v.map((x) => (isNum(x) ? Math.trunc(x) : x));
  return v;
}

const cast: OpRule = {
  infer(ctx) {
    const dtype = dtypeFromOnnx(attrInt(ctx.node, "to", 1));
    const v = castValues(ctx.inputs[0]?.value, dtype);
    return [{ dtype, shape: shapeOf(ctx, 0), ...(v ? { value: v } : {}) }];
  },
  rf: "elementwise",
};

const range: OpRule = {
  infer(ctx) {
    const [s, l, d] = [0, 1, 2].map((i) => ctx.inputs[i]?.value?.[0]);
    if (typeof s !== "number" || typeof l !== "number" || typeof d !== "number" || d === 0)
      return [{ dtype: dtypeOf(ctx), shape: ["range"] }];
    const n = Math.max(0, Math.ceil((l - s) / d));
    return [
      {
        dtype: dtypeOf(ctx),
        shape: [n],
        ...(n <= 4096 ? { value: Array.from({ length: n }, (_, i) => s + i * d) } : {}),
      },
    ];
  },
  rf: "none",
};

/** Outputs whose sizes depend on the data (how many elements pass): right rank, named dims. */
const dataDependent: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const op = ctx.node.opType;
    const why = `${op}: how many elements ${op === "NonMaxSuppression" ? "boxes are selected" : "are non-zero"} depends on the data`;
    // NonZero: one row of indices per input axis; NonMaxSuppression: [batch, class, box] per selection.
    return [runtimeShaped(ctx, op === "NonZero" ? [x.length, undefined] : [undefined, 3], why, 0, "int64")];
  },
  rf: "global",
};

export const VALUE_OPS: Readonly<Record<string, OpRule>> = {
  Shape: shapeOp,
  Size: { infer: (ctx) => [{ dtype: "int64", shape: [], value: [product(shapeOf(ctx, 0))] }], rf: "none" },
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Cast: cast,
  CastLike: { ...cast, infer: (ctx) => [{ dtype: dtypeOf(ctx, 1), shape: shapeOf(ctx, 0) }] },
  Range: range,
  NonZero: dataDependent,
  NonMaxSuppression: dataDependent,
};
