/**
 * What `torch`, `torch.nn` and `torch.nn.functional` mean to the interpreter:
 * nn classes and containers, module registration and calls, tensor methods,
 * indexing and arithmetic. Emits IR through the GraphBuilder while tracing.
 * nn.Module construction and calls are the ModuleRuntime's (nnModules.ts).
 */
import type { Expr, Span } from "./ast";
import { builtin } from "./builtins";
import type { GraphBuilder } from "./graphBuilder";
import type { Host, Interpreter } from "./interpreter";
import { lookupClassAttr, noArgs, throughInstance } from "./pyClasses";
import { NN_LAYERS } from "./nnLayers";
import { ModuleRuntime } from "./nnModules";
import { ParamRegistry } from "./registeredParams";
import { KerasRuntime } from "./keras";
import { kerasApplicationModule } from "./kerasNamespace";
import { stdlibModule } from "./stdlibModules";
import { InstanceRecorder } from "./instances";
import { torchNamespaces, type TorchNamespaceSite } from "./torchNamespaces";
import { carryOrigin, dataModules } from "./torchData";
import { dictMethod, listMethod, strMethod } from "./pyMethods";
import { containerDelItem, containerGetItem, containerSetItem } from "./pyIndexing";
import {
  containerInPlace,
  tensorAttr,
  tensorBinary,
  tensorNegate,
  type TensorSite,
} from "./tensorArithmetic";
import { loadPrelude } from "./nnPrelude";
import { tensorIndex } from "./tensorIndex";
import { InitTensors } from "./initTensors";
import { TENSOR_FACTORIES, createTensor } from "./tensorFactories";
import { TORCH_FUNCTIONS } from "./torchOps";
import {
  NONE,
  describe,
  str,
  unknown,
  type CallArgs,
  type PyClass,
  type PyObject,
  type PyValue,
  type Scope,
} from "./values";

const CONTAINERS = ["Module", "Sequential", "ModuleList", "ModuleDict"];

/** Resolves `from .blocks import BasicBlock` (from the file `importer`) to that module's value. */
export interface ImportResolver {
  import(module: string, level: number, importer: string | undefined): PyValue | undefined;
  importStar(mod: PyValue, scope: Scope): void;
  /** The interpreter's builtin of that name (`functools.partial` is the builtin `partial`). */
  builtin?(name: string): PyValue | undefined;
}

export class TorchHost implements Host {
  /** Set while tracing forward; tensor ops outside a trace (e.g. in __init__) are unknown. */
  builder: GraphBuilder | undefined;
  private readonly nnClasses = new Map<string, PyClass>();
  /** torch.Tensor, for isinstance(x, Tensor) checks. */
  readonly tensorClass: PyClass = { t: "class", name: "Tensor", bases: [], attrs: new Map() };
  /** nn.Module construction and calls; it reads `builder` to emit leaf layers while tracing. */
  private readonly modules = new ModuleRuntime(this);

  /** nn.Parameter values and leaf layers' own parameters, for PyTorch's parameter count. */
  readonly params = new ParamRegistry();

  /** Keras layers and models recorded while the module runs. */
  readonly keras = new KerasRuntime();

  /** Models the script builds and the inputs it gives them. */
  readonly instances = new InstanceRecorder();
  /** torchvision's datasets and transforms, torch.utils.data (torchData.ts): the data fed to models. */
  private readonly data = dataModules((shape, dtype) => this.init.add(shape, dtype), this.instances.origins);
  /** Module constructions in progress (a model is one built when none is). */
  private building = 0;

  constructor(private readonly resolveImport?: ImportResolver) {
    for (const name of [...CONTAINERS, ...Object.keys(NN_LAYERS)])
      this.nnClasses.set(name, { t: "class", name, bases: [], attrs: new Map(), nn: name });
  }

  /** The path of the module whose call is running: the scope of the nodes emitted now. */
  get scope(): string {
    return this.modules.scope;
  }

  /** Every leaf layer created, in order (for the default input shape). */
  get createdLeaves(): PyObject[] {
    return this.modules.createdLeaves;
  }

  // ---- namespaces ---------------------------------------------------------

  /** `namespace` is how the source conventionally spells the module: "torch" or "F" (torch.nn.functional). */
  private torchFunction(name: string, namespace = "torch"): PyValue | undefined {
    if (TENSOR_FACTORIES.includes(name)) return builtin(`torch.${name}`, (a) => this.createTensor(name, a));
    const f = TORCH_FUNCTIONS[name];
    if (!f) return undefined;
    return builtin(`torch.${name}`, (a) => this.runOp(name, a.args, a, `${namespace}.${name}`));
  }

  /**
   * Tensors made outside forward (buffers, constants, a builder's arithmetic) wait here until a trace has a
   * graph.
   */
  private readonly init = new InitTensors();

  /**
   * torch.zeros / ones / rand / randn / randint / full / empty / tensor / arange: a constant tensor (treated
   * as a buffer).
   */
  private createTensor(name: string, a: CallArgs): PyValue {
    const made = createTensor(name, a);
    if (made.t !== "made") return made;
    if (!this.builder) return this.init.add(made.shape, made.dtype, made.values);
    const id = `constant_in_forward_${this.builder.initializers.size}`;
    // Its values where the call states them (`torch.tensor([h2 - h1])`): sizes computed from them follow.
    const value = made.values
      ? this.builder.constant(id, made.dtype, made.shape, made.values, { role: "buffer" })
      : this.builder.weight(id, made.shape, "buffer", made.dtype);
    return this.builder.tensor(value);
  }

  /** Called when a trace starts: constants made in __init__ join its graph. */
  startTrace(b: GraphBuilder): void {
    this.builder = b;
    this.init.startTrace(b);
    this.params.startTrace(b);
  }

  /** An op outside forward: on the constants made there, else unknown. */
  private outsideForward(
    what: string,
    args: readonly PyValue[],
    f: (b: GraphBuilder) => PyValue,
    rule?: string,
  ): PyValue {
    const out = this.init.run(args, f, rule) ?? unknown(`${what} outside forward`);
    carryOrigin(this.instances.origins, args[0], out, what);
    return out;
  }

  /** `spelling`: the call as the source names it (`F.relu`, `torch.cat`, `view`), shown on its nodes. */
  private runOp(name: string, args: readonly PyValue[], a: CallArgs, spelling: string): PyValue {
    const f = TORCH_FUNCTIONS[name];
    if (!f) return unknown(`torch.${name} is not followed`);
    if (!this.builder)
      return this.outsideForward(
        name,
        args,
        (b) => f({ b, scope: "", span: a.span, args, kwargs: a.kwargs }),
        a.kwargs.size === 0 ? name : undefined, // values only where no keyword changes the op
      );
    if (!args.some((x) => x.t === "tensor" || x.t === "list" || x.t === "tuple"))
      return unknown(`${name} of non-tensors`);
    const b = this.builder;
    return b.spelled(spelling, () => f({ b, scope: this.scope, span: a.span, args, kwargs: a.kwargs }));
  }

  /**
   * Any other class name in torch.nn: the transformer classes written in Python (nnPrelude.ts),
   * else a module class with no table entry, whose instances are opaque (never dropped).
   */
  private otherNnClass(n: string): PyValue | undefined {
    if (!/^[A-Z]/.test(n)) return undefined;
    if (!this.preludeClasses) {
      this.preludeClasses = new Map(); // loading looks names up here too: no re-entry
      this.preludeClasses = loadPrelude(this);
    }
    const prelude = this.preludeClasses.get(n);
    if (prelude) return prelude;
    const cls: PyClass = { t: "class", name: n, bases: [], attrs: new Map(), nn: n };
    this.nnClasses.set(n, cls);
    return cls;
  }

  private preludeClasses: ReadonlyMap<string, PyClass> | undefined;

  /** What torchNamespaces.ts looks names up in. */
  private namespaceSite(): TorchNamespaceSite {
    return {
      nnClass: (n) => this.nnClasses.get(n),
      paramMember: (n) => this.params.nnMember(n, () => this.builder),
      otherNnClass: (n) => this.otherNnClass(n),
      torchFunction: (n, ns) => this.torchFunction(n, ns),
      data: (name) => this.data(name),
      instances: this.instances,
      tensorClass: this.tensorClass,
    };
  }

  importStar(mod: PyValue, scope: Scope): void {
    this.resolveImport?.importStar(mod, scope);
  }

  importModule(name: string, level: number, importer?: string): PyValue {
    const { torch, nn, functional, init, autograd, recorderModule } = torchNamespaces(this.namespaceSite());
    const keras = level === 0 ? this.keras.namespace(name) : undefined;
    if (keras) return keras;
    // An application's sibling (`from keras.src.applications import resnet`): the installed one on the
    // search path, else the file of that name beside the importer (a Keras applications folder).
    const app = level === 0 ? kerasApplicationModule(name) : undefined;
    if (app) {
      const found =
        this.resolveImport?.import(name, 0, importer) ?? this.resolveImport?.import(app, 1, importer);
      if (found) return found;
    }
    if (level === 0) {
      const recorder = recorderModule(name) ?? this.data(name);
      if (recorder) return recorder;
      switch (name) {
        case "torch":
          return torch;
        case "torch.nn":
          return nn;
        case "torch.nn.functional":
          return functional;
        case "torch.nn.init":
          return init;
        case "torch.autograd":
          return autograd;
      }
      const std = stdlibModule(name, this.nnClasses.get("Module") as PyClass, (n) =>
        this.resolveImport?.builtin?.(n),
      );
      if (std) return std;
    }
    return this.resolveImport?.import(name, level, importer) ?? unknown(`module ${name} is not available`);
  }

  // ---- calls --------------------------------------------------------------

  call(fn: PyValue, a: CallArgs, interp: Interpreter): PyValue {
    if (fn.t === "builtin") return fn.call(a);
    if (fn.t === "class") {
      const topLevel = this.building === 0;
      this.building++;
      let obj: PyValue;
      try {
        obj = this.modules.instantiate(fn, a, interp);
      } finally {
        this.building--;
      }
      if (topLevel) this.instances.constructed(obj, interp.callSpans);
      this.keras.custom.constructed(obj, a);
      return obj;
    }
    if (fn.t === "object" && fn.children) {
      // The script's own call of its model (`model(x)`) gives the input; the model is traced on it later.
      if (!this.builder && this.instances.called(fn, a.args, a.kwargs, a.span))
        return unknown("the model's output is traced separately");
      return this.modules.callModule(fn, a, interp);
    }
    if (fn.t === "object") {
      // A plain class's `__call__` (timm's EfficientNetBuilder(...)(stem_size, block_args)).
      const own = lookupClassAttr(fn.cls, "__call__")?.value;
      if (own?.t === "func") return interp.callFunction({ ...own, bound: fn }, a);
    }
    if (fn.t === "object")
      return (
        this.keras.callLayer(fn, a) ??
        this.keras.callCustom(fn, a, interp) ??
        unknown(`${describe(fn)} is not callable here`)
      );
    return unknown(`${describe(fn)} is not callable here`);
  }

  /** super() / super(Cls, self), resolved by the ModuleRuntime (nn base classes' __init__ included). */
  makeSuper(interp: Interpreter): PyValue {
    return this.modules.makeSuper(interp);
  }

  // ---- attributes ---------------------------------------------------------

  getAttr(obj: PyValue, name: string, interp: Interpreter, span: Span): PyValue {
    switch (obj.t) {
      case "builtin":
        return obj.attrs?.(name) ?? unknown(`${obj.name}.${name} is not known`);
      case "tensor":
        return tensorAttr(this.tensorSite(), obj, name);
      case "class": {
        if (name === "__name__") return str(obj.name);
        const v = lookupClassAttr(obj, name)?.value;
        if (v?.t === "func" && v.classmethod) return { ...v, bound: obj };
        return v ?? unknown(`${obj.name}.${name} is not known`);
      }
      case "object":
        return this.objectAttr(obj, name, interp, span);
      case "dict":
        return dictMethod(obj, name);
      case "list":
        return listMethod(obj, name);
      case "str":
        return strMethod(obj.v, name);
      case "unknown":
        return obj;
      default:
        return unknown(`${describe(obj)}.${name} is not known`);
    }
  }

  private objectAttr(obj: PyObject, name: string, interp: Interpreter, span: Span): PyValue {
    if (name === "__class__") return obj.cls;
    const kerasShape = name === "shape" ? this.keras.shapeOf(obj) : undefined;
    if (kerasShape) return kerasShape;
    if (name === "forward" && !this.builder && this.instances.find(obj))
      return builtin(
        "forward",
        (a) => (
          this.instances.called(obj, a.args, a.kwargs, a.span),
          unknown("the model's output is traced separately")
        ),
      );
    // Modules are analysed in eval mode: `if self.training:` branches (aux heads, dropout) are skipped.
    if (name === "training" && obj.children && !obj.attrs.has(name)) return { t: "bool", v: false };
    // self.__setattr__('level_%d' % i, subtree) / self.__getattr__(name): attribute access spelled out.
    if (name === "__getattr__" || name === "__setattr__")
      return builtin(name, (a) => {
        const [key, value] = a.args;
        if (key?.t !== "str") return unknown(`${name} of a name that is not known`);
        if (name === "__getattr__") return this.getAttr(obj, key.v, interp, span);
        this.setAttr(obj, key.v, value ?? NONE);
        return NONE;
      });
    const param = obj.leaf ? this.params.leafAttr(obj, name, this.builder) : undefined;
    if (param) return param;
    const own = obj.attrs.get(name) ?? obj.children?.get(name);
    if (own) return own;
    const cls = lookupClassAttr(obj.cls, name);
    if (cls) return throughInstance(cls.value, obj, (f) => interp.callFunction(f, noArgs(span)));
    if (obj.children) {
      const m = this.modules.moduleMethod(obj, name, interp);
      if (m) return m;
    }
    return unknown(`${obj.cls.name}.${name} is not set`);
  }

  setAttr(obj: PyValue, name: string, value: PyValue): void {
    if (obj.t !== "object") return;
    if (obj.children && value.t === "object" && value.children) {
      obj.children.set(name, value);
      obj.attrs.delete(name);
    } else {
      obj.attrs.set(name, value);
      obj.children?.delete(name);
    }
  }

  // ---- indexing -----------------------------------------------------------

  getItem(obj: PyValue, index: PyValue, span: Span, indexExpr: Expr): PyValue {
    if (obj.t === "object" && obj.opaque !== undefined) return unknown(obj.opaque);
    if (obj.t === "tensor") {
      const b = this.builder;
      if (b) return b.spelled("[]", () => tensorIndex(b, this.scope, obj, index, span, indexExpr));
      return this.outsideForward("indexing a tensor", [obj, index], (b) =>
        tensorIndex(b, "", obj, index, span, indexExpr),
      );
    }
    return containerGetItem(obj, index);
  }

  /** x[:, -1, :], x[..., 0], x[:, :3]: Slice for ranges, Gather + squeeze for integers. */
  setItem(obj: PyValue, index: PyValue, value: PyValue): void {
    if (obj.t === "tensor") this.init.forgetValues(obj);
    containerSetItem(obj, index, value);
  }

  delItem(obj: PyValue, index: PyValue): void {
    containerDelItem(obj, index);
  }

  /** What tensor operators and attributes run with (tensorArithmetic.ts). */
  private tensorSite(): TensorSite {
    return {
      builder: this.builder,
      scope: this.scope,
      init: this.init,
      outside: (what, args, f, rule) => this.outsideForward(what, args, f, rule),
      runOp: (name, args, a, spelling) => this.runOp(name, args, a, spelling),
    };
  }

  // ---- arithmetic (tensorArithmetic.ts) -----------------------------------

  binary(op: string, a: PyValue, b: PyValue, span: Span): PyValue | undefined {
    const base = op.endsWith("=") && op.length > 1 && op !== "==" ? op.slice(0, -1) : op;
    const site = this.tensorSite();
    if (base === "neg" && a.t === "tensor") return tensorNegate(site, a, span);
    const keras = this.keras.operator(base, a, b, span);
    if (keras) return keras;
    if (a.t !== "tensor" && b.t !== "tensor") return containerInPlace(op, a, b);
    return tensorBinary(site, base, a, b, span);
  }
}
