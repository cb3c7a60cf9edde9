/** Dimension arithmetic with symbols, broadcasting, and attribute access for op rules. */
import type { AttrValue, Dim, Node, Shape } from "../ir/types";
import { ShapeError, type OpContext, type ValueState } from "./types";

export function isNum(d: Dim | undefined): d is number {
  return typeof d === "number";
}

/** Product of dims; a symbol makes it symbolic ("N·512"), unknown shapes give undefined. */
export function product(dims: readonly Dim[]): Dim {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") n *= d;
    else syms.push(d);
  }
  if (syms.length === 0) return n;
  return n === 1 ? syms.join("·") : `${syms.join("·")}·${n}`;
}

/** A symbolic dim derived from others, e.g. for a conv over a symbolic height. */
export function derived(expr: string): string {
  return expr;
}

export function numeric(shape: Shape | undefined): number[] | undefined {
  if (!shape || !shape.every(isNum)) return undefined;
  return shape as number[];
}

/** Numpy-style broadcasting of several shapes. */
export function broadcast(shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (d === 1) d = x;
      else if (isNum(d) && isNum(x) && d !== x)
        throw new ShapeError(`shapes ${fmt(shapes[0])} and ${fmt(s)} do not broadcast (${d} vs ${x})`, [
          d,
          x,
        ]);
      else if (!isNum(d) && isNum(x)) d = x;
    }
    out.push(d);
  }
  return out;
}

export function fmt(s: Shape | undefined): string {
  return s ? `[${s.join(", ")}]` : "[?]";
}

/** Normalise a possibly negative axis for a tensor of this rank. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new ShapeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function attrInt(node: Node, name: string, dflt: number): number {
  const v: AttrValue | undefined = node.attrs[name];
  return typeof v === "number" ? v : dflt;
}
export function attrFloat(node: Node, name: string, dflt: number): number {
  return attrInt(node, name, dflt);
}
export function attrInts(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;
}
export function attrFloats(node: Node, name: string): number[] | undefined {
  return attrInts(node, name);
}
export function attrStr(node: Node, name: string, dflt: string): string {
  const v = node.attrs[name];
  return typeof v === "string" ? v : dflt;
}

/** The input's state; throws when the shape is needed but unknown. */
export function shapeOf(ctx: OpContext, i: number): Shape {
  const s = ctx.inputs[i]?.shape;
  if (!s) throw new ShapeError(`shape of input ${i + 1} (${ctx.node.inputs[i] ?? "?"}) is unknown`);
  return s;
}

export function input(ctx: OpContext, i: number): ValueState | undefined {
  return ctx.inputs[i];
}

/** Integer constant values of an input (axes, shape, pads), or of an attribute for older opsets. */
export function constInts(ctx: OpContext, i: number): number[] | undefined {
  const v = ctx.inputs[i]?.value;
  if (!v || !v.every((x) => typeof x === "number")) return undefined;
  return v as number[];
}

export function dtypeOf(ctx: OpContext, i = 0): ValueState["dtype"] {
  return ctx.inputs[i]?.dtype ?? "float32";
}

/** Elements of a shape when known (for constant folding size limits). */
export function countOf(shape: Shape | undefined): number | undefined {
  const n = numeric(shape);
  return n ? n.reduce((a, b) => a * b, 1) : undefined;
}
