/**
 * What the torch.* / F.* functions and tensor methods share (torchOps.ts and the tables it
 * gathers): the call, how an op emits nodes, and readers for its arguments.
 */
import type { AttrValue } from "../../ir/types";
import type { Span } from "./ast";
import type { GraphBuilder } from "./graphBuilder";
import { getFloat } from "./pyArgs";
import { NONE, iterate, num, unknown, type PyTensor, type PyValue } from "./values";

export interface OpCall {
  readonly b: GraphBuilder;
  readonly scope: string;
  readonly span: Span;
  readonly args: readonly PyValue[];
  readonly kwargs: ReadonlyMap<string, PyValue>;
}

export type TorchOp = (c: OpCall) => PyValue;

export function emit(
  c: OpCall,
  opType: string,
  inputs: string[],
  attrs: Record<string, AttrValue> = {},
  outputs = 1,
): PyTensor[] {
  return c.b.op(opType, inputs, attrs, { scope: c.scope, source: { call: c.span }, outputs });
}
export const first = (ts: PyTensor[]): PyValue => ts[0] ?? unknown("no output");

/** Argument i (positional) or by keyword. */
export function arg(c: OpCall, i: number, name: string): PyValue | undefined {
  return c.args[i] ?? c.kwargs.get(name);
}
export function intArg(c: OpCall, i: number, name: string, dflt?: number): number | undefined {
  const v = arg(c, i, name);
  return v ? num(v) : dflt;
}
export function tensorArg(c: OpCall, i: number, name = "input"): PyTensor | undefined {
  const v = arg(c, i, name);
  return v?.t === "tensor" ? v : undefined;
}

/** Varargs or one sequence: x.view(2, -1) and x.view((2, -1)). */
export function dimsFrom(c: OpCall, from: number, name: string): (number | string)[] | undefined {
  const rest = c.args.slice(from);
  const seq =
    rest.length === 1 && (rest[0]?.t === "tuple" || rest[0]?.t === "list")
      ? iterate(rest[0])
      : rest.length
        ? rest
        : iterate(c.kwargs.get(name) ?? NONE);
  if (!seq) return undefined;
  const out: (number | string)[] = [];
  for (const v of seq) {
    if (v.t === "int") out.push(v.v);
    else if (v.t === "sym") out.push(v.v);
    else return undefined;
  }
  return out;
}

/** A number argument (positional i or by keyword), `dflt` when absent or None; not a constant: ArgError. */
export function floatArg(c: OpCall, i: number, name: string, dflt: number): number {
  return getFloat(new Map(Object.entries({ [name]: arg(c, i, name) ?? NONE })), name, dflt);
}

/** An optional argument that was given (not missing, not None). */
export const present = (v: PyValue | undefined): v is PyValue => v !== undefined && v.t !== "none";
