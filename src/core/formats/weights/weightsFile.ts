/**
 * The weight files ConvLens looks for beside a model without weights, in order of preference,
 * and one reader for all of them: `.safetensors`, then PyTorch's `.pth` and `.pt`.
 */
import { isPytorchCheckpoint, readPytorchCheckpoint } from "./pytorchCheckpoint";
import { readSafetensors, type StoredTensor } from "./safetensors";

export const WEIGHT_EXTENSIONS = [".safetensors", ".pth", ".pt"] as const;

/** Candidate file names for these stems (most specific stem first), each in extension order. */
export function weightFileNames(stems: readonly string[]): string[] {
  return stems.flatMap((stem) => WEIGHT_EXTENSIONS.map((ext) => `${stem}${ext}`));
}

/** A state_dict from a weights file, by extension (.pth/.pt) or content (zip or pickle), else safetensors. */
export function readWeightsFile(fileName: string, bytes: Uint8Array): Map<string, StoredTensor> {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".pth") || lower.endsWith(".pt") || isPytorchCheckpoint(bytes))
    return readPytorchCheckpoint(bytes);
  return readSafetensors(bytes);
}
