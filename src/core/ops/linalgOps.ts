/** Matrix products, recurrent layers and reductions: the ops with a contracted dimension. */
import { contextOf, type ValueField } from "../fields/receptiveField";
import type { Dim, Shape } from "../ir/types";
import {
  attrInt,
  attrInts,
  attrStr,
  axisOf,
  broadcast,
  constInts,
  dtypeOf,
  isNum,
  numeric,
  shapeOf,
} from "./dims";
import { isRuntimeValue, operandLength, runtimeReason, runtimeShaped, unknownDims } from "./runtimeDims";
import { ShapeError, type OpContext, type OpRule, type RfContext, type ValueState } from "./types";

function count(dims: readonly Dim[]): number | null {
  const n = numeric(dims);
  return n ? n.reduce((a, b) => a * b, 1) : null;
}

function times(a: number | null, b: Dim | undefined): number | null {
  return a === null || !isNum(b) ? null : a * b;
}

const gemm: OpRule = {
  infer(ctx) {
    const a = shapeOf(ctx, 0),
      b = shapeOf(ctx, 1);
    if (a.length !== 2 || b.length !== 2)
      throw new ShapeError(`Gemm needs 2-D inputs, got ${a.length}-D and ${b.length}-D`);
    const ta = attrInt(ctx.node, "transA", 0) === 1,
      tb = attrInt(ctx.node, "transB", 0) === 1;
    const [m, k1] = ta ? [a[1], a[0]] : [a[0], a[1]];
    const [k2, n] = tb ? [b[1], b[0]] : [b[0], b[1]];
    if (isNum(k1) && isNum(k2) && k1 !== k2)
      throw new ShapeError(`Linear expects ${k2} input features but receives ${k1}`, [k1, k2]);
    return [{ dtype: dtypeOf(ctx), shape: [m ?? "?", n ?? "?"] }];
  },
  macs(ctx, outs) {
    const a = shapeOf(ctx, 0);
    const k = attrInt(ctx.node, "transA", 0) === 1 ? a[0] : a[1];
    return times(count(outs[0]?.shape ?? ["?"]), k);
  },
  rf: "global",
};

const matmul: OpRule = {
  infer(ctx) {
    const a = shapeOf(ctx, 0),
      b = shapeOf(ctx, 1);
    if (a.length === 0 || b.length === 0) throw new ShapeError("MatMul of a scalar");
    const a2 = a.length === 1 ? [1, ...a] : a;
    const b2 = b.length === 1 ? [...b, 1] : b;
    const k1 = a2[a2.length - 1],
      k2 = b2[b2.length - 2];
    if (isNum(k1) && isNum(k2) && k1 !== k2)
      throw new ShapeError(`MatMul inner dimensions differ: ${k1} vs ${k2}`, [k1, k2]);
    const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
    const out: Dim[] = [...batch];
    if (a.length > 1) out.push(a2[a2.length - 2] ?? "?");
    if (b.length > 1) out.push(b2[b2.length - 1] ?? "?");
    return [{ dtype: dtypeOf(ctx), shape: out }];
  },
  macs(ctx, outs) {
    const a = shapeOf(ctx, 0);
    return times(count(outs[0]?.shape ?? ["?"]), a[a.length - 1]);
  },
  rf: (ctx: RfContext): ValueField | undefined => {
    // Rows keep their field; contracting a spatial axis, or a spatial right operand, is global.
    const fa = ctx.fields[0],
      fb = ctx.fields[1];
    if (fb && (fb.kind === "global" || fb.axes.some((x) => x))) return { kind: "global" };
    if (!fa || fa.kind === "global") return fa;
    if (fa.axes[fa.axes.length - 1]) return { kind: "global" };
    return fa;
  },
};

/** Einsum: the output keeps the named indices; MACs = product of every index's size. */
function einsumParse(ctx: OpContext): { sizes: Map<string, Dim>; out: string } {
  const eq = attrStr(ctx.node, "equation", "").replace(/\s/g, "");
  const [lhsGiven = "", rhsGiven] = eq.split("->");
  // "..." stands for the broadcast of the remaining axes of each term: one private letter per axis,
  // right-aligned.
  const given = lhsGiven.split(",");
  const ellipsisRanks = given.map((t, i) =>
    t.includes("...") ? shapeOf(ctx, i).length - (t.length - 3) : 0,
  );
  const ellipsisRank = Math.max(0, ...ellipsisRanks);
  const ell = Array.from({ length: ellipsisRank }, (_, j) => String.fromCharCode(0x100 + j)).join("");
  const terms = given.map((t, i) => t.replace("...", ell.slice(ellipsisRank - (ellipsisRanks[i] ?? 0))));
  const lhs = terms.join(",");
  const sizes = new Map<string, Dim>();
  terms.forEach((t, i) => {
    const s = shapeOf(ctx, i);
    if (s.length !== t.length || t.includes("."))
      throw new ShapeError(`Einsum term ${given[i] ?? t} does not match rank ${s.length}`);
    [...t].forEach((c, k) => {
      const d = s[k] ?? "?";
      const cur = sizes.get(c);
      if (cur === undefined || cur === 1) sizes.set(c, d);
    });
  });
  const out =
    rhsGiven?.replace("...", ell) ??
    ell +
      [...new Set(lhs.replace(/,/g, ""))]
        .filter((c) => c < "\u0100" && lhs.split(c).length === 2)
        .sort()
        .join("");
  return { sizes, out };
}

const einsum: OpRule = {
  infer(ctx) {
    const { sizes, out } = einsumParse(ctx);
    return [{ dtype: dtypeOf(ctx), shape: [...out].map((c) => sizes.get(c) ?? "?") }];
  },
  macs(ctx) {
    return count([...einsumParse(ctx).sizes.values()]);
  },
  rf: "global",
};

/** LSTM/GRU/RNN: `gates` matrix products of (input + hidden) × hidden per step and direction. */
function recurrent(gates: number): OpRule {
  const dims = (ctx: OpContext) => {
    const x = shapeOf(ctx, 0),
      w = shapeOf(ctx, 1);
    const layout = attrInt(ctx.node, "layout", 0);
    const [seq, batch] = layout === 0 ? [x[0], x[1]] : [x[1], x[0]];
    const hidden = attrInt(ctx.node, "hidden_size", NaN);
    const h: Dim = Number.isNaN(hidden) ? (isNum(w[1]) ? w[1] / gates : "?") : hidden;
    return { seq: seq ?? "?", batch: batch ?? "?", input: x[2] ?? "?", dirs: w[0] ?? 1, h, layout };
  };
  return {
    infer(ctx) {
      const d = dims(ctx);
      const y = d.layout === 0 ? [d.seq, d.dirs, d.batch, d.h] : [d.batch, d.seq, d.dirs, d.h];
      const state = d.layout === 0 ? [d.dirs, d.batch, d.h] : [d.batch, d.dirs, d.h];
      return ctx.node.outputs.map((_, i) => ({ dtype: dtypeOf(ctx), shape: i === 0 ? y : state }));
    },
    macs(ctx) {
      const d = dims(ctx);
      const n = numeric([d.seq, d.batch, d.input, d.dirs, d.h]);
      if (!n) return null;
      const [seq = 0, batch = 0, input = 0, dirs = 0, h = 0] = n;
      return dirs * gates * (input + h) * h * seq * batch;
    },
    rf: "global",
  };
}

function reducedAxes(ctx: OpContext, rank: number): number[] {
  const axes = attrInts(ctx.node, "axes") ?? constInts(ctx, 1);
  if (!axes || axes.length === 0) {
    if (attrInt(ctx.node, "noop_with_empty_axes", 0) === 1) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => axisOf(a, rank));
}

/** Reduce* whose axes arrive as a run-time input: kept dims stay where keepdims keeps the rank. */
function reduceOverRuntimeAxes(ctx: OpContext, x: Shape): ValueState {
  const why = runtimeReason(ctx, "axes", 1);
  const keep = attrInt(ctx.node, "keepdims", 1) === 1;
  // An axis of size 1 is 1 whether reduced or not.
  if (keep)
    return runtimeShaped(
      ctx,
      x.map((d) => (d === 1 ? 1 : undefined)),
      why,
    );
  const n = operandLength(ctx, 1);
  if (n === undefined) return runtimeShaped(ctx, undefined, why);
  // Axes are unique (the spec requires it), so n of them drop n dims.
  return runtimeShaped(ctx, unknownDims(x.length - n), why);
}

const reduce: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    if (!attrInts(ctx.node, "axes") && isRuntimeValue(ctx, 1) && operandLength(ctx, 1) !== 0)
      return [reduceOverRuntimeAxes(ctx, x)];
    const axes = new Set(reducedAxes(ctx, x.length));
    const keep = attrInt(ctx.node, "keepdims", 1) === 1;
    const shape = keep ? x.map((d, i) => (axes.has(i) ? 1 : d)) : x.filter((_, i) => !axes.has(i));
    return [{ dtype: dtypeOf(ctx), shape }];
  },
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    if (!f || f.kind === "global" || !x) return f;
    const axes = reducedAxes(ctx, x.length);
    if (axes.some((a) => f.axes[a])) return { kind: "global" };
    const keep = attrInt(ctx.node, "keepdims", 1) === 1;
    return keep
      ? f
      : {
          kind: "axes",
          axes: f.axes.filter((_, i) => !axes.includes(i)),
          misaligned: f.misaligned,
          ...contextOf(f),
        };
  },
};

const argReduce: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axis = axisOf(attrInt(ctx.node, "axis", 0), x.length);
    const keep = attrInt(ctx.node, "keepdims", 1) === 1;
    return [
      {
        dtype: "int64",
        shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis),
      },
    ];
  },
  rf: "global",
};

const topK: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const axis = axisOf(attrInt(ctx.node, "axis", -1), x.length);
    const k = constInts(ctx, 1)?.[0] ?? attrInt(ctx.node, "k", NaN);
    const shape = x.map((d, i) => (i === axis ? (Number.isNaN(k) ? "k" : k) : d));
    return [
      { dtype: dtypeOf(ctx), shape },
      { dtype: "int64", shape },
    ];
  },
  rf: "global",
};

const REDUCE = [
  "ReduceMean",
  "ReduceSum",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL1",
  "ReduceL2",
  "ReduceLogSum",
  "ReduceLogSumExp",
  "ReduceSumSquare",
];

export const LINALG_OPS: Readonly<Record<string, OpRule>> = {
  Gemm: gemm,
  MatMul: matmul,
  Einsum: einsum,
  LSTM: recurrent(4),
  GRU: recurrent(3),
  RNN: recurrent(1),
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
};
