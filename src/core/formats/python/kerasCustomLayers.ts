/**
 * The source's own Keras layers (`class LayerScale(Layer)` with `build()` adding weights and `call()`
 * computing with them), as Keras runs them on a symbolic tensor: named at construction (name= or the
 * class name in snake case), built once with the input's shape (each `self.add_weight(shape=…)` a
 * weight of the layer), then `call()` traced; every node it makes is shown as that one layer.
 */
import type { KerasLayer, KValue } from "../keras/kerasModel";
import { builtin } from "./builtins";
import { BudgetError, InterpError, PyRaises } from "./interpErrors";
import type { Interpreter } from "./interpreter";
import { lookupClassAttr, mro } from "./pyClasses";
import {
  NONE,
  describe,
  iterate,
  num,
  tuple,
  unknown,
  type CallArgs,
  type PyClass,
  type PyObject,
  type PyValue,
} from "./values";

const VARIABLE: PyClass = { t: "class", name: "Variable", bases: [], attrs: new Map() };

/** What the runtime lends: Keras tensors, their shapes, layer names. */
export interface KerasTensors {
  isTensor(v: PyValue): boolean;
  shapeOf(v: PyValue): PyValue | undefined;
  autoName(type: string): string;
}

export class KerasCustomLayers {
  /** keras.layers.Layer: the base the source's own layers derive from. */
  readonly base: PyClass = {
    t: "class",
    name: "Layer",
    bases: [],
    attrs: new Map([["__init__", builtin("Layer.__init__", () => NONE)]]),
  };
  private readonly names = new WeakMap<PyObject, string>();
  private readonly built = new WeakSet<PyObject>();
  private readonly variables = new WeakMap<PyObject, { name: string; dims: number[] }>();
  /** The custom layer whose call() is running: the nodes it makes are shown as it. */
  within: KerasLayer | undefined;

  constructor(private readonly k: KerasTensors) {}

  /** An object of a class derived from Layer was constructed: Keras names it now. */
  constructed(obj: PyValue, a: CallArgs): void {
    if (obj.t !== "object" || !mro(obj.cls).includes(this.base)) return;
    const n = a.kwargs.get("name");
    this.names.set(obj, n?.t === "str" ? n.v : this.k.autoName(obj.cls.name));
  }

  /** A weight made by add_weight, as an operand config ({name, dims}); undefined for anything else. */
  variable(v: PyValue): KValue | undefined {
    const w = v.t === "object" ? this.variables.get(v) : undefined;
    return w ? { name: w.name, dims: w.dims } : undefined;
  }

  /** `layer(x)` on a Keras tensor: build once, then trace call(); undefined when obj is no such layer. */
  call(
    obj: PyObject,
    a: CallArgs,
    interp: Interpreter,
    apply: (out: PyValue) => PyValue,
  ): PyValue | undefined {
    const name = this.names.get(obj);
    if (name === undefined) return undefined;
    const x = a.args[0] ?? a.kwargs.get("inputs") ?? NONE;
    // A list of tensors (`CustomScaleLayer(scale)([x, up])`) is built with the list of their shapes.
    const xs = x.t === "list" || x.t === "tuple" ? x.items : [x];
    const lost = xs.find((v) => v.t === "unknown");
    if (lost) return lost;
    if (xs.length === 0 || !xs.every((v) => this.k.isTensor(v)))
      return unknown(`${obj.cls.name} "${name}" applied to ${describe(x)}`);
    const layer: KerasLayer = { type: obj.cls.name, name, config: {}, source: { call: a.span, def: a.span } };
    const run = (method: string, args: CallArgs): PyValue | undefined => {
      const fn = lookupClassAttr(obj.cls, method)?.value;
      if (fn?.t !== "func") return undefined;
      try {
        return interp.callFunction({ ...fn, bound: obj }, args);
      } catch (e) {
        if (!(e instanceof InterpError) || e instanceof BudgetError || e instanceof PyRaises) throw e;
        return unknown(`${obj.cls.name}.${method}: ${e.message}`);
      }
    };
    if (!this.built.has(obj)) {
      this.built.add(obj);
      this.lendAddWeight(obj);
      const shapeOf = (v: PyValue) => this.k.shapeOf(v) ?? unknown("the input shape");
      const shape: PyValue =
        x.t === "list" || x.t === "tuple" ? { t: x.t, items: xs.map(shapeOf) } : shapeOf(x);
      const b = run("build", { ...a, args: [shape], argSpans: a.argSpans.slice(0, 1), kwargs: new Map() });
      if (b?.t === "unknown") return b;
    }
    const outer = this.within;
    this.within = layer;
    try {
      const out = run("call", a) ?? unknown(`${obj.cls.name} has no call()`);
      // One node of the layer's own closes its call, so it has its row even when call() returns x as is.
      return out.t === "unknown" ? out : apply(out);
    } finally {
      this.within = outer;
    }
  }

  /** self.add_weight(shape=…, name=…): a weight of known dims, else unknown (the layer's count with it). */
  private lendAddWeight(obj: PyObject): void {
    let count = 0;
    obj.attrs.set(
      "add_weight",
      builtin("add_weight", (w) => {
        const shape = w.kwargs.get("shape") ?? w.args[0] ?? tuple([]);
        const dims = (iterate(shape) ?? [shape]).map((d) => num(d));
        if (!dims.every((d): d is number => d !== undefined && Number.isInteger(d) && d >= 0))
          return unknown(`add_weight of shape ${describe(shape)}`);
        const given = w.kwargs.get("name");
        const name = given?.t === "str" ? given.v : count === 0 ? "variable" : `variable_${count}`;
        count++;
        const v: PyObject = { t: "object", cls: VARIABLE, attrs: new Map() };
        this.variables.set(v, { name, dims });
        return v;
      }),
    );
  }
}
