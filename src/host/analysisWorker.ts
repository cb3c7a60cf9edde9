/**
 * Runs in a worker thread so that a huge or hostile model can never block the
 * extension host: the host terminates the worker on cancel or time-out.
 */
import { parentPort } from "node:worker_threads";
import { gzipSync } from "node:zlib";
import { analyzeFile, ModelError } from "../core/index";
import type { ModelAnalysis } from "../core/analysis/result";
import type { Dim } from "../core/ir/types";
import type { HostStamp } from "../protocol/messages";

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
  /** `gzip`: `json` is gzipped (large analyses: fewer bytes to copy on the way to the webview). */
  (
    | { readonly ok: true; readonly json: Uint8Array; readonly gzip: boolean }
    | { readonly ok: false; readonly message: string }
  ) & {
    /** When the worker got the request, finished the analysis and its JSON (the inspector's breakdown). */
    readonly stamps: readonly HostStamp[];
  };

/** Analyses over 1 MB of JSON (a few thousand layers) travel gzipped; smaller ones are not worth it. */
const GZIP_OVER_BYTES = 1 << 20;

parentPort?.on("message", (req: WorkerRequest) => {
  let res: WorkerResponse;
  const stamps: HostStamp[] = [{ step: "worker: request received", at: Date.now() }];
  try {
    const siblings = new Set(req.siblings);
    const analysis = analyzeFile(
      req.fileName,
      req.bytes,
      { siblingExists: (rel) => siblings.has(rel) },
      { timeLimitMs: req.timeLimitMs, ...(req.inputShape ? { inputShapes: { "*": req.inputShape } } : {}) },
    );
    const analysed: ModelAnalysis = analysis;
    stamps.push({ step: "worker: analysed", at: Date.now() });
    const text = new TextEncoder().encode(JSON.stringify(analysed));
    stamps.push({ step: "worker: JSON made", at: Date.now() });
    const gzip = text.length > GZIP_OVER_BYTES;
    const json = gzip ? new Uint8Array(gzipSync(text, { level: 1 })) : text;
    if (gzip) stamps.push({ step: "worker: JSON gzipped", at: Date.now() });
    res = { ok: true, json, gzip, stamps };
  } catch (e) {
    const message =
      e instanceof ModelError
        ? e.message
        : `Unexpected error while analysing: ${e instanceof Error ? e.message : String(e)}`;
    res = { ok: false, message, stamps };
  }
  parentPort?.postMessage(res, res.ok ? [res.json.buffer as ArrayBuffer] : []);
});
