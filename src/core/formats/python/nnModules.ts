/**
 * nn.Module objects while the code runs: construction (leaf layers bind their arguments,
 * containers collect children, user classes run __init__), calls (a leaf emits its nodes,
 * nn.Sequential chains its children, a user module runs forward), super() into nn base
 * classes, and the nn.Module methods model code calls (add_module, append, register_buffer).
 */
import { builtin } from "./builtins";
import type { GraphBuilder } from "./graphBuilder";
import { BudgetError, InterpError, PyRaises } from "./interpErrors";
import type { Interpreter } from "./interpreter";
import { pythonLayerAttrs } from "./leafAttrs";
import { NN_LAYERS } from "./nnLayers";
import { isModuleClass, lookupClassAttr, mro } from "./pyClasses";
import { ArgError, bindArgs } from "./pyArgs";
import {
  NONE,
  describe,
  iterate,
  str,
  tuple,
  unknown,
  type CallArgs,
  type PyClass,
  type PyObject,
  type PyValue,
} from "./values";
import { asChild, isContainerKind, opaqueReason } from "./opaqueModules";

/** Keyword names of layers' tensor arguments, in order (input; query, key, value). */
const FORWARD_KEYWORDS = ["input", "query", "key", "value"];

/** Layer arguments PyTorch takes as ints only (tensor sizes, kernel geometry): a float raises TypeError. */
const INT_ARGS = new Set(
  (
    "in_channels out_channels kernel_size stride padding dilation groups output_padding " +
    "in_features out_features num_features num_channels num_groups"
  ).split(" "),
);

/** A float as Python prints it (50.0, not 50). */
const pyFloat = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));

export class ModuleRuntime {
  /** Paths of the modules being called, innermost last: the scope of the nodes they emit. */
  private readonly scopes: string[] = [];
  /** Every leaf layer created, in order (for the default input shape). */
  readonly createdLeaves: PyObject[] = [];
  /**
   * User modules under construction: a failure inside another module's __init__ makes only that child opaque.
   */
  private building = 0;

  /** The torch host: its builder is set while forward is traced, and leaves emit into it. */
  constructor(private readonly tracing: { readonly builder: GraphBuilder | undefined }) {}

  get scope(): string {
    return this.scopes[this.scopes.length - 1] ?? "";
  }

  instantiate(cls: PyClass, a: CallArgs, interp: Interpreter): PyValue {
    const isModule = isModuleClass(cls);
    const obj: PyObject = {
      t: "object",
      cls,
      attrs: new Map(),
      ...(isModule ? { children: new Map<string, PyObject>() } : {}),
    };
    obj.defSpan = a.span;
    if (cls.nn && NN_LAYERS[cls.nn]) {
      this.makeLeaf(obj, cls.nn, a);
      return obj;
    }
    // A torch.nn class with no table entry: an opaque module, never a silent pass-through.
    const why = opaqueReason(cls, (n) => NN_LAYERS[n] !== undefined);
    if (why !== undefined) obj.opaque = why;
    if (cls.nn) {
      this.initContainer(obj, cls.nn, a);
      return obj;
    }
    const init = lookupClassAttr(cls, "__init__");
    if (init?.value.t === "func") this.runInit(obj, init.value, a, interp);
    else if (init === undefined) {
      const base = mro(cls).find((c) => c.nn);
      if (base?.nn && NN_LAYERS[base.nn]) this.makeLeaf(obj, base.nn, a);
      else if (base?.nn) this.initContainer(obj, base.nn, a);
    }
    return obj;
  }

  /**
   * A user __init__; when it fails inside another module's construction, the child becomes opaque and keeps
   * its place.
   */
  private runInit(
    obj: PyObject,
    init: Extract<PyValue, { t: "func" }>,
    a: CallArgs,
    interp: Interpreter,
  ): void {
    this.building++;
    try {
      interp.callFunction({ ...init, bound: obj }, a);
    } catch (e) {
      if (
        !(e instanceof InterpError) ||
        e instanceof BudgetError ||
        e instanceof PyRaises ||
        this.building === 1
      )
        throw e;
      obj.opaque = `${obj.cls.name} could not be built: ${e.message}`;
    } finally {
      this.building--;
    }
  }

  /** Bind a layer's constructor arguments: the object becomes a leaf layer of that type. */
  private makeLeaf(obj: PyObject, type: string, a: CallArgs): void {
    const spec = NN_LAYERS[type];
    const { values } = bindArgs(a, spec?.params ?? [], spec?.defaults ?? {});
    for (const [name, v] of values) {
      // `nn.Conv2d(c, out_planes / 4, 1)`: Python 3 division gives a float, which PyTorch refuses.
      const items = v.t === "tuple" || v.t === "list" ? v.items : [v];
      const bad = INT_ARGS.has(name) ? items.find((x) => x.t === "float") : undefined;
      if (bad?.t === "float")
        throw new PyRaises(
          `TypeError: nn.${type}'s ${name} is ${pyFloat(bad.v)}, a float where PyTorch needs an int`,
        );
    }
    for (const [k, v] of pythonLayerAttrs(type, values)) obj.attrs.set(k, v);
    obj.leaf = { type, args: values, call: a };
    this.createdLeaves.push(obj);
  }

  /** nn.Sequential(*mods) / Sequential(OrderedDict) / ModuleList(list) / ModuleDict(dict). */
  private initContainer(obj: PyObject, kind: string, a: CallArgs): void {
    const children = obj.children;
    if (!children || !isContainerKind(kind)) return;
    const first = a.args[0];
    // Every item keeps its place: a value that is not a module becomes an opaque child, never dropped.
    if ((kind === "Sequential" || kind === "ModuleDict") && first?.t === "dict") {
      for (const { key, value } of first.entries.values())
        if (key.t === "str") children.set(key.v, asChild(value));
      return;
    }
    const items = kind === "Sequential" ? a.args : first && first.t !== "none" ? iterate(first) : [];
    // ModuleDict([("name", module), ...]): every item must be a (str, value) pair.
    const pairs =
      kind === "ModuleDict"
        ? items?.map((p) =>
            (p.t === "tuple" || p.t === "list") && p.items.length === 2 && p.items[0]?.t === "str"
              ? { k: p.items[0].v, v: p.items[1] ?? NONE }
              : undefined,
          )
        : undefined;
    if (!items || pairs?.some((p) => p === undefined)) {
      obj.opaque = `the modules of this ${kind} are not known (${describe(first ?? NONE)})`;
      return;
    }
    if (pairs) {
      for (const p of pairs) if (p) children.set(p.k, asChild(p.v));
    } else items.forEach((m) => children.set(String(children.size), asChild(m)));
  }

  /** module(x): a leaf emits its nodes; containers run their children; user modules run forward. */
  callModule(obj: PyObject, a: CallArgs, interp: Interpreter): PyValue {
    if (obj.opaque !== undefined) return unknown(obj.opaque);
    const forward = lookupClassAttr(obj.cls, "forward");
    // A layer subclass with its own forward (timm's Conv2dSame pads by the input's size first,
    // BatchNormAct2d adds an activation) runs that forward, never the plain layer's rule; the
    // nodes it emits in its own scope are rows of that layer.
    if (obj.leaf && forward?.value.t !== "func") return this.callLeaf(obj, a);
    this.scopes.push(obj.path ?? "");
    try {
      const fn = forward?.value;
      if (fn?.t === "func") {
        const run = (): PyValue => interp.callFunction({ ...fn, bound: obj }, a);
        const b = this.tracing.builder;
        // With submodules of its own (BatchNormAct2d's act) it is no leaf in PyTorch's listing either.
        if (!obj.leaf || !b || obj.path === undefined || (obj.children?.size ?? 0) > 0) return run();
        const source = { call: a.span, ...(obj.defSpan ? { def: obj.defSpan } : {}) };
        return b.asLayer(obj.path, obj.cls.name, source, run);
      }
      if (mro(obj.cls).some((c) => c.nn === "Sequential")) {
        let x: PyValue = a.args[0] ?? NONE;
        for (const child of obj.children?.values() ?? [])
          x = this.callModule(child, { ...a, args: [x] }, interp);
        return x;
      }
      throw new InterpError(`${obj.cls.name} has no forward`);
    } finally {
      this.scopes.pop();
    }
  }

  private callLeaf(obj: PyObject, a: CallArgs): PyValue {
    const leaf = obj.leaf;
    const spec = leaf ? NN_LAYERS[leaf.type] : undefined;
    if (!leaf || !spec) return unknown("not a layer");
    // Tensors passed by keyword (`attn(query=x, key=x, value=x)`) in forward's parameter order.
    const positional = [...a.args, ...FORWARD_KEYWORDS.flatMap((k) => a.kwargs.get(k) ?? [])];
    const x = positional[0];
    if (!this.tracing.builder) return unknown(`${leaf.type} called outside forward`);
    // An unknown input keeps its own reason (the root cause), not a chain of every layer it passed.
    if (x?.t === "unknown") return x;
    if (x?.t !== "tensor") return unknown(`${leaf.type} input is ${x ? describe(x) : "missing"}`);
    const { spans } = bindArgs(leaf.call, spec.params, spec.defaults);
    try {
      return spec.forward({
        b: this.tracing.builder,
        // A subclass keeps its own name as the layer type (Conv3DSimple), as PyTorch reports it.
        type: obj.cls.nn ? leaf.type : obj.cls.name,
        path: obj.path ?? leaf.type,
        args: leaf.args,
        argSpans: spans,
        x,
        rest: positional.slice(1),
        kwargs: a.kwargs,
        callSpan: a.span,
        ...(obj.defSpan ? { defSpan: obj.defSpan } : {}),
      });
    } catch (e) {
      if (e instanceof ArgError) return unknown(`${leaf.type}: ${e.message}`);
      throw e;
    }
  }

  /**
   * super() / super(Cls, self): attributes resolve in self's MRO after Cls. nn base
   * classes' __init__ set up containers (a subclass of nn.Sequential passing *layers).
   */
  makeSuper(interp: Interpreter): PyValue {
    return builtin("super", (a) => {
      const cls = a.args[0]?.t === "class" ? a.args[0] : interp.classStack[interp.classStack.length - 1];
      const self = a.args[1] ?? interp.selfStack[interp.selfStack.length - 1];
      if (!cls || self?.t !== "object") return unknown("super() outside a method");
      const order = mro(self.cls);
      const after = order.slice(order.indexOf(cls) + 1);
      return builtin(
        "super",
        () => unknown("super object"),
        (name) => {
          for (const c of after) {
            if (c.nn) {
              // super().forward(x) in a layer subclass: the layer's own rule, on that input.
              if (name === "forward" && self.leaf && NN_LAYERS[c.nn])
                return builtin(`${c.nn}.forward`, (fa) => this.callLeaf(self, fa));
              if (name !== "__init__") continue;
              const kind = c.nn;
              // A subclass of a layer (class Conv3DSimple(nn.Conv3d)) becomes that layer with these
              // arguments.
              if (NN_LAYERS[kind])
                return builtin(`${kind}.__init__`, (ia) => (this.makeLeaf(self, kind, ia), NONE));
              return builtin(`${kind}.__init__`, (ia) => (this.initContainer(self, kind, ia), NONE));
            }
            const v = c.attrs.get(name);
            if (v) return v.t === "func" && !v.bound ? { ...v, bound: self } : v;
          }
          return name === "__init__" ? builtin("object.__init__", () => NONE) : undefined;
        },
      );
    });
  }

  moduleMethod(obj: PyObject, name: string, interp: Interpreter): PyValue | undefined {
    const children = obj.children as Map<string, PyObject>;
    const add = (m: PyValue) => children.set(String(children.size), asChild(m));
    switch (name) {
      case "add_module":
      case "register_module":
        return builtin(name, (a) => {
          const [n, m] = a.args;
          // add_module(name, None) registers no module (PyTorch keeps None, which children() skips).
          if (n?.t === "str" && m?.t === "none") obj.attrs.set(n.v, m);
          else if (n?.t === "str" && m) children.set(n.v, asChild(m));
          return NONE;
        });
      case "append":
        return builtin(name, (a) => (add(a.args[0] ?? NONE), obj));
      case "extend":
        return builtin(name, (a) => {
          const items = iterate(a.args[0] ?? NONE);
          if (items) items.forEach(add);
          else obj.opaque = `extended with modules that are not known (${describe(a.args[0] ?? NONE)})`;
          return obj;
        });
      case "children":
      case "values":
        return builtin(name, () => ({ t: "list", items: [...children.values()] }));
      case "keys":
        return builtin(name, () => ({ t: "list", items: [...children.keys()].map(str) }));
      case "items":
      case "named_children":
        return builtin(name, () => ({ t: "list", items: [...children].map(([k, v]) => tuple([str(k), v])) }));
      case "forward":
        return builtin("forward", (a) => this.callModule(obj, a, interp));
      case "register_buffer":
      case "register_parameter":
        return builtin(name, (a) => {
          const [n, v] = a.args;
          if (n?.t === "str" && v) obj.attrs.set(n.v, v);
          return NONE;
        });
      case "apply":
      case "eval":
      case "train":
      case "to":
      case "cuda":
      case "requires_grad_":
        return builtin(name, () => obj);
      case "modules":
        // Weight-init loops run over the real tree: what they do may raise (`if m.bias:` on a Linear).
        return builtin(name, () => ({ t: "list", items: moduleTree(obj).map(([, m]) => m) }));
      case "named_modules":
        return builtin(name, () => ({
          t: "list",
          items: moduleTree(obj).map(([p, m]) => tuple([str(p), m])),
        }));
      case "parameters":
      case "named_parameters":
        return builtin(name, () => ({ t: "list", items: [] }));
      default:
        return undefined;
    }
  }
}

/** `modules()` / `named_modules()`: the module, then each submodule once, depth first, with its path. */
function moduleTree(root: PyObject): [string, PyObject][] {
  const seen = new Set<PyObject>();
  const out: [string, PyObject][] = [];
  const walk = (m: PyObject, path: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push([path, m]);
    for (const [k, c] of m.children ?? []) if (c.t === "object") walk(c, path ? `${path}.${k}` : k);
  };
  walk(root, "");
  return out;
}
