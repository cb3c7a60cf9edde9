/**
 * Reads a model through the workspace file system and analyses it in a worker, bounded in time and
 * cancellable.
 */
import type { TorchColumn } from "../core/analysis/torchColumn";
import { Worker } from "node:worker_threads";
import * as vscode from "vscode";
import type { ModelAnalysis } from "../core/analysis/result";
import type { Dim } from "../core/ir/types";
import type { WorkerRequest, WorkerResponse } from "./analysisWorker";

export type AnalysisOutcome =
  /**
   * `pytorch`: the column of a Check with PyTorch made on the same text. `json`: the analysis as
   * UTF-8 JSON when it came as such (from the worker), posted to the webview as is.
   */
  | { ok: true; analysis: ModelAnalysis; pytorch?: TorchColumn; json?: Uint8Array }
  | { ok: false; message: string };

export class AnalysisService {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async analyze(
    uri: vscode.Uri,
    opts: { inputShape?: Dim[]; timeLimitMs: number; token: vscode.CancellationToken },
  ): Promise<AnalysisOutcome> {
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch (e) {
      return {
        ok: false,
        message: `Cannot read ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    const dir = vscode.Uri.joinPath(uri, "..");
    const siblings = await vscode.workspace.fs.readDirectory(dir).then(
      (entries) => entries.map(([name]) => name),
      () => [] as string[],
    );
    const fileName = uri.path.split("/").pop() ?? "model";
    const req: WorkerRequest = {
      fileName,
      bytes,
      siblings,
      timeLimitMs: opts.timeLimitMs,
      ...(opts.inputShape ? { inputShape: opts.inputShape } : {}),
    };
    return this.runWorker(req, opts.token, opts.timeLimitMs);
  }

  private runWorker(
    req: WorkerRequest,
    token: vscode.CancellationToken,
    timeLimitMs: number,
  ): Promise<AnalysisOutcome> {
    const script = vscode.Uri.joinPath(this.extensionUri, "dist", "analysisWorker.js").fsPath;
    return new Promise((resolve) => {
      const worker = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: 4096 } });
      let settled = false;
      const finish = (outcome: AnalysisOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sub.dispose();
        void worker.terminate();
        resolve(outcome);
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
      worker.on("message", (res: WorkerResponse) =>
        finish(
          res.ok
            ? {
                ok: true,
                analysis: JSON.parse(new TextDecoder().decode(res.json)) as ModelAnalysis,
                json: res.json,
              }
            : { ok: false, message: res.message },
        ),
      );
      worker.on("error", (e) => finish({ ok: false, message: `Analysis failed: ${e.message}` }));
      worker.on("exit", (code) => finish({ ok: false, message: `Analysis worker exited (code ${code}).` }));
      worker.postMessage(req);
    });
  }
}
