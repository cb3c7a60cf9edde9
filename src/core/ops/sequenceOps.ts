/**
 * Sequence ops: a sequence value carries its tensors' states when the analysis knows how many there
 * are, or else one state that every element fits (named symbols where elements differ). Tensors
 * taken out of a sequence (SequenceAt, ConcatFromSequence, SequenceLength) get what that determines.
 */
import { dtypeFromOnnx } from "../ir/dtype";
import type { Dim, Node } from "../ir/types";
import { attrInt, axisOf, constInts, isNum, shapeOf } from "./dims";
import { runtimeShaped } from "./runtimeDims";
import { SHAPE_OPS } from "./shapeOps";
import { ShapeError, type OpContext, type OpRule, type SequenceState, type ValueState } from "./types";

function sequenceOf(ctx: OpContext, i: number): SequenceState {
  const s = ctx.inputs[i]?.sequence;
  if (!s) throw new ShapeError(`input ${i + 1} (${ctx.node.inputs[i] ?? "?"}) is not a known sequence`);
  return s;
}

const seqValue = (dtype: ValueState["dtype"], sequence: SequenceState): ValueState => ({
  dtype,
  shape: undefined,
  sequence,
});

/** What every element fits: their common dims, undefined where they differ; undefined rank if ranks do. */
function commonDims(items: readonly ValueState[]): (Dim | undefined)[] | undefined {
  const first = items[0]?.shape;
  if (!first || items.some((s) => s.shape?.length !== first.length)) return undefined;
  return first.map((d, a) => (items.every((s) => s.shape?.[a] === d) ? d : undefined));
}

/** One element of a sequence whose elements are not each known (or at an unknown position). */
function anyElement(ctx: OpContext, s: SequenceState, why: string, k = 0): ValueState {
  const dims = s.items ? commonDims(s.items) : s.item?.shape;
  const dtype = s.items?.[0]?.dtype ?? s.item?.dtype ?? "unknown";
  if (dims && dims.every(isNum)) return { dtype, shape: dims };
  return runtimeShaped(
    ctx,
    dims?.map((d) => (isNum(d) ? d : undefined)),
    why,
    k,
    dtype,
  );
}

/** A sequence of unknown length whose elements all fit `item`. */
function someItems(items: readonly ValueState[]): SequenceState {
  const dims = commonDims(items);
  const dtype = items[0]?.dtype ?? "unknown";
  return {
    item: { dtype, shape: dims?.every((d) => d !== undefined) ? (dims as Dim[]) : undefined },
  };
}

/**
 * A position input's value, negatives counted from the end: undefined when omitted (the end), null
 * when only the run time knows it. Insert may point one past the last element; At and Erase may not.
 */
function position(ctx: OpContext, i: number, length: number, pastEnd: boolean): number | undefined | null {
  if ((ctx.node.inputs[i] ?? "") === "") return undefined;
  const p = constInts(ctx, i)?.[0];
  if (p === undefined) return null;
  const at = p < 0 ? p + length : p;
  if (at < 0 || at > (pastEnd ? length : length - 1))
    throw new ShapeError(`position ${p} is outside a sequence of ${length}`);
  return at;
}

const construct: OpRule = {
  rf: "none",
  infer: (ctx) => [
    seqValue(ctx.inputs[0]?.dtype ?? "unknown", {
      items: ctx.inputs.map((s) => s ?? { dtype: "unknown", shape: undefined }),
    }),
  ],
};

const empty: OpRule = {
  rf: "none",
  infer: (ctx) => [seqValue(dtypeFromOnnx(attrInt(ctx.node, "dtype", 1)), { items: [] })],
};

const insert: OpRule = {
  rf: "none",
  infer(ctx) {
    const s = sequenceOf(ctx, 0);
    const t = ctx.inputs[1] ?? { dtype: "unknown", shape: undefined };
    if (!s.items) return [seqValue(t.dtype, someItems(s.item ? [s.item, t] : [t]))];
    const at = position(ctx, 2, s.items.length, true);
    if (at === null) return [seqValue(t.dtype, someItems([...s.items, t]))];
    const items = [...s.items];
    items.splice(at ?? items.length, 0, t);
    return [seqValue(t.dtype, { items })];
  },
};

const erase: OpRule = {
  rf: "none",
  infer(ctx) {
    const s = sequenceOf(ctx, 0);
    const dtype = ctx.inputs[0]?.dtype ?? "unknown";
    if (!s.items) return [seqValue(dtype, s)];
    const at = position(ctx, 1, s.items.length, false);
    if (at === null) return [seqValue(dtype, someItems(s.items))];
    const items = [...s.items];
    items.splice(at ?? items.length - 1, 1);
    return [seqValue(dtype, { items })];
  },
};

const at: OpRule = {
  rf: "none",
  infer(ctx) {
    const s = sequenceOf(ctx, 0);
    const why = `SequenceAt position (${ctx.node.inputs[1] ?? "?"}) is only known at run time`;
    if (!s.items)
      return [anyElement(ctx, s, `SequenceAt: the sequence's elements are only known at run time`)];
    if (s.items.length === 0) throw new ShapeError("SequenceAt of an empty sequence");
    const p = position(ctx, 1, s.items.length, false);
    const item = p === null || p === undefined ? undefined : s.items[p];
    return [item ? { dtype: item.dtype, shape: item.shape } : anyElement(ctx, s, why)];
  },
};

const length: OpRule = {
  rf: "none",
  infer(ctx) {
    const s = sequenceOf(ctx, 0);
    return [{ dtype: "int64", shape: [], ...(s.items ? { value: [s.items.length] } : {}) }];
  },
};

/** Sizes along the axis: `split` given (scalar chunk or list), else one per element. */
function splitSizes(ctx: OpContext, d: number): number[] | undefined {
  if ((ctx.node.inputs[1] ?? "") === "") return Array.from({ length: d }, () => 1);
  const split = constInts(ctx, 1);
  if (!split) return undefined;
  if ((ctx.inputs[1]?.shape?.length ?? 0) > 0) return split;
  const chunk = split[0] ?? 1;
  if (chunk <= 0) throw new ShapeError(`SplitToSequence chunk size ${chunk}`);
  return Array.from({ length: Math.ceil(d / chunk) }, (_, k) => Math.min(chunk, d - k * chunk));
}

const splitToSequence: OpRule = {
  rf: "none",
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const dtype = ctx.inputs[0]?.dtype ?? "unknown";
    const axis = axisOf(attrInt(ctx.node, "axis", 0), x.length);
    const d = x[axis];
    // keepdims applies only when split is not given.
    const drop = attrInt(ctx.node, "keepdims", 1) === 0 && (ctx.node.inputs[1] ?? "") === "";
    const piece = (size: Dim): ValueState => ({
      dtype,
      shape: drop ? x.filter((_, a) => a !== axis) : x.map((v, a) => (a === axis ? size : v)),
    });
    const sizes = isNum(d) ? splitSizes(ctx, d) : undefined;
    if (sizes) {
      if (sizes.reduce((a, b) => a + b, 0) !== d)
        throw new ShapeError(`split sizes ${sizes.join("+")} ≠ ${d}`);
      return [seqValue(dtype, { items: sizes.map(piece) })];
    }
    // How many pieces (and, kept, their size along the axis) only the run time knows.
    const out = ctx.node.outputs[0] || ctx.node.name;
    return [seqValue(dtype, { item: piece(`${out}_piece`) })];
  },
};

const concatRule = SHAPE_OPS["Concat"] as OpRule;

const concatFromSequence: OpRule = {
  rf: "none",
  infer(ctx) {
    const s = sequenceOf(ctx, 0);
    const newAxis = attrInt(ctx.node, "new_axis", 0) === 1;
    const axisAttr = attrInt(ctx.node, "axis", 0);
    const dtype = s.items?.[0]?.dtype ?? s.item?.dtype ?? "unknown";
    if (s.items && s.items.length > 0) {
      // Stacking is Concat of each element with a new axis of 1.
      const inputs = s.items.map((it) => {
        if (!newAxis || !it.shape) return it;
        const a = axisOf(axisAttr, it.shape.length + 1);
        return { ...it, shape: [...it.shape.slice(0, a), 1, ...it.shape.slice(a)] };
      });
      const node: Node = { ...ctx.node, inputs: inputs.map((_, i) => `${ctx.node.name}:item${i}`) };
      const [out] = concatRule.infer({ ...ctx, node, inputs });
      return [{ dtype, shape: out?.shape }];
    }
    const why = "ConcatFromSequence: how many tensors the sequence holds is only known at run time";
    const dims = s.item?.shape;
    if (!dims) return [{ dtype, shape: undefined, reason: why }];
    const rank = dims.length + (newAxis ? 1 : 0);
    const a = axisOf(axisAttr, rank);
    const joined: (Dim | undefined)[] = newAxis
      ? [...dims.slice(0, a), undefined, ...dims.slice(a)]
      : [...dims];
    joined[a] = undefined;
    return [runtimeShaped(ctx, joined, why, 0, dtype)];
  },
};

const reading = (rule: OpRule): OpRule => ({ ...rule, takesSequences: true });

export const SEQUENCE_OPS: Readonly<Record<string, OpRule>> = {
  SequenceConstruct: construct,
  SequenceEmpty: empty,
  SequenceInsert: reading(insert),
  SequenceErase: reading(erase),
  SequenceAt: reading(at),
  SequenceLength: reading(length),
  SplitToSequence: splitToSequence,
  ConcatFromSequence: reading(concatFromSequence),
};
