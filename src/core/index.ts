/** Public entry of the core: read a model file and analyse it. */
import { analyzeModel, type AnalyzeOptions } from "./analysis/analyze";
import type { ModelAnalysis } from "./analysis/result";
import { modelNameOf, readModel, type ReadContext } from "./formats/registry";

export function analyzeFile(
  fileName: string,
  bytes: Uint8Array,
  read: ReadContext = {},
  options: Partial<AnalyzeOptions> = {},
): ModelAnalysis {
  const model = readModel(
    fileName,
    bytes,
    options.inputShapes && !read.inputShapes ? { ...read, inputShapes: options.inputShapes } : read,
  );
  return analyzeModel(model, { modelName: modelNameOf(fileName), ...options });
}

export { analyzeModel } from "./analysis/analyze";
export type { AnalyzeOptions } from "./analysis/analyze";
export * from "./analysis/result";
export { ModelError } from "./ir/types";
