/**
 * Python operators and attributes of tensors (`x + y`, `-x`, `a @ b`, `x.shape`, `x.view(…)`) as IR
 * nodes while tracing, or on the constants made outside forward; and the in-place `+=` of lists and
 * ModuleLists.
 */
import { isFloat } from "../../ir/dtype";
import type { Span } from "./ast";
import type { GraphBuilder } from "./graphBuilder";
import { builtin } from "./builtins";
import type { InitTensors } from "./initTensors";
import { TORCH_FUNCTIONS } from "./torchOps";
import {
  NONE,
  describe,
  int,
  iterate,
  num,
  str,
  unknown,
  type CallArgs,
  type PyTensor,
  type PyValue,
} from "./values";

/** The ops whose values initTensors.ts computes outside forward, by operator. */
const VALUE_RULES: Readonly<Record<string, string>> = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
  "**": "pow",
};

const OP_TYPES: Readonly<Record<string, string>> = {
  "+": "Add",
  "-": "Sub",
  "*": "Mul",
  "/": "Div",
  "@": "MatMul",
  "**": "Pow",
};

const INIT_METHODS = new Set([
  "normal_",
  "uniform_",
  "zero_",
  "fill_",
  "trunc_normal_",
  "copy_",
  "requires_grad_",
  "bernoulli_",
  "exponential_",
  "random_",
]);

/** Where an operator runs: the trace's graph (with the module scope), else outside forward. */
export interface TensorSite {
  readonly builder: GraphBuilder | undefined;
  readonly scope: string;
  /** Tensors made outside forward (their values, where known). */
  readonly init: InitTensors;
  outside(what: string, args: readonly PyValue[], f: (b: GraphBuilder) => PyValue, rule?: string): PyValue;
  /** A torch function or tensor method by name, `spelling` as the source writes it. */
  runOp(name: string, args: readonly PyValue[], a: CallArgs, spelling: string): PyValue;
}

export function tensorNegate(site: TensorSite, a: PyTensor, span: Span): PyValue | undefined {
  const b = site.builder;
  if (!b)
    return site.outside("negation", [a], (g) => g.op("Neg", [a.value], {}, { scope: "" })[0] ?? NONE, "neg");
  return b.spelled("-", () => b.op("Neg", [a.value], {}, { scope: site.scope, source: { call: span } })[0]);
}

/** `list += iterable` and `ModuleList += [layers]` extend in place; other operators are not ours. */
export function containerInPlace(op: string, a: PyValue, b: PyValue): PyValue | undefined {
  if (op === "+=" && a.t === "list") {
    a.items.push(...(iterate(b) ?? []));
    return a;
  }
  // ModuleList += [layers] registers the layers.
  if (op === "+=" && a.t === "object" && a.cls.nn === "ModuleList" && a.children) {
    for (const m of iterate(b) ?? []) if (m.t === "object") a.children.set(String(a.children.size), m);
    return a;
  }
  return undefined;
}

/** `a <base> b` where one side is a tensor (the other a tensor or a Python number). */
export function tensorBinary(site: TensorSite, base: string, a: PyValue, b: PyValue, span: Span): PyValue {
  if (base === "//") return floorDivide(site, a, b, span);
  const opType = OP_TYPES[base];
  if (!opType) return unknown(`tensor operator ${base}`);
  const emit = (bld: GraphBuilder, scope: string): PyValue => {
    // `/` is true division: integer tensors are divided as float32 (torch.tensor([7]) / 2 is 3.5, a float).
    const asFloat = (t: PyTensor) =>
      base === "/" && !isFloat(t.state.dtype)
        ? bld.op("Cast", [t.value], { to: 1 }, { scope, source: { call: span } })[0]?.value
        : t.value;
    const name = (v: PyValue) =>
      v.t === "tensor" ? asFloat(v) : num(v) !== undefined ? bld.constScalar(num(v) as number) : undefined;
    const l = name(a),
      r = name(b);
    if (!l || !r) return unknown(`${describe(a)} ${base} ${describe(b)}`);
    return bld.op(opType, [l, r], {}, { scope, source: { call: span } })[0] ?? unknown("no output");
  };
  const g = site.builder;
  if (!g) return site.outside("tensor arithmetic", [a, b], (bld) => emit(bld, ""), VALUE_RULES[base]);
  return g.spelled(base, () => emit(g, site.scope));
}

/**
 * `a // b` (torch.floor_divide): floats as Floor(Div); integers only where both values are known (ONNX's
 * integer Div truncates, -7 // 2 is -4), computed here as a constant of the tensor's shape.
 */
function floorDivide(site: TensorSite, a: PyValue, b: PyValue, span: Span): PyValue {
  const emit = (bld: GraphBuilder, scope: string): PyValue => {
    const [x, y] = [a, b].map((v) => (v.t === "tensor" ? v : undefined));
    const floats = [a, b].some((v) => (v.t === "tensor" ? isFloat(v.state.dtype) : v.t === "float"));
    if (floats) {
      const name = (v: PyValue) =>
        v.t === "tensor" ? v.value : num(v) !== undefined ? bld.constScalar(num(v) as number) : undefined;
      const l = name(a),
        r = name(b);
      if (!l || !r) return unknown(`${describe(a)} // ${describe(b)}`);
      const q = bld.op("Div", [l, r], {}, { scope, source: { call: span } })[0];
      return q ? (bld.op("Floor", [q.value], {}, { scope, source: { call: span } })[0] ?? NONE) : NONE;
    }
    // One integer tensor and a Python int, or two tensors of the same shape, with known values.
    const t = x ?? y;
    const values = (v: PyValue) =>
      v.t === "tensor" ? v.state.value : num(v) !== undefined ? [num(v)] : undefined;
    const [va, vb] = [values(a), values(b)];
    const shape = t?.state.shape;
    const same = !x || !y || JSON.stringify(x.state.shape) === JSON.stringify(y.state.shape);
    if (!t || !va || !vb || !shape || !same || !shape.every((d) => typeof d === "number"))
      return unknown("// of integer tensors whose values are not known");
    const at = (v: readonly unknown[], i: number) => (v.length === 1 ? v[0] : v[i]);
    const n = Math.max(va.length, vb.length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = at(va, i),
        q = at(vb, i);
      if (typeof p !== "number" || typeof q !== "number" || q === 0)
        return unknown("// of integer tensors whose values are not known");
      out.push(Math.floor(p / q));
    }
    const name = bld.constant(`floordiv_${bld.initializers.size}`, t.state.dtype, shape as number[], out);
    return bld.tensor(name);
  };
  const g = site.builder;
  if (!g) return site.outside("tensor arithmetic", [a, b], (bld) => emit(bld, ""));
  return g.spelled("//", () => emit(g, site.scope));
}

/** `x.shape`, `x.ndim`, `x.view(…)`: a tensor's attribute or method. */
export function tensorAttr(site: TensorSite, x: PyTensor, name: string): PyValue {
  // x.shape and x.T run as the methods x.size() and x.t(), spelled as the source wrote them.
  const property = (op: string) =>
    site.runOp(
      op,
      [x],
      { args: [x], kwargs: new Map(), argSpans: [], kwargSpans: new Map(), span: { from: 0, to: 0 } },
      name,
    );
  if (name === "shape") return property("size");
  if (name === "ndim") return x.state.shape ? int(x.state.shape.length) : unknown("rank unknown");
  if (name === "T") return property("t");
  if (name === "dtype") return str(x.state.dtype);
  if (name === "device") return str("cpu");
  if (name === "data") return x;
  // In-place initialisers (torch.empty(…).normal_(std=0.02)) leave the tensor as it is.
  if (INIT_METHODS.has(name)) return builtin(`Tensor.${name}`, () => (site.init.forgetValues(x), x));
  if (name === "tolist" || name === "item")
    return builtin(`Tensor.${name}`, () => site.init.toPython(x, name));
  // Outside forward their values are computed (initTensors); in forward a Cast (torchOps), which truncates.
  if ((name === "int" || name === "long") && !site.builder)
    return builtin(`Tensor.${name}`, () => site.outside(name, [x], () => x, name));
  // x.unfold(dim, size, step) is not F.unfold (im2col): the method has an entry of its own.
  if (name === "unfold")
    return builtin("Tensor.unfold", (a) => site.runOp("Tensor.unfold", [x, ...a.args], a, name));
  const inPlace = name.endsWith("_") && TORCH_FUNCTIONS[name.slice(0, -1)] ? name.slice(0, -1) : name;
  if (!TORCH_FUNCTIONS[inPlace]) return unknown(`tensor method ${name} is not followed`);
  return builtin(`Tensor.${name}`, (a) => site.runOp(inPlace, [x, ...a.args], a, name));
}
