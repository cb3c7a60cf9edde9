/**
 * Dims that depend on values only the run time knows (a shape operand that is a graph input or a
 * computed tensor): named symbols with the reason, the rank kept where the op determines it.
 */
import type { Dim } from "../ir/types";
import { dtypeOf, isNum } from "./dims";
import type { OpContext, ValueState } from "./types";

/** An operand that is given but whose value only the run time knows (a graph input, a computed tensor). */
export function isRuntimeValue(ctx: OpContext, i: number): boolean {
  return (ctx.node.inputs[i] ?? "") !== "" && ctx.inputs[i]?.value === undefined;
}

/** Length of a 1-D operand (axes, a target shape) from its shape, when its values are not known. */
export function operandLength(ctx: OpContext, i: number): number | undefined {
  const s = ctx.inputs[i]?.shape;
  if (!s) return undefined;
  if (s.length === 0) return 1;
  const n = s[0];
  return s.length === 1 && isNum(n) ? n : undefined;
}

/**
 * An output whose dims depend on a value known only at run time: `dims` holds the ones the op
 * still determines, undefined where a named symbol (output name + axis) stands in; undefined
 * `dims` = even the rank is unknown. `why` names the value, for the details pane.
 */
export function runtimeShaped(
  ctx: OpContext,
  dims: readonly (Dim | undefined)[] | undefined,
  why: string,
  k = 0,
  dtype: ValueState["dtype"] = dtypeOf(ctx),
): ValueState {
  const out = ctx.node.outputs[k] || `${ctx.node.name}:${k}`;
  return { dtype, shape: dims?.map((d, a) => d ?? `${out}_d${a}`), reason: why };
}

/** The reason for runtimeShaped: "<op> <what> (<input name>) is only known at run time". */
export function runtimeReason(ctx: OpContext, what: string, i: number): string {
  return `${ctx.node.opType} ${what} (${ctx.node.inputs[i] ?? "?"}) is only known at run time`;
}

/** `rank` dims that runtimeShaped names (none of them determined). */
export function unknownDims(rank: number): undefined[] {
  return Array.from({ length: Math.max(0, rank) }, () => undefined);
}
