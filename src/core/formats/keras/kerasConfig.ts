/**
 * A Keras model config (the JSON of model.to_json(), config.json of a `.keras` archive, an `.h5` file's
 * `model_config`) → KerasModel: Sequential and functional layouts of Keras 2 and Keras 3, with the offset
 * of each layer's name for hints in the editor.
 */
import type { SourceInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import {
  isObject,
  kerasDType,
  shapeDims,
  type KNode,
  type KObject,
  type KRef,
  type KValue,
  type KerasLayer,
  type KerasModel,
} from "./kerasModel";

const MODEL_CLASSES = new Set(["Sequential", "Functional", "Model"]);

/** The architecture inside a parsed JSON document, if it is a Keras model config. */
export function modelConfigOf(doc: unknown): KObject | undefined {
  if (!isObject(doc as KValue)) return undefined;
  const o = doc as KObject;
  if (
    typeof o["class_name"] === "string" &&
    MODEL_CLASSES.has(o["class_name"]) &&
    (isObject(o["config"]) || Array.isArray(o["config"]))
  )
    return o;
  // TensorFlow.js layers model: {"modelTopology": {"model_config": {…}} or {"class_name": …},
  // "weightsManifest": […]}.
  const topo = o["modelTopology"];
  if (isObject(topo)) return modelConfigOf(isObject(topo["model_config"]) ? topo["model_config"] : topo);
  return undefined;
}

/** Offsets of each layer's `"name": "…"` in a JSON text, in document order, for hints in the editor. */
class Spans {
  private at = 0;
  constructor(private readonly text: string | undefined) {}
  next(name: string): SourceInfo | undefined {
    if (this.text === undefined) return undefined;
    const re = new RegExp(
      `"name"\\s*:\\s*${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      "g",
    );
    re.lastIndex = this.at;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.at = m.index + m[0].length;
    return { def: { from: m.index, to: this.at } };
  }
}

interface ReadState {
  readonly spans: Spans;
  /**
   * Keras 3 configs carry "module" keys; node indices of nested functional models differ between versions.
   */
  keras3: boolean;
}

export function str(v: KValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A layer entry {class_name, config, …} as a KerasLayer (a nested model read as a model). */
function layerOf(entry: KValue, st: ReadState, where: string): KerasLayer {
  if (!isObject(entry)) throw new ModelError(`${where}: a layer entry is not an object`);
  const type = str(entry["class_name"]);
  const config = entry["config"];
  if (!type) throw new ModelError(`${where}: a layer has no class_name`);
  if ("module" in entry) st.keras3 = true;
  const cfg: KObject = isObject(config) ? config : {};
  const name = str(entry["name"]) ?? str(cfg["name"]) ?? type.toLowerCase();
  const source = st.spans.next(name);
  const base = { type, name, config: cfg, ...(source ? { source } : {}) };
  if (MODEL_CLASSES.has(type)) return { ...base, model: modelOf(entry, st) };
  const registered = str(entry["registered_name"]);
  // A custom layer's code is not in the file: it keeps its place with an unknown output.
  if (registered && registered !== type && !registered.startsWith("keras"))
    return { ...base, unknownReason: `custom layer ${registered}: its code is not in the file` };
  return base;
}

/** [layer, node, tensor] (Keras 2 adds kwargs) → which output of which call. */
function isRef(v: KValue): v is readonly [string, number, number, ...KValue[]] {
  return (
    Array.isArray(v) &&
    v.length >= 3 &&
    v.length <= 4 &&
    typeof v[0] === "string" &&
    typeof v[1] === "number" &&
    typeof v[2] === "number"
  );
}

/** Every tensor reference in a structure, in order: Keras 2 refs and Keras 3 `__keras_tensor__`s. */
function refsIn(v: KValue | undefined, skip: ReadonlySet<string> = new Set()): [string, number, number][] {
  if (v === undefined || v === null) return [];
  if (isRef(v)) return [[v[0], v[1], v[2]]];
  if (Array.isArray(v)) return (v as readonly KValue[]).flatMap((x) => refsIn(x, skip));
  if (!isObject(v)) return [];
  if (v["class_name"] === "__keras_tensor__" && isObject(v["config"])) {
    const h = v["config"]["keras_history"];
    return h !== undefined && isRef(h) ? [[h[0], h[1], h[2]]] : [];
  }
  return Object.entries(v).flatMap(([k, x]) => (skip.has(k) ? [] : refsIn(x, skip)));
}

/** The tensors one call (inbound node) of a layer takes: Keras 2 [[ref, …]] or Keras 3 {args, kwargs}. */
function callInputs(node: KValue): [string, number, number][] {
  if (isObject(node) && ("args" in node || "kwargs" in node))
    return [...refsIn(node["args"]), ...refsIn(node["kwargs"], new Set(["mask", "training"]))];
  return refsIn(node);
}

/** A functional model config → input and output nodes; layers are applied per inbound node. */
function functionalOf(name: string, cfg: KObject, st: ReadState): KerasModel {
  const entries = Array.isArray(cfg["layers"]) ? (cfg["layers"] as readonly KValue[]) : [];
  const layers = entries.map((e) => ({ entry: e, layer: layerOf(e, st, `model "${name}"`) }));
  const byName = new Map(layers.map((l) => [l.layer.name, l]));
  const nodes = new Map<string, KNode[]>();
  const order: KNode[] = [];
  const inputs: Extract<KNode, { kind: "input" }>[] = [];
  // Calls are resolved lazily: a layer shared at different depths refers to calls listed later.
  const nodesOf = (layerName: string): KNode[] => {
    const hit = nodes.get(layerName);
    if (hit) return hit;
    const l = byName.get(layerName);
    if (!l) throw new ModelError(`model "${name}": no layer named "${layerName}"`);
    const list: KNode[] = [];
    nodes.set(layerName, list);
    const entry = isObject(l.entry) ? l.entry : {};
    const inbound = Array.isArray(entry["inbound_nodes"])
      ? (entry["inbound_nodes"] as readonly KValue[])
      : [];
    if (l.layer.type === "InputLayer") {
      const c = l.layer.config;
      const inner = shapeDims(c["shape"] ?? c["input_shape"]);
      const shape =
        shapeDims(c["batch_shape"] ?? c["batch_input_shape"]) ?? (inner ? ["None", ...inner] : undefined);
      if (!shape) throw new ModelError(`model "${name}": InputLayer "${layerName}" has no shape`);
      const input: KNode = { kind: "input", name: l.layer.name, shape, dtype: kerasDType(c["dtype"]) };
      inputs.push(input);
      list.push(input);
      order.push(input);
    }
    for (const call of l.layer.type === "InputLayer" ? [] : inbound) {
      // Each call is added once its inputs exist, so A(A(x)) refers to A's first call.
      const node: KNode = { kind: "apply", layer: l.layer, inputs: callInputs(call).map(ref) };
      list.push(node);
      order.push(node);
    }
    return list;
  };
  const ref = ([layerName, nodeIndex, tensorIndex]: [string, number, number]): KRef => {
    const list = nodesOf(layerName);
    const l = byName.get(layerName)?.layer;
    // A nested functional model's calls are counted after the node linking its own input to its output.
    const offset = l?.model && !(st.keras3 && l.type === "Sequential") && nodeIndex > 0 ? 1 : 0;
    const node = list[nodeIndex - offset] ?? list[nodeIndex];
    if (!node)
      throw new ModelError(
        `model "${name}": layer "${layerName}" has no call #${nodeIndex} (a cycle, or a broken config)`,
      );
    return { node, index: tensorIndex };
  };
  for (const l of layers) nodesOf(l.layer.name);
  const outputs = refsIn(cfg["output_layers"]).map(ref);
  const inputOrder = refsIn(cfg["input_layers"])
    .map((r) => ref(r).node)
    .filter((n): n is Extract<KNode, { kind: "input" }> => n.kind === "input");
  return { name, inputs: inputOrder.length ? inputOrder : inputs, outputs, order };
}

/** {class_name, config} of a model → KerasModel. */
function modelOf(doc: KObject, st: ReadState): KerasModel {
  const type = str(doc["class_name"]) ?? "Model";
  if ("module" in doc) st.keras3 = true;
  const raw = doc["config"];
  // Keras ≤ 2.2 wrote a Sequential's config as the list of its layers.
  const cfg: KObject = Array.isArray(raw) ? { layers: raw } : isObject(raw) ? raw : {};
  const name = str(cfg["name"]) ?? type.toLowerCase();
  if (type === "Sequential") {
    const entries = Array.isArray(cfg["layers"]) ? (cfg["layers"] as readonly KValue[]) : [];
    const layers = entries.map((e) => layerOf(e, st, `model "${name}"`));
    const build = isObject(doc["build_config"]) ? doc["build_config"]["input_shape"] : undefined;
    const firstBuild =
      isObject(entries[0]) && isObject(entries[0]["build_config"])
        ? entries[0]["build_config"]["input_shape"]
        : undefined;
    const buildInputShape = shapeDims(cfg["build_input_shape"] ?? build ?? firstBuild);
    return { name, layers, ...(buildInputShape ? { buildInputShape } : {}) };
  }
  if (!Array.isArray(cfg["layers"]))
    throw new ModelError(
      `"${name}" is a subclassed ${type}: its architecture is Python code, not in the file`,
    );
  return functionalOf(name, cfg, st);
}

export interface Parsed {
  readonly model: KerasModel;
  readonly keras3: boolean;
  readonly doc: KObject;
}

export function parseConfig(text: string, what: string, withSpans: boolean): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new ModelError(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(doc as KValue))
    throw new ModelError(`${what} is not a Keras model: its top level is not an object`);
  const top = doc as KObject;
  // A subclass of Model whose get_config() still lists its layers reads like a functional model.
  const custom = typeof top["class_name"] === "string" && isObject(top["config"]) ? top : undefined;
  const cfg = modelConfigOf(top) ?? custom;
  if (!cfg)
    throw new ModelError(
      `${what} is not a Keras model: its top level has no "class_name" (Sequential, Functional or Model) with a "config"`,
    );
  const st: ReadState = { spans: new Spans(withSpans ? text : undefined), keras3: false };
  return { model: modelOf(cfg, st), keras3: st.keras3, doc: top };
}
