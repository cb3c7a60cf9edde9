/**
 * How a layer's values are quantized, for its details: the stored integer type, the scale and the
 * zero point. A quantized op (QLinearConv, QuantizeLinear, …) names them through its op-table
 * quantSlots; a float op of a QDQ model (a Conv between DequantizeLinear nodes) reads dequantized
 * values, and shows how each of those is stored.
 */
import type { OpContext, OpRule, ValueState } from "../ops/types";
import { attrInt } from "../ops/dims";
import type { QuantParams } from "./result";

/** Per-channel scales: the first few are enough to read (a count says how many there are). */
const SHOWN = 8;

function numbers(s: ValueState | undefined): number[] | null {
  const v = s?.value;
  return v && v.every((x) => typeof x === "number") ? (v.slice(0, SHOWN) as number[]) : null;
}

function elements(s: ValueState | undefined): number | null {
  if (!s?.shape) return null;
  return s.shape.reduce<number | null>((a, d) => (a === null || typeof d !== "number" ? null : a * d), 1);
}

/**
 * `dequantized`: what each DequantizeLinear output stands for, filled as the walk passes them
 * (the layers that read those outputs come later in topological order).
 */
export function quantParamsOf(
  rule: OpRule | undefined,
  ctx: OpContext,
  outs: readonly ValueState[],
  dequantized: Map<string, QuantParams>,
): QuantParams[] {
  const { node } = ctx;
  const own: QuantParams[] = (rule?.quantSlots ?? []).map((slot) => {
    const state = slot.value === "output" ? outs[0] : ctx.inputs[slot.value];
    const value = (slot.value === "output" ? node.outputs[0] : node.inputs[slot.value]) ?? "";
    const scale = slot.scale === undefined ? undefined : ctx.inputs[slot.scale];
    const zpGiven = slot.zeroPoint !== undefined && (node.inputs[slot.zeroPoint] ?? "") !== "";
    const count = scale ? elements(scale) : null;
    return {
      role: slot.role === "input" && state?.tensor ? "weight" : slot.role,
      value,
      dtype: state?.dtype ?? "unknown",
      scale: scale ? numbers(scale) : null,
      // An omitted zero point is 0 (the spec's default).
      zeroPoint: zpGiven
        ? numbers(ctx.inputs[slot.zeroPoint ?? -1])
        : slot.zeroPoint === undefined
          ? null
          : [0],
      scaleCount: count,
      ...(count !== null && count > 1 ? { axis: attrInt(node, "axis", 1) } : {}),
    };
  });
  if (node.opType === "DequantizeLinear" && own[0] && node.outputs[0])
    dequantized.set(node.outputs[0], own[0]);
  const read = node.inputs.flatMap((name) => {
    const q = name ? dequantized.get(name) : undefined;
    return q && node.opType !== "DequantizeLinear" ? [q] : [];
  });
  return [...own, ...read];
}
