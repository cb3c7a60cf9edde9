/**
 * Reads a model through the workspace file system and analyses it in a worker, bounded in time and
 * cancellable.
 */
import type { TorchColumn } from "../core/analysis/torchColumn";
import { Worker } from "node:worker_threads";
import { gunzipSync } from "node:zlib";
import * as vscode from "vscode";
import type { ModelAnalysis } from "../core/analysis/result";
import type { Dim } from "../core/ir/types";
import type { HostStamp } from "../protocol/messages";
import type { WorkerRequest, WorkerResponse } from "./analysisWorker";

export type AnalysisOutcome =
  /**
   * `pytorch`: the column of a Check with PyTorch made on the same text. `json`: the analysis as
   * UTF-8 JSON when it came as such (from the worker), posted to the webview as is; `gzip`: gzipped.
   */
  | { ok: true; analysis: ModelAnalysis; pytorch?: TorchColumn; json?: Uint8Array; gzip?: boolean }
  | { ok: false; message: string };

export class AnalysisService implements vscode.Disposable {
  /**
   * A worker started ahead, its script loaded, for the next analysis: with a fresh worker per model,
   * ResNet-18 (analysed in 20–90 ms) reached the inspector 0.6–1.9 s after the request on the 2-core
   * machine, 0.3–0.6 s with one started ahead. Each worker analyses one model and is terminated (a
   * huge or hostile model leaves nothing behind).
   */
  private spare: Worker | undefined;
  private disposed = false;

  constructor(private readonly extensionUri: vscode.Uri) {
    this.spare = this.startWorker();
  }

  dispose(): void {
    this.disposed = true;
    void this.spare?.terminate();
    this.spare = undefined;
  }

  private startWorker(): Worker {
    const script = vscode.Uri.joinPath(this.extensionUri, "dist", "analysisWorker.js").fsPath;
    const worker = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: 4096 } });
    // An idle spare must not keep the extension host alive, nor report a failure nobody waits for.
    worker.unref();
    worker.on("error", () => undefined);
    // A spare that died idle is not handed out (its exit would never be reported to an analysis).
    worker.once("exit", () => {
      if (this.spare === worker) this.spare = undefined;
    });
    return worker;
  }

  /** The spare worker, or a fresh one when none is ready. */
  private takeWorker(): Worker {
    const worker = this.spare ?? this.startWorker();
    this.spare = undefined;
    worker.ref();
    return worker;
  }

  /** The next spare: its bundle loads (~0.1 s, on its own thread) while this analysis is shown. */
  private replenish(): void {
    if (!this.disposed && this.spare === undefined) this.spare = this.startWorker();
  }

  async analyze(
    uri: vscode.Uri,
    opts: {
      inputShape?: Dim[];
      timeLimitMs: number;
      token: vscode.CancellationToken;
      /** Records the steps (file read, the worker's own) for the inspector's breakdown. */
      stamp?: (s: HostStamp) => void;
    },
  ): Promise<AnalysisOutcome> {
    const dir = vscode.Uri.joinPath(uri, "..");
    const listed = vscode.workspace.fs.readDirectory(dir).then(
      (entries) => entries.map(([name]) => name),
      () => [] as string[],
    );
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch (e) {
      return {
        ok: false,
        message: `Cannot read ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    opts.stamp?.({ step: "file read", at: Date.now() });
    const siblings = await listed;
    const fileName = uri.path.split("/").pop() ?? "model";
    const req: WorkerRequest = {
      fileName,
      bytes,
      siblings,
      timeLimitMs: opts.timeLimitMs,
      ...(opts.inputShape ? { inputShape: opts.inputShape } : {}),
    };
    return this.runWorker(req, opts.token, opts.timeLimitMs, opts.stamp);
  }

  private runWorker(
    req: WorkerRequest,
    token: vscode.CancellationToken,
    timeLimitMs: number,
    stamp?: (s: HostStamp) => void,
  ): Promise<AnalysisOutcome> {
    return new Promise((resolve) => {
      const worker = this.takeWorker();
      let settled = false;
      const finish = (outcome: AnalysisOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sub.dispose();
        void worker.terminate();
        resolve(outcome);
        this.replenish();
      };
      // The worker also checks the limit itself; this catches a worker stuck in decoding.
      const timer = setTimeout(
        () =>
          finish({
            ok: false,
            message: `Analysis stopped after ${Math.round(timeLimitMs / 1000) + 5} s (time limit; see setting convlens.analysisTimeoutSeconds).`,
          }),
        timeLimitMs + 5000,
      );
      const sub = token.onCancellationRequested(() => finish({ ok: false, message: "Analysis cancelled." }));
      worker.on("message", (res: WorkerResponse) => {
        for (const s of res.stamps) stamp?.(s);
        finish(res.ok ? parsedOnFirstUse(res.json, res.gzip) : { ok: false, message: res.message });
      });
      worker.on("error", (e) => finish({ ok: false, message: `Analysis failed: ${e.message}` }));
      worker.on("exit", (code) => finish({ ok: false, message: `Analysis worker exited (code ${code}).` }));
      worker.postMessage(req);
    });
  }
}

/**
 * An outcome whose analysis is parsed from `json` when first read: the inspector posts the bytes to
 * its webview first (parsing 10,000 layers takes 0.1–0.3 s of the extension host's thread).
 */
function parsedOnFirstUse(json: Uint8Array, gzip: boolean): AnalysisOutcome {
  let analysis: ModelAnalysis | undefined;
  return {
    ok: true,
    json,
    gzip,
    get analysis(): ModelAnalysis {
      analysis ??= JSON.parse(new TextDecoder().decode(gzip ? gunzipSync(json) : json)) as ModelAnalysis;
      return analysis;
    },
  };
}
