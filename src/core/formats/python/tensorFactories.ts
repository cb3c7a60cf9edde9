/**
 * torch.zeros / ones / full / tensor / arange / rand…: the tensor a factory call makes, its
 * shape and dtype as PyTorch gives them, and its values where they are known exactly
 * (ones, zeros, full, a literal, arange), for constants a builder computes with.
 */
import type { DType } from "../../ir/types";
import { iterate, num, unknown, type CallArgs, type PyValue } from "./values";

export const TENSOR_FACTORIES = [
  "zeros",
  "ones",
  "rand",
  "randn",
  "randint",
  "empty",
  "full",
  "tensor",
  "as_tensor",
  "arange",
  "linspace",
  "zeros_like",
  "ones_like",
  "rand_like",
  "randn_like",
  "empty_like",
  "full_like",
];

export interface MadeTensor {
  readonly t: "made";
  readonly shape: number[];
  readonly dtype: DType;
  readonly values?: number[];
}

/** Values are kept for small tensors only. */
const MAX_VALUES = 4096;

/** `dtype=torch.long` (torch.long is the string "long" here) → the IR's dtype; undefined when absent. */
export function tensorDtype(v: PyValue | undefined): DType | undefined {
  if (v?.t !== "str") return undefined;
  const map: Readonly<Record<string, DType>> = {
    long: "int64",
    int64: "int64",
    int: "int32",
    int32: "int32",
    bool: "bool",
    half: "float16",
    float16: "float16",
    double: "float64",
    float64: "float64",
    float: "float32",
    float32: "float32",
  };
  return map[v.v];
}

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function literal(v: PyValue | undefined, dtype: DType | undefined): MadeTensor | PyValue {
  const dims: number[] = [];
  let cur = v;
  while (cur && (cur.t === "list" || cur.t === "tuple")) {
    dims.push(cur.items.length);
    cur = cur.items[0];
  }
  const flat: PyValue[] = [];
  const walk = (x: PyValue, depth: number): boolean => {
    if (depth === dims.length) return (flat.push(x), x.t === "int" || x.t === "float" || x.t === "bool");
    const items = x.t === "list" || x.t === "tuple" ? x.items : undefined;
    return !!items && items.length === dims[depth] && items.every((i) => walk(i, depth + 1));
  };
  if (!v || !walk(v, 0)) return unknown("torch.tensor of values that are not constant");
  // torch.tensor([[1, 2]]) is int64, torch.tensor([0.5]) float32.
  const kind = flat.some((x) => x.t === "float")
    ? "float32"
    : flat.every((x) => x.t === "bool") && flat.length
      ? "bool"
      : "int64";
  const out = dtype ?? kind;
  const values = flat
    .map((x) => num(x) ?? NaN)
    .map((x) => (out === "float32" ? Math.fround(x) : out.startsWith("int") ? Math.trunc(x) : x));
  return { t: "made", shape: dims, dtype: out, values };
}

function arange(a: CallArgs, dtype: DType | undefined): MadeTensor | PyValue {
  const xs = a.args.map(num);
  const start = a.kwargs.get("start") ?? (xs.length >= 2 ? a.args[0] : undefined);
  const end = a.kwargs.get("end") ?? (xs.length >= 2 ? a.args[1] : a.args[0]);
  const step = a.kwargs.get("step") ?? a.args[2];
  const [s, e, d] = [
    num(start ?? { t: "int", v: 0 }),
    num(end ?? { t: "none" }),
    num(step ?? { t: "int", v: 1 }),
  ];
  if (s === undefined || e === undefined || d === undefined || d === 0)
    return unknown("torch.arange with bounds that are not constant");
  const isFloat = [start, end, step].some((v) => v?.t === "float");
  const n = Math.max(0, Math.ceil((e - s) / d));
  const out = dtype ?? (isFloat ? "float32" : "int64");
  const values =
    n <= MAX_VALUES
      ? Array.from({ length: n }, (_, i) => s + i * d).map((x) => (out === "float32" ? Math.fround(x) : x))
      : undefined;
  return { t: "made", shape: [n], dtype: out, ...(values && !isFloat ? { values } : {}) };
}

/**
 * torch.linspace(start, end, steps): its values only where every float kernel gives the same
 * numbers (equal ends, as timm's drop-path rates at rate 0, or one or two steps); otherwise only
 * its shape (PyTorch's vectorised kernel rounds the steps its own way).
 */
function linspace(a: CallArgs, dtype: DType | undefined): MadeTensor | PyValue {
  const [s, e, n] = ["start", "end", "steps"].map((k, i) => {
    const v = a.args[i] ?? a.kwargs.get(k);
    return v ? num(v) : undefined;
  });
  if (s === undefined || e === undefined || n === undefined || !Number.isInteger(n) || n < 0)
    return unknown("torch.linspace with arguments that are not constant");
  const out = dtype ?? "float32";
  const float = out === "float32" || out === "float64";
  const exact = float && (s === e || n <= 2) && n <= MAX_VALUES;
  const round = (x: number): number => (out === "float32" ? Math.fround(x) : x);
  const values = exact ? Array.from({ length: n }, (_, i) => round(i === n - 1 && n > 1 ? e : s)) : undefined;
  return { t: "made", shape: [n], dtype: out, ...(values ? { values } : {}) };
}

export function createTensor(name: string, a: CallArgs): MadeTensor | PyValue {
  const dtype = tensorDtype(a.kwargs.get("dtype"));
  if (name === "linspace") return linspace(a, dtype);
  if (name === "tensor" || name === "as_tensor") return literal(a.args[0], dtype);
  if (name === "arange") return arange(a, dtype);
  if (name.endsWith("_like")) {
    const x = a.args[0];
    const shape = x?.t === "tensor" ? x.state.shape : undefined;
    if (!shape?.every((d): d is number => typeof d === "number"))
      return unknown(`torch.${name} of a tensor whose shape is not known`);
    const fill =
      name === "zeros_like"
        ? 0
        : name === "ones_like"
          ? 1
          : name === "full_like"
            ? num(a.args[1] ?? { t: "none" })
            : undefined;
    const out = dtype ?? (x?.t === "tensor" ? x.state.dtype : "float32");
    return {
      t: "made",
      shape: [...shape],
      dtype: out,
      ...(fill !== undefined && count(shape) <= MAX_VALUES
        ? { values: new Array<number>(count(shape)).fill(fill) }
        : {}),
    };
  }
  // randint(high, size) / randint(low, high, size): the size is the last positional argument.
  const src = a.kwargs.get("size")
    ? [a.kwargs.get("size") as PyValue]
    : name === "full"
      ? a.args.slice(0, 1)
      : name === "randint"
        ? a.args.slice(-1)
        : a.args;
  const list = src.length === 1 && (src[0]?.t === "tuple" || src[0]?.t === "list") ? iterate(src[0]) : src;
  const dims = list?.map((v) => (v.t === "int" ? v.v : NaN));
  if (!dims || dims.some((d) => !Number.isInteger(d) || d < 0))
    return unknown(`torch.${name} with a size that is not constant`);
  const fillArg = name === "full" ? (a.args[1] ?? a.kwargs.get("fill_value")) : undefined;
  const fill = name === "zeros" ? 0 : name === "ones" ? 1 : fillArg ? num(fillArg) : undefined;
  const out =
    dtype ?? (name === "randint" ? "int64" : name === "full" && fillArg?.t === "int" ? "int64" : "float32");
  return {
    t: "made",
    shape: dims,
    dtype: out,
    ...(fill !== undefined && count(dims) <= MAX_VALUES
      ? { values: new Array<number>(count(dims)).fill(fill) }
      : {}),
  };
}
