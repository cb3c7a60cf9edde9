/**
 * Keras models in Python source (`keras.Sequential([...])`, `model.add(...)`, the
 * functional API with `keras.Input` and `keras.Model(inputs, outputs)`): layers are
 * recorded while the module runs — their arguments turned into `get_config()` names —
 * then built into the shared IR by the same builder that reads saved Keras files
 * (formats/keras/kerasBuild.ts), channels-last as Keras reports shapes.
 */
import type { Dim } from "../../ir/types";
import { KERAS_ALIASES, KERAS_LAYER_TYPES } from "../keras/kerasBuild";
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
import type { Span } from "./ast";
import { builtin } from "./builtins";
import type { Interpreter } from "./interpreter";
import { KerasCustomLayers } from "./kerasCustomLayers";
import { KerasShapes, correctPad } from "./kerasShapes";
import {
  NONE,
  describe,
  iterate,
  num,
  str,
  tuple,
  unknown,
  type CallArgs,
  type PyClass,
  type PyObject,
  type PyValue,
} from "./values";

const CONV = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "groups",
  "activation",
  "use_bias",
];
const CONV_T = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "activation",
  "use_bias",
];
const DEPTHWISE = [
  "kernel_size",
  "strides",
  "padding",
  "depth_multiplier",
  "data_format",
  "dilation_rate",
  "activation",
  "use_bias",
];
const SEPARABLE = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "depth_multiplier",
  "activation",
  "use_bias",
];
const POOL = ["pool_size", "strides", "padding", "data_format"];
const GLOBAL_POOL = ["data_format", "keepdims"];
const RNN = ["units", "activation", "recurrent_activation", "use_bias"];

/**
 * Positional parameters of each layer constructor (Keras 3 signatures), so that `Conv2D(32, 3)` reads as
 * filters=32, kernel_size=3.
 */
const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  Conv1D: CONV,
  Conv2D: CONV,
  Conv3D: CONV,
  Conv1DTranspose: CONV_T,
  Conv2DTranspose: CONV_T,
  Conv3DTranspose: CONV_T,
  DepthwiseConv1D: DEPTHWISE,
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv1D: SEPARABLE,
  SeparableConv2D: SEPARABLE,
  Dense: ["units", "activation", "use_bias"],
  MaxPooling1D: POOL,
  MaxPooling2D: POOL,
  MaxPooling3D: POOL,
  AveragePooling1D: POOL,
  AveragePooling2D: POOL,
  AveragePooling3D: POOL,
  GlobalAveragePooling1D: GLOBAL_POOL,
  GlobalAveragePooling2D: GLOBAL_POOL,
  GlobalAveragePooling3D: GLOBAL_POOL,
  GlobalMaxPooling1D: GLOBAL_POOL,
  GlobalMaxPooling2D: GLOBAL_POOL,
  GlobalMaxPooling3D: GLOBAL_POOL,
  Flatten: ["data_format"],
  Dropout: ["rate", "noise_shape", "seed"],
  BatchNormalization: ["axis", "momentum", "epsilon", "center", "scale"],
  LayerNormalization: ["axis", "epsilon", "center", "scale"],
  Activation: ["activation"],
  ReLU: ["max_value", "negative_slope", "threshold"],
  LeakyReLU: ["negative_slope"],
  ELU: ["alpha"],
  Softmax: ["axis"],
  Embedding: ["input_dim", "output_dim"],
  Reshape: ["target_shape"],
  Permute: ["dims"],
  RepeatVector: ["n"],
  ZeroPadding1D: ["padding"],
  ZeroPadding2D: ["padding", "data_format"],
  ZeroPadding3D: ["padding", "data_format"],
  Cropping1D: ["cropping"],
  Cropping2D: ["cropping", "data_format"],
  Cropping3D: ["cropping", "data_format"],
  UpSampling1D: ["size"],
  UpSampling2D: ["size", "data_format", "interpolation"],
  UpSampling3D: ["size", "data_format"],
  Concatenate: ["axis"],
  Rescaling: ["scale", "offset"],
  LSTM: RNN,
  GRU: RNN,
  SimpleRNN: ["units", "activation", "use_bias"],
  Bidirectional: ["layer", "merge_mode", "weights", "backward_layer"],
  TimeDistributed: ["layer"],
  InputLayer: ["shape", "batch_size", "dtype"],
};

/** The functional forms of the merge layers: `layers.add([a, b])` is `layers.Add()([a, b])`. */
const MERGE_FUNCTIONS: Readonly<Record<string, string>> = {
  add: "Add",
  subtract: "Subtract",
  multiply: "Multiply",
  average: "Average",
  maximum: "Maximum",
  minimum: "Minimum",
  concatenate: "Concatenate",
};

/** Whether a Python source speaks Keras (imports keras or tensorflow), so messages can too. */
export function isKerasSource(source: string): boolean {
  return /^[ \t]*(from|import)[ \t]+(keras|tensorflow|tf_keras)\b/m.test(source);
}

/** `keras.src.applications.resnet` → `resnet`: a sibling module of the applications (not imagenet_utils). */
export function kerasApplicationModule(name: string): string | undefined {
  const m = /^(?:tensorflow\.)?keras(?:\.src)?\.applications\.(\w+)$/.exec(name);
  return m?.[1] && m[1] !== "imagenet_utils" ? m[1] : undefined;
}

/** Said when a Keras file builds no model ConvLens can find. */
export const NO_KERAS_MODEL =
  "no Keras model found: ConvLens reads models built with keras.Sequential([...]) or keras.Model(inputs, outputs) (Functional) at module level, or in a function the module calls (model = build_model())";

/**
 * imagenet_utils.obtain_input_shape as the Keras applications call it (no weights file is read here):
 * the given input_shape, else the default size with 3 channels (channels-last) when the top is kept,
 * else an image of any size.
 */
function obtainInputShape(a: CallArgs): PyValue {
  const given = a.kwargs.get("input_shape") ?? a.args[0] ?? NONE;
  if (given.t !== "none") return given;
  const size = a.kwargs.get("default_size") ?? a.args[1] ?? NONE;
  const flatten = a.kwargs.get("require_flatten") ?? a.args[4];
  const keepsTop = flatten?.t === "bool" ? flatten.v : true;
  return tuple(keepsTop ? [size, size, { t: "int", v: 3 }] : [NONE, NONE, { t: "int", v: 3 }]);
}

/**
 * Default layer names as Keras makes them (its to_snake_case): Conv2D → conv2d, ReLU → re_lu, SimpleRNN →
 * simple_rnn.
 */
function snake(type: string): string {
  return type
    .replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

export class KerasRuntime {
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
    const layerTypes = new Set(KERAS_LAYER_TYPES);
    const layers = builtin(
      "keras.layers",
      () => unknown("keras.layers is a module"),
      (n) => {
        const type = KERAS_ALIASES[n] ?? n;
        if (layerTypes.has(type)) return builtin(n, (a) => this.makeLayer(type, a));
        if (n === "Input") return builtin("Input", (a) => this.input(a));
        if (n === "Layer") return this.custom.base;
        const merge = MERGE_FUNCTIONS[n];
        if (merge) return builtin(n, (a) => this.mergeFunction(merge, a));
        // Another layer class (Lambda, a preprocessing layer): recorded under its name, its output unknown.
        return /^[A-Z]/.test(n) ? builtin(n, (a) => this.makeLayer(n, a)) : undefined;
      },
    );
    const member = (n: string): PyValue | undefined => {
      if (n === "layers") return layers;
      if (n === "models") return models;
      if (n === "backend") return backend;
      if (n === "applications") return applications;
      if (n === "Sequential") return builtin("Sequential", (a) => this.sequential(a));
      // keras.applications build with Functional(inputs, outputs), the class keras.Model makes.
      if (n === "Model" || n === "Functional") return builtin(n, (a) => this.functional(a));
      if (n === "Input") return builtin("Input", (a) => this.input(a));
      return undefined;
    };
    const models = builtin(
      "keras.models",
      () => unknown("keras.models is a module"),
      (n) => (n === "Sequential" || n === "Model" || n === "Functional" ? member(n) : undefined),
    );
    // Only what model-building code asks of the backend: Keras's defaults (no keras.json read), the
    // channels-last layout and the TensorFlow backend (NASNetMobile refuses only the torch one).
    const backend = builtin(
      "keras.backend",
      () => unknown("keras.backend is a module"),
      (n) =>
        n === "image_data_format"
          ? builtin(n, () => str("channels_last"))
          : n === "backend"
            ? builtin(n, () => str("tensorflow"))
            : n === "int_shape"
              ? builtin(n, this.shapeArg)
              : undefined,
    );
    const imagenetUtils = builtin(
      "keras.applications.imagenet_utils",
      () => unknown("imagenet_utils is a module"),
      (n) =>
        n === "obtain_input_shape"
          ? builtin(n, obtainInputShape)
          : n === "correct_pad"
            ? builtin(n, (a) => correctPad(a, this.tensorShape))
            : undefined,
    );
    const applications = builtin(
      "keras.applications",
      () => unknown("keras.applications is a module"),
      (n) => (n === "imagenet_utils" ? imagenetUtils : undefined),
    );
    // keras_export(names) decorates a builder: the function stays as it is.
    const apiExport = builtin(
      "keras.api_export",
      () => unknown("keras.src.api_export is a module"),
      (n) => (n === "keras_export" ? builtin(n, () => builtin(n, (a) => a.args[0] ?? NONE)) : undefined),
    );
    // Other helpers (file_utils.get_file, …) download or read files: their results are unknown.
    const utils = (mod: string): PyValue =>
      builtin(
        mod,
        () => unknown(`${mod} is a module`),
        (n) => builtin(n, () => unknown(`${mod}.${n} is not followed`)),
      );
    const keras = builtin("keras", () => unknown("keras is a module"), member);
    // keras.src.* is where Keras 3's own sources (the applications) import from.
    const plain = name.replace(/^tensorflow\.(?=keras)/, "").replace(/^keras\.src(?=\.|$)/, "keras");
    switch (plain) {
      case "keras":
        return keras;
      case "keras.layers":
        return layers;
      case "keras.models":
      case "keras.models.functional":
        return models;
      case "keras.backend":
        return backend;
      case "keras.applications":
        return applications;
      case "keras.applications.imagenet_utils":
        return imagenetUtils;
      case "keras.layers.layer":
        return builtin(
          plain,
          () => unknown(`${plain} is a module`),
          (n) => (n === "Layer" ? this.custom.base : undefined),
        );
      case "keras.api_export":
        return apiExport;
      case "keras.ops":
        return builtin(
          "keras.ops",
          () => unknown("keras.ops is a module"),
          (n) => builtin(n, n === "shape" ? this.shapeArg : () => unknown(`keras.ops.${n} is not followed`)),
        );
      case "keras.utils":
      case "keras.utils.file_utils":
      case "keras.ops.operation_utils":
        return utils(plain);
      case "tensorflow":
        return builtin(
          "tensorflow",
          () => unknown("tensorflow is a module"),
          (n) => (n === "keras" ? keras : undefined),
        );
      default:
        return undefined;
    }
  }
}
