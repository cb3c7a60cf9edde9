/**
 * Weights for a weightless definition, from a file beside it: the format's own (Darknet
 * `<name>.weights`, Caffe `<name>.caffemodel`), else `<name>.safetensors`, else a PyTorch
 * state_dict `<name>.pth` / `<name>.pt`. One lookup for the Run panel and the CLI; the caller
 * supplies how to read a sibling file.
 */
import type { Model } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { applyCaffemodel, readCaffemodel } from "../caffe/caffemodel";
import { applyDarknetWeights } from "../darknet/darknetWeights";
import { readPytorchCheckpoint } from "./pytorchCheckpoint";
import { applyWeights, readSafetensors, type WeightReport } from "./safetensors";

export type WeightFileKind = "darknet" | "caffemodel" | "safetensors" | "pytorch";

export interface WeightFile {
  /** File name, relative to the model's folder. */
  readonly file: string;
  readonly kind: WeightFileKind;
}

/** The weight files a model of this format may have beside it, in the order they are tried. */
export function weightFilesBeside(formatId: string, modelFile: string): WeightFile[] {
  const base = modelFile.split(/[\\/]/).pop() ?? modelFile;
  const dot = base.lastIndexOf(".");
  return weightFilesFor(formatId, [dot > 0 ? base.slice(0, dot) : base]);
}

/** Candidates for these stems (most specific first, e.g. a Python class name, then the file's). */
export function weightFilesFor(formatId: string, stems: readonly string[]): WeightFile[] {
  return stems.flatMap((stem): WeightFile[] => [
    ...(formatId === "darknet" ? [{ file: `${stem}.weights`, kind: "darknet" as const }] : []),
    ...(formatId === "caffe" ? [{ file: `${stem}.caffemodel`, kind: "caffemodel" as const }] : []),
    { file: `${stem}.safetensors`, kind: "safetensors" },
    { file: `${stem}.pth`, kind: "pytorch" },
    { file: `${stem}.pt`, kind: "pytorch" },
  ]);
}

export function applyWeightFile(
  model: Model,
  kind: WeightFileKind,
  bytes: Uint8Array,
): { model: Model; report: WeightReport } {
  switch (kind) {
    case "darknet": {
      // Darknet's file is positional: it fits the cfg as a whole or is rejected.
      const r = applyDarknetWeights(model, bytes);
      return { model: r.model, report: { loaded: r.loaded, missing: [], unexpected: [], misshaped: [] } };
    }
    case "caffemodel":
      return applyCaffemodel(model, readCaffemodel(bytes));
    case "safetensors":
      return applyWeights(model, readSafetensors(bytes));
    case "pytorch":
      return applyWeights(model, readPytorchCheckpoint(bytes));
  }
}

export interface WeightsBeside {
  readonly model: Model;
  /** The file the weights came from; absent when none was found. */
  readonly file?: string;
  readonly report?: WeightReport;
}

/**
 * Apply the first weight file that exists beside the model (`read` answers undefined for a
 * missing file). A file that exists but cannot be used is an error naming that file.
 */
export async function loadWeightsBeside(
  model: Model,
  formatId: string,
  modelFile: string,
  read: (file: string) => Promise<Uint8Array | undefined>,
  /** The folder's file names, for the format's own weights under another name. */
  list?: () => Promise<readonly string[]>,
): Promise<WeightsBeside> {
  const r = await loadWeightFile(model, weightFilesBeside(formatId, modelFile), read);
  if (r.file !== undefined || list === undefined) return r;
  const other = loneOwnWeights(formatId, await list());
  return other === undefined ? r : loadWeightFile(model, [other], read);
}

/**
 * A model zoo's pairing of differently named files — Caffe's `deploy.prototxt` beside
 * `bvlc_googlenet.caffemodel`, a Darknet cfg beside its `.weights` — when the folder holds
 * exactly one file of the format's own weights (two would be a guess).
 */
export function loneOwnWeights(formatId: string, names: readonly string[]): WeightFile | undefined {
  const ext = formatId === "caffe" ? ".caffemodel" : formatId === "darknet" ? ".weights" : undefined;
  if (ext === undefined) return undefined;
  const own = names.filter((n) => n.toLowerCase().endsWith(ext));
  return own.length === 1 && own[0] !== undefined
    ? { file: own[0], kind: formatId === "caffe" ? "caffemodel" : "darknet" }
    : undefined;
}

/** Apply the first of these candidates that exists. */
export async function loadWeightFile(
  model: Model,
  candidates: readonly WeightFile[],
  read: (file: string) => Promise<Uint8Array | undefined>,
): Promise<WeightsBeside> {
  for (const { file, kind } of candidates) {
    const bytes = await read(file);
    if (!bytes) continue;
    try {
      return { file, ...applyWeightFile(model, kind, bytes) };
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${file}: ${e.message}`);
      throw e;
    }
  }
  return { model };
}

/** One line for the user: what loaded and, when something did not fit, what (those run on random weights). */
export function weightsMessage(file: string, report: WeightReport): { warning: boolean; text: string } {
  const unit = report.unit ?? "tensors";
  const list = (items: readonly string[]) =>
    `${items.slice(0, 3).join(", ")}${items.length > 3 ? ", …" : ""}`;
  const problems = [
    report.missing.length ? `${report.missing.length} missing (${list(report.missing)})` : "",
    report.unexpected.length ? `${report.unexpected.length} unexpected (${list(report.unexpected)})` : "",
    report.misshaped.length
      ? `${report.misshaped.length} mis-shaped (${report.misshaped[0]}${report.misshaped.length > 1 ? ", …" : ""})`
      : "",
  ].filter(Boolean);
  if (problems.length)
    return {
      warning: true,
      text: `${file}: loaded ${report.loaded} ${unit}; ${problems.join("; ")}. The rest run on random weights.`,
    };
  return { warning: false, text: `weights loaded from ${file} (${report.loaded} ${unit}).` };
}
