/**
 * Runs in a worker thread so that a huge or hostile model can never block the
 * extension host: the host terminates the worker on cancel or time-out.
 */
import { parentPort } from "node:worker_threads";
import { analyzeFile, ModelError } from "../core/index";
import type { ModelAnalysis } from "../core/analysis/result";
import type { Dim } from "../core/ir/types";

export interface WorkerRequest {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  /** Names of the files beside the model (for external weights). */
  readonly siblings: readonly string[];
  readonly inputShape?: readonly Dim[];
  readonly timeLimitMs: number;
}

/**
 * The analysis as UTF-8 JSON: one transferred buffer instead of a structured clone of every row
 * (~300 ms for 10,000 layers, on the extension host's thread), and the bytes the webview gets.
 */
export type WorkerResponse =
  { readonly ok: true; readonly json: Uint8Array } | { readonly ok: false; readonly message: string };

parentPort?.on("message", (req: WorkerRequest) => {
  let res: WorkerResponse;
  try {
    const siblings = new Set(req.siblings);
    const analysis = analyzeFile(
      req.fileName,
      req.bytes,
      { siblingExists: (rel) => siblings.has(rel) },
      { timeLimitMs: req.timeLimitMs, ...(req.inputShape ? { inputShapes: { "*": req.inputShape } } : {}) },
    );
    const analysed: ModelAnalysis = analysis;
    res = { ok: true, json: new TextEncoder().encode(JSON.stringify(analysed)) };
  } catch (e) {
    const message =
      e instanceof ModelError
        ? e.message
        : `Unexpected error while analysing: ${e instanceof Error ? e.message : String(e)}`;
    res = { ok: false, message };
  }
  parentPort?.postMessage(res, res.ok ? [res.json.buffer as ArrayBuffer] : []);
});
