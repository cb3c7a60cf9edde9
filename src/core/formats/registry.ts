/**
 * Every model format ConvLens reads, in one table: file extensions, a content
 * sniff (magic bytes), and a reader with the same shape for all — bytes in, IR out.
 */
import type { Dim, Model } from "../ir/types";
import { ModelError } from "../ir/types";
import { looksLikeCaffe, readCaffe } from "./caffe/caffeReader";
import { looksLikeDarknet } from "./darknet/darknetCfg";
import { readDarknet } from "./darknet/darknetReader";
import { looksLikeKeras, readKeras } from "./keras/kerasFile";
import { looksLikeOnnx, readOnnx } from "./onnx/reader";
import { looksLikeTflite, readTflite } from "./tflite/tfliteReader";

export interface ReadContext {
  /** Whether a file next to the model exists (external weights). */
  readonly siblingExists?: (relativePath: string) => boolean;
  /**
   * Input shapes the user gave (by input name, "*" = the first): readers that size weights from them use
   * them.
   */
  readonly inputShapes?: Readonly<Record<string, readonly Dim[]>>;
}

export interface FormatReader {
  readonly id: string;
  readonly name: string;
  readonly extensions: readonly string[];
  /** Binary files open in the inspector by default (a custom editor); text ones also in the text editor. */
  readonly binary?: boolean;
  readonly detect: (bytes: Uint8Array) => boolean;
  readonly read: (bytes: Uint8Array, ctx: ReadContext) => Model;
}

export const FORMATS: readonly FormatReader[] = [
  // First: its "TFL3" identifier is exact, and ONNX's protobuf sniff would also take a FlatBuffer.
  {
    id: "tflite",
    name: "TensorFlow Lite",
    extensions: [".tflite"],
    binary: true,
    detect: looksLikeTflite,
    read: (bytes) => readTflite(bytes),
  },
  {
    id: "onnx",
    name: "ONNX",
    extensions: [".onnx"],
    binary: true,
    detect: looksLikeOnnx,
    read: (bytes, ctx) => readOnnx(bytes, ctx.siblingExists ? { externalExists: ctx.siblingExists } : {}),
  },
  {
    id: "caffe",
    name: "Caffe",
    extensions: [".prototxt"],
    detect: looksLikeCaffe,
    read: (bytes, ctx) => readCaffe(bytes, ctx.inputShapes ? { inputShapes: ctx.inputShapes } : {}),
  },
  {
    id: "keras",
    name: "Keras",
    // A .json is read as Keras only when its content is a model.to_json() (or TensorFlow.js model.json).
    extensions: [".keras", ".h5", ".hdf5"],
    binary: true,
    detect: looksLikeKeras,
    read: (bytes) => readKeras(bytes),
  },
  {
    id: "darknet",
    name: "Darknet",
    // .cfg is used by many tools: a .cfg is read as Darknet only when its content says so.
    extensions: [],
    detect: looksLikeDarknet,
    read: (bytes) => readDarknet(bytes),
  },
];

/** Pick the reader by extension, else by content. */
export function readerFor(fileName: string, bytes: Uint8Array): FormatReader {
  const lower = fileName.toLowerCase();
  const byExt = FORMATS.find((f) => f.extensions.some((e) => lower.endsWith(e)));
  if (byExt) return byExt;
  const byContent = FORMATS.find((f) => f.detect(bytes));
  if (byContent) return byContent;
  if (lower.endsWith(".json"))
    throw new ModelError(
      `"${fileName}" is not a Keras model: ConvLens reads a .json written by model.to_json() (a top-level "class_name" Sequential, Functional or Model with its "config") or a TensorFlow.js model.json.`,
    );
  throw new ModelError(
    `Unsupported model file "${fileName}": ConvLens reads ${FORMATS.map((f) => f.extensions.join("/"))
      .filter(Boolean)
      .join(", ")}, Darknet .cfg and Keras .json.`,
  );
}

export function readModel(fileName: string, bytes: Uint8Array, ctx: ReadContext = {}): Model {
  return readerFor(fileName, bytes).read(bytes, ctx);
}

export function modelNameOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}
