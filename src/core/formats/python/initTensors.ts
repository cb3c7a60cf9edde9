/**
 * Tensors made outside forward (in __init__ or a builder): buffers, constants, values a
 * builder computes with (torch.arange(depth) * w_a + w_0). Their shapes come from the op
 * table on a scratch graph; their values are kept only where this file computes them itself,
 * with PyTorch's dtypes (int64, float32 rounding), so `.tolist()` gives PyTorch's numbers.
 * Anything else keeps its shape and loses its values (an unknown, never a guess).
 */
import type { DType } from "../../ir/types";
import { GraphBuilder } from "./graphBuilder";
import { builtin } from "./builtins";
import { float, int, num, tuple, unknown, type CallArgs, type PyTensor, type PyValue } from "./values";

interface InitState {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Row-major contents, when known exactly. */
  readonly values?: readonly number[];
}

/** Inputs of a value rule: each operand's values and dtype, a Python number as a 0-d "scalar". */
export interface Operand {
  readonly dtype: DType | "pyint" | "pyfloat";
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

const isFloat = (d: Operand["dtype"]): boolean =>
  d === "float32" || d === "float64" || d === "float16" || d === "pyfloat";
const round32 = (dtype: DType, v: number): number =>
  dtype === "float32" ? Math.fround(v) : dtype === "int64" || dtype === "int32" ? Math.trunc(v) : v;

/** PyTorch's result dtype for two operands (a Python number never widens a tensor of the same kind). */
function promote(a: Operand, b: Operand, trueDiv: boolean): DType {
  const tensor = [a, b]
    .filter((o) => o.dtype !== "pyint" && o.dtype !== "pyfloat")
    .map((o) => o.dtype as DType);
  if (tensor.some((d) => d === "float64")) return "float64";
  if (
    tensor.some((d) => d === "float32" || d === "float16") ||
    isFloat(a.dtype) ||
    isFloat(b.dtype) ||
    trueDiv
  )
    return "float32";
  return "int64";
}

/** Broadcast two operands elementwise (shapes aligned from the right). */
function broadcast2(
  a: Operand,
  b: Operand,
  f: (x: number, y: number) => number,
): { shape: number[]; values: number[] } | undefined {
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a.shape[a.shape.length - rank + i] ?? 1,
      y = b.shape[b.shape.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    shape.push(Math.max(x, y));
  }
  const n = shape.reduce((p, d) => p * d, 1);
  const at = (o: Operand, i: number): number => {
    let idx = 0,
      mul = 1,
      rem = i;
    for (let k = rank - 1; k >= 0; k--) {
      const od = shape[k] ?? 1;
      const coord = rem % od;
      rem = Math.floor(rem / od);
      const j = k - (rank - o.shape.length);
      if (j >= 0) {
        const d = o.shape[j] ?? 1;
        idx += (d === 1 ? 0 : coord) * mul;
        mul *= d;
      }
    }
    return o.values[idx] ?? NaN;
  };
  return { shape, values: Array.from({ length: n }, (_, i) => f(at(a, i), at(b, i))) };
}

/** Round half to even, as torch.round does. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const BINARY: Readonly<Record<string, (x: number, y: number) => number>> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  divide: (x, y) => x / y,
  true_divide: (x, y) => x / y,
  pow: (x, y) => x ** y,
};

const UNARY: Readonly<Record<string, { f: (x: number) => number; float?: boolean; dtype?: DType }>> = {
  log: { f: Math.log, float: true },
  exp: { f: Math.exp, float: true },
  sqrt: { f: Math.sqrt, float: true },
  round: { f: roundHalfEven },
  floor: { f: Math.floor },
  ceil: { f: Math.ceil },
  abs: { f: Math.abs },
  neg: { f: (x) => -x },
  int: { f: Math.trunc, dtype: "int32" },
  long: { f: Math.trunc, dtype: "int64" },
  float: { f: (x) => x, dtype: "float32" },
  double: { f: (x) => x, dtype: "float64" },
};

/** The values of `name(operands…)` when this file knows how to compute them exactly. */
export function valueRule(name: string, ops: readonly Operand[]): InitState | undefined {
  const [a, b] = ops;
  if (!a) return undefined;
  const bin = BINARY[name];
  if (bin && b) {
    const dtype = promote(a, b, name !== "add" && name !== "sub" && name !== "mul" && name !== "pow");
    // Python numbers and int tensors meet float32 tensors as float32.
    const cast = (o: Operand): Operand =>
      dtype === "float32" ? { ...o, values: o.values.map(Math.fround) } : o;
    const r = broadcast2(cast(a), cast(b), bin);
    // Integer floor semantics are not this file's: only true division and exact integer results.
    if (!r || (dtype === "int64" && name === "pow" && r.values.some((v) => !Number.isInteger(v))))
      return undefined;
    return { dtype, shape: r.shape, values: r.values.map((v) => round32(dtype, v)) };
  }
  const un = UNARY[name];
  if (un && a.dtype !== "pyint" && a.dtype !== "pyfloat") {
    const dtype: DType = un.dtype ?? (un.float && !isFloat(a.dtype) ? "float32" : a.dtype);
    return { dtype, shape: a.shape, values: a.values.map((v) => round32(dtype, un.f(v))) };
  }
  if (name === "diff" && a.shape.length === 1 && ops.length === 1) {
    return {
      dtype: a.dtype as DType,
      shape: [Math.max(0, a.values.length - 1)],
      values: a.values.slice(1).map((v, i) => v - (a.values[i] ?? 0)),
    };
  }
  return undefined;
}

export class InitTensors {
  private readonly states = new Map<string, InitState>();
  private created = 0;

  has(t: PyTensor): boolean {
    return this.states.has(t.value);
  }

  /** A new constant of this shape (values when known exactly). */
  add(shape: readonly number[], dtype: DType, values?: readonly number[]): PyTensor {
    const value = `constant_${this.created++}`;
    this.states.set(value, { dtype, shape: [...shape], ...(values ? { values: [...values] } : {}) });
    return { t: "tensor", value, state: { dtype, shape: [...shape] } };
  }

  operand(v: PyValue): Operand | undefined {
    if (v.t === "int" || v.t === "bool") return { dtype: "pyint", shape: [], values: [Number(v.v)] };
    if (v.t === "float") return { dtype: "pyfloat", shape: [], values: [v.v] };
    const s = v.t === "tensor" ? this.states.get(v.value) : undefined;
    return s?.values ? { dtype: s.dtype, shape: s.shape, values: s.values } : undefined;
  }

  /**
   * Runs `f` on a scratch graph holding the constants it reads; each tensor it returns becomes a
   * new constant (its values from `valueRule` when given). Undefined when an input tensor is not
   * one of these constants.
   */
  run(args: readonly PyValue[], f: (b: GraphBuilder) => PyValue, rule?: string): PyValue | undefined {
    const inputs = collectTensors(args);
    if (!inputs.every((t) => this.states.has(t.value))) return undefined;
    const scratch = new GraphBuilder();
    for (const t of inputs) {
      const s = this.states.get(t.value) as InitState;
      scratch.states.set(t.value, { dtype: s.dtype, shape: [...s.shape] });
    }
    const out = f(scratch);
    const pieces = rule === "split" || rule === "chunk" ? this.splitValues(args, out) : undefined;
    if (pieces) return pieces;
    const operands = rule ? args.map((a) => this.operand(a)) : [];
    const known =
      rule && operands.every((o): o is Operand => o !== undefined) ? valueRule(rule, operands) : undefined;
    const keep = (v: PyValue): PyValue => {
      if (v.t === "tuple") return tuple(v.items.map(keep));
      if (v.t === "list") return { t: "list", items: v.items.map(keep) };
      if (v.t !== "tensor") return v;
      const shape = v.state.shape;
      if (!shape?.every((d): d is number => typeof d === "number"))
        return unknown("a constant of unknown shape outside forward");
      const sameShape =
        known && known.shape.length === shape.length && known.shape.every((d, i) => d === shape[i]);
      return sameShape ? this.add(shape, known.dtype, known.values) : this.add(shape, v.state.dtype);
    };
    return keep(out);
  }

  /**
   * `t.split(sizes)` / `t.chunk(n)` along dim 0 (no dim given) of a constant with known values:
   * each piece is the next run of its values (row-major). Undefined otherwise.
   */
  private splitValues(args: readonly PyValue[], out: PyValue): PyValue | undefined {
    const src = args[0]?.t === "tensor" ? this.states.get(args[0].value) : undefined;
    if (!src?.values || args.length > 2 || out.t !== "tuple") return undefined;
    const shapes = out.items.map((p) => (p.t === "tensor" ? p.state.shape : undefined));
    if (!shapes.every((s): s is number[] => !!s?.every((d) => typeof d === "number"))) return undefined;
    let at = 0;
    return tuple(
      shapes.map((shape) => {
        const n = shape.reduce((p, d) => p * d, 1);
        const values = src.values?.slice(at, (at += n));
        return this.add(shape, src.dtype, values);
      }),
    );
  }

  /** `t[...] = v` / `t[...] += v` on a constant: its shape stays, its values are no longer known. */
  forgetValues(t: PyTensor): void {
    const s = this.states.get(t.value);
    if (s) this.states.set(t.value, { dtype: s.dtype, shape: s.shape });
  }

  /** t.tolist() / t.item() / int(t) / float(t): Python values, when known. */
  toPython(t: PyTensor, how: "tolist" | "item"): PyValue {
    const s = this.states.get(t.value);
    if (!s?.values)
      return unknown(s ? "the tensor's values are not known" : "tensor values are not followed in forward");
    const one = (v: number): PyValue => (s.dtype.startsWith("int") || s.dtype === "bool" ? int(v) : float(v));
    if (how === "item")
      return s.values.length === 1
        ? one(s.values[0] as number)
        : unknown("item() of a tensor with more than one element");
    const nest = (dims: readonly number[], off: number): PyValue => {
      if (dims.length === 0) return one(s.values?.[off] ?? NaN);
      const [d, ...rest] = dims;
      const size = rest.reduce((p, x) => p * x, 1);
      return { t: "list", items: Array.from({ length: d ?? 0 }, (_, i) => nest(rest, off + i * size)) };
    };
    return nest(s.shape, 0);
  }

  /** Called when a trace starts: the constants join its graph as buffers. */
  startTrace(b: GraphBuilder): void {
    for (const [value, s] of this.states) b.weight(value, [...s.shape], "buffer", s.dtype);
  }
}

function collectTensors(args: readonly PyValue[]): PyTensor[] {
  const out: PyTensor[] = [];
  const walk = (v: PyValue): void => {
    if (v.t === "tensor") out.push(v);
    else if (v.t === "tuple" || v.t === "list") v.items.forEach(walk);
  };
  args.forEach(walk);
  return out;
}

/** numpy.linspace(start, stop, num): float64 values as numpy computes them, for `.tolist()`. */
export function linspace(a: CallArgs): PyValue {
  const [start, stop, n] = [
    a.args[0] ?? a.kwargs.get("start"),
    a.args[1] ?? a.kwargs.get("stop"),
    a.args[2] ?? a.kwargs.get("num") ?? int(50),
  ].map((v) => (v ? num(v) : undefined));
  const extra = a.args.length > 3 || [...a.kwargs.keys()].some((k) => !["start", "stop", "num"].includes(k));
  if (start === undefined || stop === undefined || n === undefined || !Number.isInteger(n) || n < 0 || extra)
    return unknown("numpy.linspace with arguments that are not followed");
  const step = (stop - start) / Math.max(1, n - 1);
  const values = Array.from({ length: n }, (_, i) => (i === n - 1 && n > 1 ? stop : start + i * step)).map(
    float,
  );
  // Iterated (`[float(x) for x in np.linspace(…)]`, the Keras ConvNeXt) or turned into a list.
  return {
    ...builtin(
      "ndarray",
      () => unknown("an ndarray is not callable"),
      (m) => (m === "tolist" ? builtin("tolist", () => ({ t: "list", items: [...values] })) : undefined),
    ),
    items: values,
  };
}
