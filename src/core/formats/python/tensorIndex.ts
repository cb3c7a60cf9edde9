/** Tensor indexing (x[:, -1, :], x[..., 0], x[:, :3]) as Slice nodes, with Squeeze for integer indexes. */
import type { Expr, Span } from "./ast";
import type { GraphBuilder } from "./graphBuilder";
import { InterpError } from "./interpErrors";
import { NONE, num, unknown, type PyTensor, type PyValue } from "./values";

export function tensorIndex(b: GraphBuilder, scope: string, x: PyTensor, index: PyValue, span: Span, expr: Expr): PyValue {
  const shape = x.state.shape;
  if (!b || !shape) return unknown("indexing a tensor whose shape is unknown");
  const parts = expr.kind === "Tuple" ? (index.t === "tuple" ? index.items : []) : [index];
  const exprs = expr.kind === "Tuple" ? expr.elts : [expr];
  const ell = exprs.findIndex((e) => e.kind === "EllipsisLit");
  const expanded: (PyValue | "all")[] = [];
  parts.forEach((p, i) => {
    if (i === ell) for (let k = 0; k < shape.length - (parts.length - 1); k++) expanded.push("all");
    else expanded.push(p);
  });
  let cur = x;
  const squeeze: number[] = [];
  const emit = (opType: string, inputs: string[], attrs = {}) => b.op(opType, inputs, attrs, { scope, source: { call: span } })[0] as PyTensor;
  expanded.forEach((p, axis) => {
    if (p === "all") return;
    if (p.t === "builtin" && p.name === "slice") {
      const [s, e, st] = ["start", "stop", "step"].map((q) => p.attrs?.(q) ?? NONE);
      if ([s, e, st].every((v) => v?.t === "none")) return;
      const start = num(s as PyValue) ?? 0,
        end = num(e as PyValue) ?? 2 ** 31 - 1,
        step = num(st as PyValue) ?? 1;
      cur = emit("Slice", [cur.value, b.constInts([start]), b.constInts([end]), b.constInts([axis]), b.constInts([step])]);
      return;
    }
    const i = num(p);
    if (i === undefined || p.t === "none") throw new InterpError("indexing with a tensor or None is not followed");
    cur = emit("Slice", [cur.value, b.constInts([i]), b.constInts([i === -1 ? 2 ** 31 - 1 : i + 1]), b.constInts([axis]), b.constInts([1])]);
    squeeze.push(axis);
  });
  return squeeze.length ? emit("Squeeze", [cur.value, b.constInts(squeeze)]) : cur;
}

