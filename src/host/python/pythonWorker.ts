/**
 * Analyses Python model files in a worker thread, so that interpreting a large
 * file never delays the extension host (other extensions, the inspector).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parentPort } from "node:worker_threads";
import type { Dim } from "../../core/ir/types";
import { analyzePythonSource, type PythonAnalysis } from "../../core/formats/python/pythonModel";

export interface PythonRequest {
  readonly id: number;
  readonly fileName: string;
  readonly text: string;
  readonly inputShapes: Readonly<Record<string, Dim[]>>;
  /** Texts of open editors by file path (they win over the disk for imports). */
  readonly openFiles: Readonly<Record<string, string>>;
  readonly workspaceRoots: readonly string[];
}

export type PythonResponse = { readonly id: number; readonly analysis: PythonAnalysis } | { readonly id: number; readonly error: string };

/** `from .blocks import X` (level 1) looks beside the file; `import models.blocks` (level 0) also at each workspace root. */
function readModule(req: PythonRequest, module: string, level: number): string | undefined {
  const parts = module.replace(/^\.+/, "").split(".").filter(Boolean);
  let base = dirname(req.fileName);
  for (let i = 1; i < level; i++) base = dirname(base);
  const roots = level > 0 ? [base] : [base, ...req.workspaceRoots];
  for (const root of roots) {
    for (const file of [join(root, ...parts) + ".py", join(root, ...parts, "__init__.py")]) {
      const open = req.openFiles[file];
      if (open !== undefined) return open;
      if (existsSync(file) && statSync(file).size < 1_000_000) return readFileSync(file, "utf8");
    }
  }
  return undefined;
}

parentPort?.on("message", (req: PythonRequest) => {
  let res: PythonResponse;
  try {
    res = { id: req.id, analysis: analyzePythonSource(req.text, { fileName: req.fileName, inputShapes: req.inputShapes, readModule: (m, l) => readModule(req, m, l) }) };
  } catch (e) {
    res = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort?.postMessage(res);
});
