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

export type WorkerResponse =
  { readonly ok: true; readonly analysis: ModelAnalysis } | { readonly ok: false; readonly message: string };

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
    res = { ok: true, analysis };
  } catch (e) {
    const message =
      e instanceof ModelError
        ? e.message
        : `Unexpected error while analysing: ${e instanceof Error ? e.message : String(e)}`;
    res = { ok: false, message };
  }
  parentPort?.postMessage(res);
});
