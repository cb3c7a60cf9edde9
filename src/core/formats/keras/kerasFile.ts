/**
 * Saved Keras models, read (never run) into the shared IR through the one Keras builder:
 *  - `model.to_json()` files (any `.json` whose top level is a Sequential / Functional /
 *    Model with a config; TensorFlow.js `model.json` wraps the same in `modelTopology`),
 *  - `.keras` archives (Keras 3 and tf.keras ≥ 2.13: a zip with config.json, metadata.json
 *    and model.weights.h5 — only config.json is read),
 *  - legacy `.h5` full-model files, whose `model_config` attribute holds the same JSON.
 * Both config layouts: Keras 2 (`batch_input_shape`, inbound nodes as nested lists
 * [layer, node, tensor, kwargs]) and Keras 3 (`batch_shape`, inbound nodes as
 * {args, kwargs} holding `__keras_tensor__`s with a `keras_history`).
 */
import type { Model, SourceInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { GraphBuilder } from "../python/graphBuilder";
import { isZip, readZipDirectory, readZipEntry } from "../weights/zip";
import { KerasBuildError, buildKeras, unknownLayerNotes } from "./kerasBuild";
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
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
export const H5_UNSUPPORTED =
  "HDF5 .h5 models are not supported: save with model.save('x.keras') or model.to_json()";

/** The architecture inside a parsed JSON document, if it is a Keras model config. */
function modelConfigOf(doc: unknown): KObject | undefined {
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

/** A JSON text whose top level is a Keras model (strict: other JSON files are not claimed). */
export function looksLikeKerasJson(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  if (!/^\uFEFF?\s*\{/.test(head) || !/"(class_name|modelTopology)"\s*:/.test(head)) return false;
  try {
    return modelConfigOf(JSON.parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ""))) !== undefined;
  } catch {
    return false;
  }
}

/** A `.keras` archive: a zip holding config.json (and metadata.json). */
export function looksLikeKerasArchive(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  try {
    const dir = readZipDirectory(bytes);
    return dir.has("config.json") && dir.has("metadata.json");
  } catch {
    return false;
  }
}

export function looksLikeKeras(bytes: Uint8Array): boolean {
  return looksLikeKerasJson(bytes) || looksLikeKerasArchive(bytes);
}

function isHdf5(bytes: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
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

function str(v: KValue | undefined): string | undefined {
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

interface Parsed {
  readonly model: KerasModel;
  readonly keras3: boolean;
  readonly doc: KObject;
}

function parseConfig(text: string, what: string, withSpans: boolean): Parsed {
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

function versionOf(o: KObject): string | undefined {
  const topo = isObject(o["modelTopology"]) ? o["modelTopology"] : undefined;
  return str(o["keras_version"]) ?? str(topo?.["keras_version"]);
}

function build(parsed: Parsed, producer: string, fileNotes: readonly string[]): Model {
  const b = new GraphBuilder();
  let built: ReturnType<typeof buildKeras>;
  try {
    built = buildKeras(parsed.model, b);
  } catch (e) {
    if (e instanceof KerasBuildError) throw new ModelError(e.message);
    throw e;
  }
  const graph = b.graph(built.outputs);
  const notes = [...fileNotes, ...unknownLayerNotes(built.unknown)];
  return {
    format: "keras",
    graph: { ...graph, name: parsed.model.name },
    opsets: { "": 17 },
    producer,
    irVersion: 0,
    weightless: true,
    layout: "channels_last",
    ...(notes.length ? { notes } : {}),
    ...(built.unknown.length ? { paramsUnknown: built.unknown } : {}),
  };
}

/** The JSON text of a model.to_json() / TensorFlow.js model.json file. */
export function readKerasJson(bytes: Uint8Array): Model {
  const parsed = parseConfig(new TextDecoder().decode(bytes), "This file", true);
  const version = versionOf(parsed.doc);
  const tfjs = "modelTopology" in parsed.doc;
  const layout = parsed.keras3 ? "Keras 3" : "Keras 2";
  const notes = tfjs
    ? [
        "Weights in the weightsManifest's .bin files are not read (the architecture comes from modelTopology).",
      ]
    : [];
  return build(
    parsed,
    `${tfjs ? "TensorFlow.js" : "Keras"}${version ? ` ${version}` : ""} JSON (${layout} layout)`,
    notes,
  );
}

/** A `.keras` archive: config.json read, model.weights.h5 not. */
export function readKerasArchive(bytes: Uint8Array): Model {
  const dir = readZipDirectory(bytes);
  const entry = dir.get("config.json");
  if (!entry)
    throw new ModelError(
      `This .keras archive has no config.json (it holds ${[...dir.keys()].slice(0, 5).join(", ") || "nothing"}).`,
    );
  const text = new TextDecoder().decode(readZipEntry(bytes, entry));
  const meta = dir.get("metadata.json");
  let version: string | undefined;
  if (meta) {
    try {
      version = str(
        (JSON.parse(new TextDecoder().decode(readZipEntry(bytes, meta))) as KObject)["keras_version"],
      );
    } catch {
      version = undefined;
    }
  }
  const parsed = parseConfig(text, "config.json", false);
  const notes = [
    dir.has("model.weights.h5")
      ? "Weights in model.weights.h5 are not read (the architecture comes from config.json)."
      : "The archive holds no model.weights.h5.",
  ];
  return build(parsed, `Keras${version ? ` ${version}` : ""} .keras`, notes);
}

/**
 * A legacy HDF5 full model: h5py keeps the root's `model_config` attribute (the to_json()
 * text) contiguous in the file, so it is found by scanning for it — no HDF5 parser.
 */
export function readKerasH5(bytes: Uint8Array): Model {
  if (!isHdf5(bytes))
    throw new ModelError(`This .h5 file is not HDF5 (no HDF5 signature). ${H5_UNSUPPORTED}.`);
  const latin = new TextDecoder("latin1").decode(bytes);
  for (let at = latin.indexOf('{"class_name"'); at >= 0; at = latin.indexOf('{"class_name"', at + 1)) {
    const end = jsonEnd(latin, at);
    if (end < 0) continue;
    const text = new TextDecoder().decode(bytes.subarray(at, end));
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (!modelConfigOf(doc)) continue;
    const parsed = parseConfig(text, "model_config", false);
    const version = h5Version(latin);
    return build(parsed, `Keras${version ? ` ${version}` : ""} HDF5`, [
      "Read the model_config attribute of this HDF5 file; its weights are not read.",
    ]);
  }
  const weightsOnly = latin.includes("layer_names")
    ? " (this looks like a weights-only file from save_weights)"
    : "";
  throw new ModelError(`No model_config found in this HDF5 file${weightsOnly}. ${H5_UNSUPPORTED}.`);
}

/**
 * The root's keras_version attribute: stored right after its name (fixed-length), or as a
 * global heap object (variable-length: its 8-byte little-endian size just before it).
 */
function h5Version(latin: string): string | undefined {
  const inline = /keras_version\0[\s\S]{0,160}?\0(\d+\.\d+\.\d+[\w.+-]*)\0/.exec(latin)?.[1];
  if (inline) return inline;
  for (const m of latin.matchAll(/([\s\S])\0{7}(\d+\.\d+\.\d+[\w.+-]*)/g))
    if (m[1]?.charCodeAt(0) === m[2]?.length) return m[2];
  return undefined;
}

/** Where the JSON object starting at `at` ends (balanced braces outside strings), or -1. */
function jsonEnd(s: string, at: number): number {
  let depth = 0;
  let inString = false;
  for (let i = at; i < s.length && i < at + 64 * 1024 * 1024; i++) {
    const ch = s.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b) depth++;
    else if (ch === 0x7d && --depth === 0) return i + 1;
    else if (ch === 0) return -1;
  }
  return -1;
}

/** Any Keras model file, by content: .keras zip, HDF5, or JSON. */
export function readKeras(bytes: Uint8Array): Model {
  if (isZip(bytes)) return readKerasArchive(bytes);
  if (isHdf5(bytes)) return readKerasH5(bytes);
  if (/^\uFEFF?\s*\{/.test(new TextDecoder().decode(bytes.subarray(0, 64)))) return readKerasJson(bytes);
  throw new ModelError(
    `This file is neither a .keras archive (zip), an HDF5 file nor Keras JSON. ${H5_UNSUPPORTED}.`,
  );
}
