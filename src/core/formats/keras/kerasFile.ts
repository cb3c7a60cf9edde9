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
import type { Model } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { GraphBuilder } from "../python/graphBuilder";
import { isZip, readZipDirectory, readZipEntry } from "../weights/zip";
import { KerasBuildError, buildKeras, kerasLayout, unknownLayerNotes } from "./kerasBuild";
import { modelConfigOf, parseConfig, str, type Parsed } from "./kerasConfig";
import { isObject, type KObject } from "./kerasModel";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
export const H5_UNSUPPORTED =
  "HDF5 .h5 models are not supported: save with model.save('x.keras') or model.to_json()";

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
  const { notes: layoutNotes, ...layout } = kerasLayout(built.formats, graph);
  const notes = [...fileNotes, ...layoutNotes, ...unknownLayerNotes(built.unknown)];
  return {
    format: "keras",
    graph: { ...graph, name: parsed.model.name },
    opsets: { "": 17 },
    producer,
    irVersion: 0,
    weightless: true,
    ...layout,
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
