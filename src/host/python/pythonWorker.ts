/**
 * Analyses Python model files in a worker thread, so that interpreting a large
 * file never delays the extension host (other extensions, the inspector).
 */
import { parentPort } from "node:worker_threads";
import type { Dim } from "../../core/ir/types";
import type { KerasBackendChoice } from "../../core/formats/python/kerasAssumptions";
import { ParsedModules } from "../../core/formats/python/moduleLoader";
import { analyzePythonSource, type PythonAnalysis } from "../../core/formats/python/pythonModel";
import { CachedSourceFiles } from "../../runtime/pythonFiles";

export interface PythonRequest {
  readonly id: number;
  readonly fileName: string;
  readonly text: string;
  readonly inputShapes: Readonly<Record<string, Dim[]>>;
  /** The input assumed for each class at its last clean analysis (PythonOptions.lastGoodInputs). */
  readonly lastGoodInputs: Readonly<Record<string, readonly Dim[]>>;
  /** Texts of open editors by file path (they win over the disk for imports). */
  readonly openFiles: Readonly<Record<string, string>>;
  /**
   * Where absolute imports are looked for after the file's folder: workspace roots,
   * convlens.pythonExtraPaths, then the Python environment's library folders.
   */
  readonly pythonPath: readonly string[];
  /** convlens.kerasBackend (Config.kerasBackend): what a Keras source's backend() answers. */
  readonly kerasBackend: KerasBackendChoice;
}

export type PythonResponse =
  | { readonly id: number; readonly analysis: PythonAnalysis }
  | { readonly id: number; readonly error: string };

// Kept for the worker's life: a library (torchvision) is read and parsed once, then re-checked by mtime.
const files = new CachedSourceFiles();
const parsedModules = new ParsedModules();

parentPort?.on("message", (req: PythonRequest) => {
  let res: PythonResponse;
  try {
    files.overrides = req.openFiles;
    const analysis = analyzePythonSource(req.text, {
      fileName: req.fileName,
      inputShapes: req.inputShapes,
      lastGoodInputs: req.lastGoodInputs,
      files,
      pythonPath: req.pythonPath,
      parsedModules,
      kerasBackend: req.kerasBackend,
    });
    res = { id: req.id, analysis };
  } catch (e) {
    res = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort?.postMessage(res);
});
