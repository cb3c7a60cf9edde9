/**
 * One node through its op rule: output states, MACs and the notes for its details. Shared by the
 * model's graph walk and the walk of nested graphs (If branches, Loop and Scan bodies), so a node
 * inside a body is analysed exactly as one outside.
 */
import { isFloat } from "../ir/dtype";
import type { Shape, Tensor } from "../ir/types";
import { ModelError } from "../ir/types";
import { ShapeError, type OpContext, type OpRule, type ValueState } from "../ops/types";

export interface NodeOutcome {
  /** One per node output that the rule gave (missing ones are unknown). */
  readonly outs: ValueState[];
  /** null when unknown (no rule, an unknown input, an error): never 0 for "not computed". */
  readonly macs: number | null;
  readonly warnings: string[];
}

// Dims beyond this are a corrupt file, not a model (2^31 elements along one axis).
const MAX_DIM = 2 ** 31;

export function checkDims(shape: Shape | readonly number[] | undefined, what: string): void {
  if (!shape) return;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d === "number" && (d < 0 || d > MAX_DIM || !Number.isInteger(d)))
      throw new ModelError(`Dimension ${d} of ${what} is not a plausible size (0 … 2^31).`);
  }
}

export function inferNode(rule: OpRule | undefined, ctx: OpContext): NodeOutcome {
  const { node } = ctx;
  const warnings: string[] = [];
  let outs: ValueState[] = [];
  let macs: number | null = 0;
  if (!rule) {
    warnings.push(`unknown: no rule for op ${node.domain ? `${node.domain}.` : ""}${node.opType}`);
    macs = null;
  } else if (
    ctx.inputs.some((s, i) => node.inputs[i] !== "" && !s?.shape && !(s?.sequence && rule.takesSequences)) &&
    node.opType !== "Constant" &&
    !rule.shapeFreeInputs
  ) {
    warnings.push("unknown: an input's shape is unknown");
    macs = null;
  } else {
    try {
      outs = rule.infer(ctx);
      for (const o of outs) checkDims(o.shape, `output of "${node.name}"`);
      // Each reason once, in order (no Set per node: most nodes have one output and no reason).
      outs.forEach((o, i) => {
        const why = o.reason;
        if (why && outs.findIndex((x) => x.reason === why) === i)
          warnings.push(`${outs.some((x) => !x.shape) ? "unknown" : "symbolic"}: ${why}`);
      });
      macs = rule.macs ? rule.macs(ctx, outs) : 0;
      if (rule.notes) warnings.push(...rule.notes(ctx, outs));
    } catch (e) {
      if (e instanceof ModelError) throw e;
      outs = [];
      macs = null;
      warnings.push(e instanceof ShapeError ? `shape error: ${e.message}` : `internal error: ${String(e)}`);
    }
  }
  // Identity of an initializer is an alias: its consumers own that parameter again (exporter dedup).
  if (node.opType === "Identity" && ctx.inputs[0]?.tensor && outs[0])
    outs[0] = { ...outs[0], tensor: ctx.inputs[0].tensor };
  return { outs, macs, warnings };
}

/**
 * The parameters a node reads, before de-duplication: an op that names its weight inputs
 * (QLinearConv, DequantizeLinear) those, integer or not, and not its scales and zero points; any
 * other its float initializers; then what its nested graphs read.
 */
export function weightsRead(
  rule: OpRule | undefined,
  ctx: OpContext,
): { readonly name: string; readonly tensor: Tensor }[] {
  const { node } = ctx;
  if (node.opType === "Identity") return [];
  const out: { name: string; tensor: Tensor }[] = [];
  node.inputs.forEach((name, i) => {
    const t = ctx.inputs[i]?.tensor;
    if (!t || t.role === "buffer") return;
    if (rule?.weightInputs ? !rule.weightInputs.includes(i) : !isFloat(t.dtype)) return;
    out.push({ name, tensor: t });
  });
  if (rule?.innerWeights) out.push(...rule.innerWeights(ctx));
  return out;
}
