/** Attention (opset 23) and the loss ops: shapes from the attention layout and the reduction. */
import type { Dim } from "../ir/types";
import { attrInt, attrStr, dtypeOf, isNum, numeric, shapeOf } from "./dims";
import { ShapeError, type OpContext, type OpRule, type ValueState } from "./types";

function plus(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a + b;
  return a === 0 ? b : b === 0 ? a : `${a}+${b}`;
}

function over(a: Dim, heads: number): Dim {
  if (!isNum(a)) return heads === 1 ? a : `${a}/${heads}`;
  if (a % heads !== 0) throw new ShapeError(`hidden size ${a} is not divisible by ${heads} heads`);
  return a / heads;
}

interface AttentionDims {
  readonly batch: Dim;
  readonly qHeads: Dim;
  readonly kvHeads: Dim;
  readonly qSeq: Dim;
  readonly totalSeq: Dim;
  readonly headSize: Dim;
  readonly vHeadSize: Dim;
  readonly threeD: boolean;
}

/**
 * Q, K, V as 4-D [batch, heads, seq, head_size] or 3-D [batch, seq, heads·head_size] (q_num_heads,
 * kv_num_heads).
 */
function attentionDims(ctx: OpContext): AttentionDims {
  const q = shapeOf(ctx, 0);
  const k = shapeOf(ctx, 1);
  const v = shapeOf(ctx, 2);
  const threeD = q.length === 3;
  const qn = attrInt(ctx.node, "q_num_heads", 0);
  const kvn = attrInt(ctx.node, "kv_num_heads", 0);
  if (threeD && (qn <= 0 || kvn <= 0))
    throw new ShapeError("Attention with 3-D inputs needs q_num_heads and kv_num_heads");
  const head = (s: readonly Dim[], n: number): Dim => (s.length === 3 ? over(s[2] ?? "?", n) : (s[3] ?? "?"));
  const kvSeq = (k.length === 3 ? k[1] : k[2]) ?? "?";
  const past = ctx.inputs[4]?.shape;
  return {
    batch: q[0] ?? "?",
    qHeads: threeD ? qn : (q[1] ?? "?"),
    kvHeads: k.length === 3 ? kvn : (k[1] ?? "?"),
    qSeq: (threeD ? q[1] : q[2]) ?? "?",
    totalSeq: past ? plus(past[2] ?? "?", kvSeq) : kvSeq,
    headSize: head(q, qn),
    vHeadSize: head(v, kvn),
    threeD,
  };
}

const attention: OpRule = {
  infer(ctx) {
    const d = attentionDims(ctx);
    const dtype = dtypeOf(ctx);
    const yHidden: Dim =
      isNum(d.qHeads) && isNum(d.vHeadSize) ? d.qHeads * d.vHeadSize : `${d.qHeads}·${d.vHeadSize}`;
    const outs: ValueState[] = [
      {
        dtype,
        shape: d.threeD ? [d.batch, d.qSeq, yHidden] : [d.batch, d.qHeads, d.qSeq, d.vHeadSize],
      },
      { dtype, shape: [d.batch, d.kvHeads, d.totalSeq, d.headSize] },
      { dtype, shape: [d.batch, d.kvHeads, d.totalSeq, d.vHeadSize] },
      { dtype, shape: [d.batch, d.qHeads, d.qSeq, d.totalSeq] },
    ];
    return outs.slice(0, ctx.node.outputs.length);
  },
  // Q·Kᵀ and softmax(·)·V: every query against every key, over the head sizes.
  macs(ctx) {
    const d = attentionDims(ctx);
    const n = numeric([d.batch, d.qHeads, d.qSeq, d.totalSeq]);
    if (!n || !isNum(d.headSize) || !isNum(d.vHeadSize)) return null;
    return n.reduce((a, b) => a * b, 1) * (d.headSize + d.vHeadSize);
  },
  rf: "global",
};

/**
 * A matrix-product op without a cost rule yet: its MACs are unknown with the reason, never 0 (the totals
 * then say they leave it out).
 */
function uncounted(op: string): Pick<OpRule, "macs" | "notes"> {
  return {
    macs: () => null,
    notes: () => [`MACs unknown: ${op} has no cost rule in ConvLens yet`],
  };
}

/**
 * FlexAttention (ai.onnx.preview): Q [B, Hq, Lq, E], K [B, Hkv, Lk, E], V [B, Hkv, Lk, Ev] → [B, Hq, Lq, Ev].
 */
const flexAttention: OpRule = {
  infer(ctx) {
    const q = shapeOf(ctx, 0);
    const v = shapeOf(ctx, 2);
    if (q.length !== 4 || v.length !== 4) throw new ShapeError("FlexAttention needs 4-D Q and V");
    return [{ dtype: dtypeOf(ctx), shape: [q[0] ?? "?", q[1] ?? "?", q[2] ?? "?", v[3] ?? "?"] }];
  },
  ...uncounted("FlexAttention"),
  rf: "global",
};

/**
 * LinearAttention (opset 27), 3-D: query [B, T, Hq·dk], key [B, T, Hkv·dk], value [B, T, Hkv·dv]
 * → output [B, T, Hq·dv] and present_state [B, Hkv, dk, dv].
 */
const linearAttention: OpRule = {
  infer(ctx) {
    const q = shapeOf(ctx, 0);
    const k = shapeOf(ctx, 1);
    const v = shapeOf(ctx, 2);
    // Only the 3-D layout is modelled; any other is left unknown rather than refused.
    if (q.length !== 3 || k.length !== 3 || v.length !== 3) {
      const reason = "LinearAttention with other than 3-D query, key and value is not analysed";
      return ctx.node.outputs.map(() => ({ dtype: dtypeOf(ctx), shape: undefined, reason }));
    }
    const qn = attrInt(ctx.node, "q_num_heads", 0);
    const kvn = attrInt(ctx.node, "kv_num_heads", 0);
    if (qn <= 0 || kvn <= 0) throw new ShapeError("LinearAttention needs q_num_heads and kv_num_heads");
    const dk = over(k[2] ?? "?", kvn);
    const dv = over(v[2] ?? "?", kvn);
    const hidden: Dim = isNum(dv) ? qn * dv : `${qn}·${dv}`;
    const dtype = dtypeOf(ctx);
    const outs: ValueState[] = [
      { dtype, shape: [q[0] ?? "?", q[1] ?? "?", hidden] },
      { dtype, shape: [q[0] ?? "?", kvn, dk, dv] },
    ];
    return outs.slice(0, ctx.node.outputs.length);
  },
  ...uncounted("LinearAttention"),
  rf: "global",
};

/** Loss ops: a scalar, or with reduction "none" one loss per target element. */
function loss(targetInput: number): OpRule {
  return {
    infer(ctx) {
      const scores = shapeOf(ctx, 0);
      const target = shapeOf(ctx, targetInput);
      const none = attrStr(ctx.node, "reduction", "mean") === "none";
      const outs: ValueState[] = [{ dtype: dtypeOf(ctx), shape: none ? target : [] }];
      // SoftmaxCrossEntropyLoss's optional log_prob is the scores' shape.
      if (ctx.node.outputs.length > 1) outs.push({ dtype: dtypeOf(ctx), shape: scores });
      return outs;
    },
    rf: "global",
  };
}

/** The ai.onnx.preview domain. */
export const PREVIEW_OPS: Readonly<Record<string, OpRule>> = { FlexAttention: flexAttention };

export const ATTENTION_OPS: Readonly<Record<string, OpRule>> = {
  Attention: attention,
  LinearAttention: linearAttention,
  NegativeLogLikelihoodLoss: loss(1),
  SoftmaxCrossEntropyLoss: loss(1),
};
