/**
 * The model a Run panel runs, read from its file: external weights inlined where their files
 * exist, else a weight file beside it (.safetensors / .pth / .pt, or the format's own), else
 * none (the runnable builder generates them). Kept per file while it is unchanged.
 */
import * as vscode from "vscode";
import { tensorBytes } from "../../core/formats/onnx/externalData";
import { weightsMessage } from "../../core/formats/weights/beside";
import type { WeightReport } from "../../core/formats/weights/safetensors";
import type { Model, Tensor } from "../../core/ir/types";

async function readIfExists(uri: vscode.Uri): Promise<Uint8Array | undefined> {
  return vscode.workspace.fs.readFile(uri).then(
    (b) => b,
    () => undefined,
  );
}

function showWeightsMessage(file: string, report: WeightReport): void {
  const m = weightsMessage(file, report);
  if (m.warning) void vscode.window.showWarningMessage(`ConvLens: ${m.text}`);
  else void vscode.window.showInformationMessage(`ConvLens: ${m.text}`);
}

/**
 * Weights for a model without its own: `<stem>.safetensors`, `.pth` or `.pt` in `dir` (the first
 * that exists, stems in order), matched by parameter name; the report says what did not fit.
 */
export async function withWeightsFile(
  model: Model,
  dir: vscode.Uri,
  stems: readonly string[],
): Promise<Model> {
  const { loadWeightFile, weightFilesFor } = await import("../../core/formats/weights/beside");
  const r = await loadWeightFile(model, weightFilesFor("", stems), (file) =>
    readIfExists(vscode.Uri.joinPath(dir, file)),
  );
  if (r.file && r.report) showWeightsMessage(r.file, r.report);
  return r.model;
}

/**
 * Models loaded to run, per file while it is unchanged (same mtime and size): a reopened
 * inspector finds the model, and with it its generated weights and built graphs.
 */
const loadedForRun = new Map<string, { readonly stamp: string; readonly model: Promise<Model> }>();
const KEEP_LOADED = 4;

/** Read a model file with its external weights inlined (when the files exist), for running. */
export async function loadModelForRun(uri: vscode.Uri): Promise<Model> {
  const stat = await vscode.workspace.fs.stat(uri);
  const stamp = `${stat.mtime}:${stat.size}`;
  const key = uri.toString();
  const hit = loadedForRun.get(key);
  loadedForRun.delete(key); // most recently used last
  if (hit?.stamp === stamp) {
    loadedForRun.set(key, hit);
    return hit.model;
  }
  const model = readModelForRun(uri);
  loadedForRun.set(key, { stamp, model });
  model.catch(() => {
    if (loadedForRun.get(key)?.model === model) loadedForRun.delete(key);
  });
  while (loadedForRun.size > KEEP_LOADED) loadedForRun.delete(loadedForRun.keys().next().value as string);
  return model;
}

async function readModelForRun(uri: vscode.Uri): Promise<Model> {
  const { readOnnx } = await import("../../core/formats/onnx/reader");
  const { readerFor } = await import("../../core/formats/registry");
  const bytes = await vscode.workspace.fs.readFile(uri);
  const reader = readerFor(uri.path, bytes);
  const stem =
    uri.path
      .split("/")
      .pop()
      ?.replace(/\.[^.]+$/, "") ?? "model";
  // Text definitions carry no weights: their format's own file (Darknet .weights, Caffe
  // .caffemodel) or a .safetensors / .pth / .pt beside them, else generated ones.
  if (reader.id !== "onnx") {
    const { loadWeightsBeside } = await import("../../core/formats/weights/beside");
    const dir = vscode.Uri.joinPath(uri, "..");
    const list = async () =>
      (
        await vscode.workspace.fs.readDirectory(dir).then(
          (e) => e,
          () => [],
        )
      ).map(([name]) => name);
    const r = await loadWeightsBeside(
      reader.read(bytes, {}),
      reader.id,
      uri.path,
      (file) => readIfExists(vscode.Uri.joinPath(dir, file)),
      list,
    );
    if (r.file && r.report) showWeightsMessage(r.file, r.report);
    return r.model;
  }
  const dir = vscode.Uri.joinPath(uri, "..");
  const model = readOnnx(bytes, { externalExists: () => true });
  const cache = new Map<string, Uint8Array>();
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of model.graph.initializers) {
    if (t.storage.kind !== "external") {
      initializers.set(name, t);
      continue;
    }
    const data = await tensorBytes(t, async (location, offset, length) => {
      if (!cache.has(location)) {
        const file = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, location)).then(
          (b) => b,
          () => undefined,
        );
        if (!file) return undefined;
        cache.set(location, file);
      }
      return cache.get(location)?.subarray(offset, offset + length);
    });
    // Absent weights stay external: the runnable builder generates them (shown as "random weights").
    initializers.set(name, data ? { ...t, storage: { kind: "inline", bytes: data } } : t);
  }
  const result = { ...model, graph: { ...model.graph, initializers } };
  return [...initializers.values()].some((t) => t.storage.kind === "external")
    ? withWeightsFile(result, dir, [stem])
    : result;
}
