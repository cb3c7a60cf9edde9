/**
 * Keras models in Python source (`keras.Sequential([...])`, `model.add(...)`, the
 * functional API with `keras.Input` and `keras.Model(inputs, outputs)`): layers are
 * recorded while the module runs, then built into the shared IR channels-last, as
 * Keras reports shapes (a conv runs as Transpose → Conv → Transpose).
 */
import type { Dim } from "../../ir/types";
import type { Span } from "./ast";
import { builtin } from "./builtins";
import { NONE, iterate, num, unknown, type CallArgs, type PyClass, type PyObject, type PyValue } from "./values";

/** A layer as constructed: its Keras class, resolved arguments and name. */
interface KerasLayer {
  readonly type: string;
  readonly args: CallArgs;
  readonly name: string;
  readonly span: Span;
}

/** A symbolic Keras tensor: the graph input or a layer applied to tensors. */
type KNode = { readonly kind: "input"; readonly shape: Dim[]; readonly dtype: "float32" | "int64" } | { readonly kind: "apply"; readonly layer: KerasLayer; readonly inputs: readonly KNode[]; readonly span: Span };

const LAYER_TYPES = [
  "Conv1D", "Conv2D", "Dense", "MaxPooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
  "GlobalAveragePooling1D", "Flatten", "Dropout", "BatchNormalization", "Activation", "ReLU", "Embedding", "Concatenate", "Add", "Reshape",
  "ZeroPadding2D", "UpSampling2D", "Softmax", "InputLayer",
];

const SNAKE: Readonly<Record<string, string>> = { Conv2D: "conv2d", Conv1D: "conv1d", MaxPooling2D: "max_pooling2d", MaxPooling1D: "max_pooling1d", AveragePooling2D: "average_pooling2d", GlobalAveragePooling2D: "global_average_pooling2d", GlobalMaxPooling2D: "global_max_pooling2d", GlobalAveragePooling1D: "global_average_pooling1d", BatchNormalization: "batch_normalization", ZeroPadding2D: "zero_padding2d", UpSampling2D: "up_sampling2d", ReLU: "re_lu" };

export interface KerasModel {
  readonly name: string;
  readonly span: Span;
  /** The input and the output tensor (Sequential models are chained into this form when built). */
  readonly layers?: readonly KerasLayer[];
  readonly input?: KNode;
  readonly output?: KNode;
}

export class KerasRuntime {
  private readonly counts = new Map<string, number>();
  readonly models: { value: PyObject; model: () => KerasModel }[] = [];
  private readonly layerClass = new Map<string, PyClass>();
  private readonly nodes = new WeakMap<PyObject, KNode>();
  private readonly layerOf = new WeakMap<PyObject, KerasLayer>();

  private autoName(type: string): string {
    const base = SNAKE[type] ?? type.toLowerCase();
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  private tensor(node: KNode): PyObject {
    const obj: PyObject = { t: "object", cls: { t: "class", name: "KerasTensor", bases: [], attrs: new Map() }, attrs: new Map() };
    this.nodes.set(obj, node);
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

  private makeLayer(type: string, a: CallArgs): PyValue {
    const nameArg = a.kwargs.get("name");
    const layer: KerasLayer = { type, args: a, name: nameArg?.t === "str" ? nameArg.v : this.autoName(type), span: a.span };
    const obj: PyObject = { t: "object", cls: this.layer(type), attrs: new Map() };
    this.layerOf.set(obj, layer);
    return obj;
  }

  /** Calling a layer on Keras tensors records an application. */
  callLayer(obj: PyObject, a: CallArgs): PyValue | undefined {
    const layer = this.layerOf.get(obj);
    if (!layer) return undefined;
    const inputs = (a.args[0]?.t === "list" || a.args[0]?.t === "tuple" ? (iterate(a.args[0]) ?? []) : [a.args[0] ?? NONE]).map((v) => (v.t === "object" ? this.nodes.get(v) : undefined));
    if (inputs.some((n) => !n)) return unknown(`${layer.type} applied to something that is not a Keras tensor`);
    return this.tensor({ kind: "apply", layer, inputs: inputs as KNode[], span: a.span });
  }

  private input(a: CallArgs): PyValue {
    const shape = a.kwargs.get("shape") ?? a.args[0];
    const dims = (iterate(shape ?? NONE) ?? []).map((v) => (v.t === "none" ? "None" : (num(v) ?? "?")));
    const dtype = a.kwargs.get("dtype");
    return this.tensor({ kind: "input", shape: ["None", ...dims], dtype: dtype?.t === "str" && dtype.v.startsWith("int") ? "int64" : "float32" });
  }

  private sequential(a: CallArgs): PyValue {
    const layers: KerasLayer[] = [];
    let input: KNode | undefined;
    for (const v of iterate(a.args[0] ?? a.kwargs.get("layers") ?? { t: "list", items: [] }) ?? []) {
      if (v.t !== "object") continue;
      if (this.layerOf.has(v)) layers.push(this.layerOf.get(v) as KerasLayer);
      // keras.Input(shape=…) as the first item gives the input shape.
      else if (this.nodes.get(v)?.kind === "input") input = this.nodes.get(v);
    }
    const nameArg = a.kwargs.get("name");
    const obj: PyObject = { t: "object", cls: { t: "class", name: "Sequential", bases: [], attrs: new Map() }, attrs: new Map() };
    obj.attrs.set("add", builtin("add", (b) => {
      const v = b.args[0];
      if (v?.t === "object" && this.layerOf.has(v)) layers.push(this.layerOf.get(v) as KerasLayer);
      else if (v?.t === "object" && this.nodes.get(v)?.kind === "input") input = this.nodes.get(v);
      return NONE;
    }));
    const name = nameArg?.t === "str" ? nameArg.v : this.autoName("Sequential");
    this.models.push({ value: obj, model: () => ({ name, span: a.span, layers, ...(input ? { input } : {}) }) });
    return obj;
  }

  private functional(a: CallArgs): PyValue {
    const pick = (v: PyValue | undefined) => (v?.t === "object" ? this.nodes.get(v) : v && (v.t === "list" || v.t === "tuple") && v.items[0]?.t === "object" ? this.nodes.get(v.items[0]) : undefined);
    const input = pick(a.kwargs.get("inputs") ?? a.args[0]);
    const output = pick(a.kwargs.get("outputs") ?? a.args[1]);
    const nameArg = a.kwargs.get("name");
    const obj: PyObject = { t: "object", cls: { t: "class", name: "Functional", bases: [], attrs: new Map() }, attrs: new Map() };
    const name = nameArg?.t === "str" ? nameArg.v : this.autoName("functional");
    this.models.push({ value: obj, model: () => ({ name, span: a.span, ...(input ? { input } : {}), ...(output ? { output } : {}) }) });
    return obj;
  }

  /** `keras`, `keras.layers`, `keras.models`, `tensorflow` (with `.keras`). */
  namespace(name: string): PyValue | undefined {
    const layers = builtin("keras.layers", () => unknown("keras.layers is a module"), (n) => (LAYER_TYPES.includes(n) ? builtin(n, (a) => this.makeLayer(n, a)) : n === "Input" ? builtin("Input", (a) => this.input(a)) : undefined));
    const member = (n: string): PyValue | undefined => {
      if (n === "layers") return layers;
      if (n === "models") return models;
      if (n === "Sequential") return builtin("Sequential", (a) => this.sequential(a));
      if (n === "Model") return builtin("Model", (a) => this.functional(a));
      if (n === "Input") return builtin("Input", (a) => this.input(a));
      return undefined;
    };
    const models = builtin("keras.models", () => unknown("keras.models is a module"), (n) => (n === "Sequential" || n === "Model" ? member(n) : undefined));
    const keras = builtin("keras", () => unknown("keras is a module"), member);
    switch (name) {
      case "keras":
      case "tensorflow.keras":
        return keras;
      case "keras.layers":
      case "tensorflow.keras.layers":
        return layers;
      case "keras.models":
      case "tensorflow.keras.models":
        return models;
      case "tensorflow":
        return builtin("tensorflow", () => unknown("tensorflow is a module"), (n) => (n === "keras" ? keras : undefined));
      default:
        return undefined;
    }
  }
}

export type { KNode, KerasLayer };
