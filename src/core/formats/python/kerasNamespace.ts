/**
 * The Keras modules as the source imports them — `keras`, `keras.layers`, `keras.models`, `keras.backend`,
 * `keras.applications.imagenet_utils`, `keras.ops`, `tensorflow.keras`, Keras 3's own `keras.src.*` —
 * each member a constructor the runtime (keras.ts) records, or a helper answered as Keras would.
 */
import { KERAS_ALIASES, KERAS_LAYER_TYPES } from "../keras/kerasLayers";
import { builtin } from "./builtins";
import type { KerasAssumptions } from "./kerasAssumptions";
import { MERGE_FUNCTIONS } from "./kerasLayerArgs";
import { correctPad } from "./kerasShapes";
import { NONE, tuple, unknown, type CallArgs, type PyClass, type PyValue } from "./values";

/** What the modules' members build with: the Keras runtime's recorders. */
export interface KerasModules {
  makeLayer(type: string, a: CallArgs): PyValue;
  input(a: CallArgs): PyValue;
  mergeFunction(type: string, a: CallArgs): PyValue;
  sequential(a: CallArgs): PyValue;
  functional(a: CallArgs): PyValue;
  /** `backend.int_shape(x)`: the shape of its first argument. */
  shapeArg(a: CallArgs): PyValue;
  tensorShape(x: PyValue): PyValue;
  /** keras.layers.Layer, the base of the source's own layers. */
  readonly layerBase: PyClass;
  /** How `backend()` and `image_data_format()` are answered (and that they were). */
  readonly assumptions: KerasAssumptions;
}

/** `keras.src.applications.resnet` → `resnet`: a sibling module of the applications (not imagenet_utils). */
export function kerasApplicationModule(name: string): string | undefined {
  const m = /^(?:tensorflow\.)?keras(?:\.src)?\.applications\.(\w+)$/.exec(name);
  return m?.[1] && m[1] !== "imagenet_utils" ? m[1] : undefined;
}

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

/** The module `name` (`keras.src.layers`, `tensorflow.keras`, …), or undefined when it is not Keras's. */
export function kerasNamespace(name: string, k: KerasModules): PyValue | undefined {
  const layerTypes = new Set(KERAS_LAYER_TYPES);
  const layers = builtin(
    "keras.layers",
    () => unknown("keras.layers is a module"),
    (n) => {
      const type = KERAS_ALIASES[n] ?? n;
      if (layerTypes.has(type)) return builtin(n, (a) => k.makeLayer(type, a));
      if (n === "Input") return builtin("Input", (a) => k.input(a));
      if (n === "Layer") return k.layerBase;
      const merge = MERGE_FUNCTIONS[n];
      if (merge) return builtin(n, (a) => k.mergeFunction(merge, a));
      // Another layer class (Lambda, a preprocessing layer): recorded under its name, its output unknown.
      return /^[A-Z]/.test(n) ? builtin(n, (a) => k.makeLayer(n, a)) : undefined;
    },
  );
  const member = (n: string): PyValue | undefined => {
    if (n === "layers") return layers;
    if (n === "models") return models;
    if (n === "backend") return backend;
    if (n === "config") return config;
    if (n === "applications") return applications;
    if (n === "Sequential") return builtin("Sequential", (a) => k.sequential(a));
    // keras.applications build with Functional(inputs, outputs), the class keras.Model makes.
    if (n === "Model" || n === "Functional") return builtin(n, (a) => k.functional(a));
    if (n === "Input") return builtin("Input", (a) => k.input(a));
    return undefined;
  };
  const models = builtin(
    "keras.models",
    () => unknown("keras.models is a module"),
    (n) => (n === "Sequential" || n === "Model" || n === "Functional" ? member(n) : undefined),
  );
  // Only what model-building code asks of the backend: the backend's name (the chosen one, else Keras's
  // default "tensorflow"; NASNetMobile refuses only torch) and Keras's default channels-last layout.
  const asked = (n: string): PyValue | undefined =>
    n === "image_data_format"
      ? builtin(n, () => k.assumptions.imageDataFormat())
      : n === "backend"
        ? builtin(n, () => k.assumptions.backend())
        : n === "set_image_data_format"
          ? builtin(n, (a) => k.assumptions.setImageDataFormat(a))
          : undefined;
  const backend = builtin(
    "keras.backend",
    () => unknown("keras.backend is a module"),
    (n) => asked(n) ?? (n === "int_shape" ? builtin(n, k.shapeArg) : undefined),
  );
  const config = builtin("keras.config", () => unknown("keras.config is a module"), asked);
  const imagenetUtils = builtin(
    "keras.applications.imagenet_utils",
    () => unknown("imagenet_utils is a module"),
    (n) =>
      n === "obtain_input_shape"
        ? builtin(n, obtainInputShape)
        : n === "correct_pad"
          ? builtin(n, (a) => correctPad(a, k.tensorShape))
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
    case "keras.config":
      return config;
    case "keras.applications":
      return applications;
    case "keras.applications.imagenet_utils":
      return imagenetUtils;
    case "keras.layers.layer":
      return builtin(
        plain,
        () => unknown(`${plain} is a module`),
        (n) => (n === "Layer" ? k.layerBase : undefined),
      );
    case "keras.api_export":
      return apiExport;
    case "keras.ops":
      return builtin(
        "keras.ops",
        () => unknown("keras.ops is a module"),
        (n) => builtin(n, n === "shape" ? k.shapeArg : () => unknown(`keras.ops.${n} is not followed`)),
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
