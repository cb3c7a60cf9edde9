/**
 * Keras models in Python source (`keras.Sequential([...])`, `model.add(...)`, the
 * functional API with `keras.Input` and `keras.Model(inputs, outputs)`): layers are
 * recorded while the module runs — their arguments turned into `get_config()` names —
 * then built into the shared IR by the same builder that reads saved Keras files
 * (formats/keras/kerasBuild.ts), channels-last as Keras reports shapes.
 */
import type { Dim } from "../../ir/types";
import {
  kerasDType,
  type KNode,
  type KObject,
  type KRef,
  type KValue,
  type KerasLayer,
  type KerasModel,
} from "../keras/kerasModel";
import { KERAS_OPERATORS } from "../keras/kerasOperators";
import { outputCount } from "../keras/kerasRecurrent";
import type { Span, Stmt } from "./ast";
import { builtin } from "./builtins";
import type { Interpreter } from "./interpreter";
import { KerasAssumptions } from "./kerasAssumptions";
import { KerasCustomLayers } from "./kerasCustomLayers";
import { KerasShapes } from "./kerasShapes";
import { POSITIONAL, snake } from "./kerasLayerArgs";
import { kerasNamespace } from "./kerasNamespace";
import type { TracedClass } from "./pythonModel";
import { boundNames } from "./unfollowedNames";
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

/** Whether a Python source speaks Keras (imports keras or tensorflow), so messages can too. */
export function isKerasSource(source: string): boolean {
  return /^[ \t]*(from|import)[ \t]+(keras|tensorflow|tf_keras)\b/m.test(source);
}

/**
 * A Keras file that records no model: each module-level line that would build one (`model = f(…)`, a call)
 * and stopped, or whose value is unknown, as an entry with the reason (NASNetMobile's "no model found" was
 * its torch-backend check that could not be decided, and nothing said so).
 */
export function kerasStopped(
  body: readonly Stmt[],
  stopped: ReadonlyMap<Stmt, string>,
  valueOf: (name: string) => PyValue | undefined,
  source: string,
  assumed: readonly string[] = [],
): TracedClass[] {
  return body.flatMap((s) => {
    if ((s.kind !== "Assign" && s.kind !== "Expr") || s.value.kind !== "Call") return [];
    const name = [...boundNames(s)][0];
    const v = name === undefined ? undefined : valueOf(name);
    const reason = stopped.get(s) ?? (v?.t === "unknown" ? v.reason : undefined);
    if (reason === undefined) return [];
    const line = source.slice(0, s.span.from).split("\n").length;
    // The reason may follow from an answer the file does not decide (NASNet refuses the torch backend).
    const also = assumed.length ? ` (${assumed.join("; ")})` : "";
    const error = `cannot build ${name ?? "a model"} (line ${line}): ${reason}${also}`;
    const at = { span: s.span, nameSpan: s.span, diagnostics: [], lines: [], calls: [] };
    return [{ name: name ?? `line ${line}`, kind: "instance" as const, error, ...at }];
  });
}

/** Said when a Keras file builds no model ConvLens can find. */
export const NO_KERAS_MODEL =
  "no Keras model found: ConvLens reads models built with keras.Sequential([...]) or keras.Model(inputs, outputs) (Functional) at module level, or in a function the module calls (model = build_model())";

export class KerasRuntime {
  /** The backend and image data format the source is answered with; the pipeline sets the choice. */
  readonly assumptions = new KerasAssumptions();
  readonly custom = new KerasCustomLayers({
    isTensor: (v) => v.t === "object" && this.refs.has(v),
    shapeOf: (v) => this.shapeOf(v),
    autoName: (t) => this.autoName(t),
  });
  private readonly counts = new Map<string, number>();
  private readonly shapes = new KerasShapes();
  readonly models: { value: PyObject; span: Span; model: () => KerasModel }[] = [];
  private readonly layerClass = new Map<string, PyClass>();
  private readonly refs = new WeakMap<PyObject, KRef>();
  private readonly layerOf = new WeakMap<PyObject, KerasLayer>();
  /** Every symbolic tensor's node in creation order. */
  private readonly created: KNode[] = [];
  /** The variable each tensor was first bound to (`x = layers.Conv2D(…)(x)`), by node and output. */
  private readonly boundNames = new Map<KNode, Map<number, string>>();

  /** The source binds a value to a variable: a Keras tensor is shown by the first name it gets. */
  bind(name: string, v: PyValue): void {
    const ref = v.t === "object" ? this.refs.get(v) : undefined;
    if (!ref) return;
    const names = this.boundNames.get(ref.node) ?? new Map<number, string>();
    if (!names.has(ref.index)) names.set(ref.index, name);
    this.boundNames.set(ref.node, names);
  }

  /** The variable output `index` of `node` was first bound to, if the source bound it. */
  readonly boundName = (node: KNode, index: number): string | undefined =>
    this.boundNames.get(node)?.get(index);

  private autoName(type: string): string {
    const base = snake(type);
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  private tensor(ref: KRef): PyObject {
    const obj: PyObject = {
      t: "object",
      cls: { t: "class", name: "KerasTensor", bases: [], attrs: new Map() },
      attrs: new Map(),
    };
    this.refs.set(obj, ref);
    return obj;
  }

  private layer(type: string): PyClass {
    let cls = this.layerClass.get(type);
    if (!cls) {
      cls = { t: "class", name: type, bases: [], attrs: new Map() };
      this.layerClass.set(type, cls);
    }
    return cls;
  }

  /** A Python value as a config value; undefined when it is not a constant. */
  private value(v: PyValue): KValue | undefined {
    switch (v.t) {
      case "none":
        return null;
      case "bool":
      case "int":
      case "float":
      case "str":
        return v.v;
      case "tuple":
      case "list": {
        const xs = v.items.map((x) => this.value(x));
        return xs.every((x) => x !== undefined) ? (xs as KValue[]) : undefined;
      }
      case "object": {
        // A layer passed to a wrapper: Bidirectional(LSTM(64)).
        const l = this.layerOf.get(v);
        return l ? { class_name: l.type, config: { ...l.config, name: l.name } } : undefined;
      }
      default:
        return undefined;
    }
  }

  private makeLayer(type: string, a: CallArgs): PyValue {
    const config: Record<string, KValue> = {};
    const notConstant = new Map<string, string>();
    const set = (key: string, v: PyValue) => {
      const k = this.value(v);
      if (k === undefined) notConstant.set(key, v.t === "unknown" ? v.reason : describe(v));
      else config[key] = k;
    };
    const names = POSITIONAL[type] ?? [];
    a.args.forEach((v, i) => {
      const key = names[i];
      if (key) set(key, v);
    });
    for (const [key, v] of a.kwargs) set(key, v);
    // Keras resolves a layer's data_format when it is built: the format set_image_data_format chose.
    const byDefault = this.assumptions.layerDefault();
    if (byDefault && !("data_format" in config) && !notConstant.has("data_format")) {
      if ("format" in byDefault) config["data_format"] = byDefault.format;
      else notConstant.set("data_format", byDefault.unknown);
    }
    const name = typeof config["name"] === "string" ? config["name"] : this.autoName(type);
    const layer: KerasLayer = { type, name, config, notConstant, source: { call: a.span, def: a.span } };
    const obj: PyObject = { t: "object", cls: this.layer(type), attrs: new Map() };
    this.layerOf.set(obj, layer);
    return obj;
  }

  /** Calling a layer on Keras tensors records an application (a tuple of tensors with return_state). */
  callLayer(obj: PyObject, a: CallArgs): PyValue | undefined {
    const layer = this.layerOf.get(obj);
    if (!layer) return undefined;
    const first = a.args[0] ?? a.kwargs.get("inputs") ?? NONE;
    const values = first.t === "list" || first.t === "tuple" ? (iterate(first) ?? []) : [first];
    const state = a.kwargs.get("initial_state");
    if (state) values.push(...(state.t === "list" || state.t === "tuple" ? state.items : [state]));
    const inputs = values.map((v) => (v.t === "object" ? this.refs.get(v) : undefined));
    // An unknown input keeps its first reason, so the model's error names where the values stopped.
    const lost = values.find((v) => v.t === "unknown");
    if (lost) return lost;
    if (inputs.some((r) => !r))
      return unknown(`${layer.type} "${layer.name}" applied to something that is not a Keras tensor`);
    return this.record(layer, inputs as KRef[], outputCount(layer.type, layer.config as KObject));
  }

  /**
   * `layers.add(inputs, **kwargs)` and the other merge functions: a new merge layer (named as the class would
   * be) applied at once.
   */
  private mergeFunction(type: string, a: CallArgs): PyValue {
    const inputs = a.args[0] ?? a.kwargs.get("inputs") ?? NONE;
    const kwargs = new Map([...a.kwargs].filter(([k]) => k !== "inputs"));
    // concatenate(inputs, axis=-1): the one positional after the inputs.
    const rest = a.args.slice(1);
    const layer = this.makeLayer(type, { ...a, args: rest, argSpans: a.argSpans.slice(1), kwargs });
    if (layer.t !== "object") return layer;
    return (
      this.callLayer(layer, { ...a, args: [inputs], argSpans: a.argSpans.slice(0, 1), kwargs: new Map() }) ??
      unknown(`${type} could not be applied`)
    );
  }

  private input(a: CallArgs): PyValue {
    const shape = a.kwargs.get("shape") ?? a.args[0];
    const dims = (iterate(shape ?? NONE) ?? []).map((v): Dim => (v.t === "none" ? "None" : (num(v) ?? "?")));
    const dtype = a.kwargs.get("dtype");
    const name = a.kwargs.get("name");
    const node: KNode = {
      kind: "input",
      name: name?.t === "str" ? name.v : "input",
      shape: ["None", ...dims],
      dtype: kerasDType(dtype?.t === "str" ? dtype.v : undefined),
    };
    this.created.push(node);
    return this.tensor({ node, index: 0 });
  }

  /**
   * A Python operator with a Keras tensor operand (`x + 3.0`, `x * y`, `-x`): a keras.ops operation node
   * (named as Keras names it, from the same counter as layers). Undefined when no operand is a Keras tensor.
   */
  operator(op: string, a: PyValue, b: PyValue, span: Span, name?: string): PyValue | undefined {
    const ref = (v: PyValue) => (v.t === "object" ? this.refs.get(v) : undefined);
    const operands = op === "neg" || op === "identity" ? [a] : [a, b];
    if (!operands.some(ref)) return undefined;
    const kind = KERAS_OPERATORS[op];
    if (!kind) return unknown(`operator ${op} on a Keras tensor`);
    const config: Record<string, KValue> = {};
    const inputs: KRef[] = [];
    for (const [i, v] of operands.entries()) {
      const r = ref(v);
      // A number, or a weight of the layer whose call() runs (`x * self.gamma`).
      const constant =
        v.t === "int" || v.t === "float" || v.t === "bool" ? Number(v.v) : this.custom.variable(v);
      if (r) inputs.push(r);
      else if (v.t === "unknown") return v;
      else if (constant !== undefined) config[i === 0 ? "left" : "right"] = constant;
      else return unknown(`${describe(v)} ${op} a Keras tensor`);
    }
    const layer: KerasLayer = {
      type: `ops.${kind.cls}`,
      name: name ?? this.autoName(kind.cls),
      config,
      source: { call: span, def: span },
    };
    return this.record(layer, inputs, 1);
  }

  /** A node of `layer` applied to `inputs` (shown as the custom layer whose call() makes it, if any). */
  private record(layer: KerasLayer, inputs: KRef[], n: number): PyValue {
    const within = this.custom.within;
    const node: KNode = { kind: "apply", layer, inputs, ...(within ? { within } : {}) };
    this.created.push(node);
    return n === 1
      ? this.tensor({ node, index: 0 })
      : tuple(Array.from({ length: n }, (_, index) => this.tensor({ node, index })));
  }

  /** `layer(x)` for a layer class of the source's own (derived from keras.layers.Layer). */
  callCustom(obj: PyObject, a: CallArgs, interp: Interpreter): PyValue | undefined {
    return this.custom.call(obj, a, interp, (out) =>
      this.refs.has(out as PyObject)
        ? (this.operator("identity", out, NONE, a.span, "identity") ?? out)
        : out,
    );
  }

  /** `x.shape` of a Keras tensor as Keras knows it at call time; undefined for any other value. */
  shapeOf(v: PyValue): PyValue | undefined {
    const ref = v.t === "object" ? this.refs.get(v) : undefined;
    if (!ref) return undefined;
    const inputs = this.created.flatMap((n) => (n.kind === "input" ? [n] : []));
    return this.shapes.tuple({ name: "shape", inputs, outputs: [ref], order: this.created });
  }

  /** The shape of a value the source asks about (`backend.int_shape(x)`), or why it is not known. */
  private readonly tensorShape = (x: PyValue): PyValue =>
    this.shapeOf(x) ?? (x.t === "unknown" ? x : unknown(`${describe(x)} is not a Keras tensor`));
  private readonly shapeArg = (a: CallArgs): PyValue => this.tensorShape(a.args[0] ?? NONE);

  private inputNode(v: PyValue): Extract<KNode, { kind: "input" }> | undefined {
    const n = v.t === "object" ? this.refs.get(v)?.node : undefined;
    return n?.kind === "input" ? n : undefined;
  }

  private sequential(a: CallArgs): PyValue {
    const layers: KerasLayer[] = [];
    let input: Extract<KNode, { kind: "input" }> | undefined;
    const add = (v: PyValue) => {
      const l = v.t === "object" ? this.layerOf.get(v) : undefined;
      // keras.Input(shape=…) as the first item gives the input shape.
      const declared = this.inputNode(v);
      if (l) layers.push(l);
      else if (declared) input = declared;
      // Anything else keeps its place as an unknown layer: never dropped, so later sizes are not guessed.
      else
        layers.push({
          type: "Unknown",
          name: this.autoName("unknown"),
          config: {},
          unknownReason: v.t === "unknown" ? v.reason : `${describe(v)} is not a Keras layer`,
          source: { call: a.span, def: a.span },
        });
    };
    for (const v of iterate(a.args[0] ?? a.kwargs.get("layers") ?? { t: "list", items: [] }) ?? []) add(v);
    const nameArg = a.kwargs.get("name");
    const obj: PyObject = {
      t: "object",
      cls: { t: "class", name: "Sequential", bases: [], attrs: new Map() },
      attrs: new Map(),
    };
    obj.attrs.set(
      "add",
      builtin("add", (b) => {
        if (b.args[0]) add(b.args[0]);
        return NONE;
      }),
    );
    const name = nameArg?.t === "str" ? nameArg.v : this.autoName("Sequential");
    const model = (): KerasModel => ({ name, layers, ...(input ? { input } : {}) });
    this.models.push({ value: obj, span: a.span, model });
    // Called on a tensor (`x = stage(x)`), it is one layer of the outer model, built from that tensor.
    this.layerOf.set(obj, {
      type: "Sequential",
      name,
      config: {},
      get model() {
        return model();
      },
      source: { call: a.span, def: a.span },
    });
    return obj;
  }

  private functional(a: CallArgs): PyValue {
    const list = (v: PyValue | undefined): PyValue[] =>
      !v ? [] : v.t === "list" || v.t === "tuple" ? [...v.items] : [v];
    const refs = (v: PyValue | undefined) =>
      list(v).flatMap((x) => (x.t === "object" && this.refs.has(x) ? [this.refs.get(x) as KRef] : []));
    const inputs = refs(a.kwargs.get("inputs") ?? a.args[0]).flatMap((r) =>
      r.node.kind === "input" ? [r.node] : [],
    );
    const outputValues = list(a.kwargs.get("outputs") ?? a.args[1]);
    const outputs = refs(a.kwargs.get("outputs") ?? a.args[1]);
    const outputsUnknown = outputValues.flatMap((x) =>
      x.t === "object" && this.refs.has(x) ? [] : [x.t === "unknown" ? x.reason : `${describe(x)}`],
    );
    const nameArg = a.kwargs.get("name");
    const obj: PyObject = {
      t: "object",
      cls: { t: "class", name: "Functional", bases: [], attrs: new Map() },
      attrs: new Map(),
    };
    const name = nameArg?.t === "str" ? nameArg.v : this.autoName("functional");
    this.models.push({
      value: obj,
      span: a.span,
      model: () => ({ name, inputs, outputs, outputsUnknown, order: this.created }),
    });
    return obj;
  }

  /** `keras`, `keras.layers`, `keras.models`, `tensorflow` (with `.keras`). */
  namespace(name: string): PyValue | undefined {
    return kerasNamespace(name, {
      makeLayer: (type, a) => this.makeLayer(type, a),
      input: (a) => this.input(a),
      mergeFunction: (type, a) => this.mergeFunction(type, a),
      sequential: (a) => this.sequential(a),
      functional: (a) => this.functional(a),
      shapeArg: this.shapeArg,
      tensorShape: this.tensorShape,
      layerBase: this.custom.base,
      assumptions: this.assumptions,
    });
  }
}
