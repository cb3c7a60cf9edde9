/** What every torch.nn layer entry shares: the call context, the spec shape, and node helpers. */
import type { AttrValue } from "../../ir/types";
import type { Span } from "./ast";
import type { GraphBuilder, QuickFix } from "./graphBuilder";
import { ArgError } from "./pyArgs";
import { bool, int, unknown, type PyTensor, type PyValue } from "./values";

export interface LayerCall {
  readonly b: GraphBuilder;
  readonly type: string;
  readonly path: string;
  readonly args: ReadonlyMap<string, PyValue>;
  readonly argSpans: ReadonlyMap<string, Span>;
  readonly x: PyTensor;
  readonly rest: readonly PyValue[];
  /** Keyword arguments of the call (MaxUnpool's output_size=...). */
  readonly kwargs: ReadonlyMap<string, PyValue>;
  readonly callSpan: Span;
  readonly defSpan?: Span;
}

export interface LayerSpec {
  readonly params: readonly string[];
  readonly defaults: Readonly<Record<string, PyValue>>;
  readonly forward: (c: LayerCall) => PyValue;
  /** A plausible input for this layer when it comes first and no shape is given. */
  readonly defaultInput?: (
    args: ReadonlyMap<string, PyValue>,
  ) => { dtype: "float32" | "int64"; shape: number[] } | undefined;
  /**
   * The same when the layer is the whole model (`model = nn.LayerNorm(8)`) and states nothing else
   * about its input. Not used for a layer inside a model: registration order need not be forward
   * order, and a norm or pooling layer says less about the input than the conv or linear before it.
   */
  readonly aloneInput?: (
    args: ReadonlyMap<string, PyValue>,
  ) => { dtype: "float32" | "int64"; shape: number[] } | undefined;
}

export const T = bool(true),
  F = bool(false),
  I0 = int(0),
  I1 = int(1);

export function op(
  c: LayerCall,
  opType: string,
  inputs: string[],
  attrs: Record<string, AttrValue>,
  extra: {
    outputs?: number;
    explain?: (m: string) => { message: string; fixes?: QuickFix[] } | undefined;
  } = {},
): PyTensor[] {
  return c.b.op(opType, inputs, attrs, {
    scope: c.path,
    layerType: c.type,
    source: { call: c.callSpan, ...(c.defSpan ? { def: c.defSpan } : {}) },
    ...extra,
  });
}

export function one(ts: PyTensor[]): PyValue {
  return ts[0] ?? unknown("no output");
}

/** A shape error PyTorch would raise: a diagnostic at the call, and an unknown value with the same reason. */
export function reject(c: LayerCall, message: string): PyValue {
  const shape = c.x.state.shape;
  c.b.diagnostics.push({
    span: c.callSpan,
    message: shape ? `${message} (input ${shape.join("×")})` : message,
    severity: "error",
  });
  return unknown(message);
}

export const w = (c: LayerCall, name: string, dims: number[], role: "parameter" | "buffer" = "parameter") =>
  c.b.weight(`${c.path}.${name}`, dims, role);

/** A layer that is one node on its input: activations, dropout, LRN (attrs from the constructor's args). */
export function unary(
  opType: string,
  params: string[] = [],
  attrs: (c: LayerCall) => Record<string, AttrValue> = () => ({}),
): LayerSpec {
  return { params, defaults: {}, forward: (c) => one(op(c, opType, [c.x.value], attrs(c))) };
}

/** Fix for "expects N input channels/features but receives M": replace the constructor's constant. */
export function channelFix(
  c: LayerCall,
  argName: string,
  message: string,
): { message: string; fixes?: QuickFix[] } {
  const got = /receives (\d+)/.exec(message)?.[1];
  const span = c.argSpans.get(argName);
  const shape = c.x.state.shape;
  const fixes: QuickFix[] = [];
  if (got && span) {
    fixes.push({ span, replacement: got, title: `Change ${argName} to ${got}` });
    // After a flatten, the product of the flattened dims says where the number comes from (64 * 13 * 13).
    const producer = c.b.nodes.find((n) => n.outputs.includes(c.x.value));
    const before =
      producer && (producer.opType === "Flatten" || producer.opType === "Reshape")
        ? c.b.states.get(producer.inputs[0] ?? "")?.shape
        : undefined;
    const dims = before?.slice(1);
    if (
      dims &&
      dims.length > 1 &&
      dims.every((d) => typeof d === "number") &&
      String(dims.reduce<number>((a, d) => a * (d as number), 1)) === got
    )
      fixes.push({ span, replacement: dims.join(" * "), title: `Change ${argName} to ${dims.join(" * ")}` });
  }
  return { message: shape ? `${message} (input ${shape.join("×")})` : message, fixes };
}

/** LayerNorm's / RMSNorm's `normalized_shape` (an int or a sequence of ints), constant or refused. */
export function normalizedShape(args: ReadonlyMap<string, PyValue>): number[] {
  const ns = args.get("normalized_shape");
  const dims =
    ns?.t === "int"
      ? [ns.v]
      : ns && (ns.t === "tuple" || ns.t === "list")
        ? ns.items.map((v) => (v.t === "int" ? v.v : NaN))
        : [NaN];
  if (dims.some(Number.isNaN)) throw new ArgError("normalized_shape is not constant");
  return dims;
}

/** LayerNorm / RMSNorm alone: one sample of exactly the normalised dims. */
export function normalizedInput(
  args: ReadonlyMap<string, PyValue>,
): { dtype: "float32"; shape: number[] } | undefined {
  try {
    return { dtype: "float32", shape: [1, ...normalizedShape(args)] };
  } catch (e) {
    if (e instanceof ArgError) return undefined;
    throw e;
  }
}
