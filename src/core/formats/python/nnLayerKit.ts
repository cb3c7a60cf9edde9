/** What every torch.nn layer entry shares: the call context, the spec shape, and node helpers. */
import type { AttrValue } from "../../ir/types";
import type { Span } from "./ast";
import type { GraphBuilder, QuickFix } from "./graphBuilder";
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
