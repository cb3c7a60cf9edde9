/**
 * Tensor indexing: x[:, -1, :], x[..., 0], x[:, :3] as Slice nodes (Squeeze for integer
 * indexes), x[:, None] as Unsqueeze, and one integer tensor (or list of ints) as Gather on its
 * axis (table[index]: the index's shape in place of that axis, as PyTorch does for a single
 * advanced index). Boolean masks and several advanced indexes are not followed.
 */
import type { Expr, Span } from "./ast";
import type { GraphBuilder } from "./graphBuilder";
import { InterpError } from "./interpErrors";
import { NONE, num, unknown, type PyTensor, type PyValue } from "./values";

type Part = PyValue | "all";

const isSlice = (p: PyValue): boolean => p.t === "builtin" && p.name === "slice";
const isAdvanced = (p: PyValue): boolean => p.t === "tensor" || p.t === "list";

export function tensorIndex(
  b: GraphBuilder,
  scope: string,
  x: PyTensor,
  index: PyValue,
  span: Span,
  expr: Expr,
): PyValue {
  const shape = x.state.shape;
  if (!b || !shape) return unknown("indexing a tensor whose shape is unknown");
  const parts = expr.kind === "Tuple" ? (index.t === "tuple" ? index.items : []) : [index];
  const exprs = expr.kind === "Tuple" ? expr.elts : [expr];
  const ell = exprs.findIndex((e) => e.kind === "EllipsisLit");
  // Axes the index consumes (None adds one, … stands for the rest).
  const consuming = parts.filter((p, i) => i !== ell && p.t !== "none").length;
  const expanded: Part[] = [];
  parts.forEach((p, i) => {
    if (i === ell) for (let k = 0; k < shape.length - consuming; k++) expanded.push("all");
    else expanded.push(p);
  });
  const advanced = expanded.filter((p) => p !== "all" && isAdvanced(p));
  if (advanced.length > 1) throw new InterpError("indexing with several tensors is not followed");
  let cur = x;
  let axis = 0;
  const squeeze: number[] = [];
  const emit = (opType: string, inputs: string[], attrs = {}) =>
    b.op(opType, inputs, attrs, { scope, source: { call: span } })[0] as PyTensor;
  for (const p of expanded) {
    if (p === "all") {
      axis++;
      continue;
    }
    if (p.t === "none") {
      cur = emit("Unsqueeze", [cur.value, b.constInts([axis])]);
      axis++;
      continue;
    }
    if (isSlice(p)) {
      const [s, e, st] = ["start", "stop", "step"].map(
        (q) => (p.t === "builtin" ? p.attrs?.(q) : undefined) ?? NONE,
      );
      if (![s, e, st].every((v) => v?.t === "none")) {
        const start = num(s as PyValue) ?? 0,
          end = num(e as PyValue) ?? 2 ** 31 - 1,
          step = num(st as PyValue) ?? 1;
        if ([s, e, st].some((v) => v?.t !== "none" && num(v as PyValue) === undefined))
          throw new InterpError("slicing with bounds that are not constant");
        cur = emit("Slice", [
          cur.value,
          b.constInts([start]),
          b.constInts([end]),
          b.constInts([axis]),
          b.constInts([step]),
        ]);
      }
      axis++;
      continue;
    }
    if (p.t === "tensor" || p.t === "list") {
      const idx = gatherIndex(b, p);
      if (!idx) throw new InterpError("indexing with a boolean or non-integer tensor is not followed");
      const rank = idx.state.shape?.length;
      if (rank === undefined) throw new InterpError("indexing with a tensor of unknown shape");
      cur = emit("Gather", [cur.value, idx.value], { axis });
      axis += rank;
      continue;
    }
    const i = num(p);
    if (i === undefined) throw new InterpError("indexing with a value that is not an integer");
    cur = emit("Slice", [
      cur.value,
      b.constInts([i]),
      b.constInts([i === -1 ? 2 ** 31 - 1 : i + 1]),
      b.constInts([axis]),
      b.constInts([1]),
    ]);
    squeeze.push(axis);
    axis++;
  }
  return squeeze.length ? emit("Squeeze", [cur.value, b.constInts(squeeze)]) : cur;
}

/** The integer index tensor of an advanced index (a list of ints becomes a constant). */
function gatherIndex(b: GraphBuilder, p: PyValue): PyTensor | undefined {
  if (p.t === "tensor") return p.state.dtype.startsWith("int") ? p : undefined;
  if (p.t !== "list") return undefined;
  const xs = p.items.map((v) => (v.t === "int" ? v.v : undefined));
  if (!xs.every((v): v is number => v !== undefined)) return undefined;
  return b.tensor(b.constInts(xs));
}
