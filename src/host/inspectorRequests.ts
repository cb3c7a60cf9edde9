/**
 * The inspector's Run-panel requests (prepareRun, prepareExplain, getFilters, pickImage,
 * pickLabels, runNative), served by the protocol's RequestServer: every failure becomes a
 * requestFailed message, never an exception; the webview's Cancel aborts the work's signal, the
 * work stops at its next step and its reply is dropped. Split from InspectorPanel, which keeps the
 * page's lifecycle and the analysis.
 */
import * as vscode from "vscode";
import type { LayerRow, ModelAnalysis } from "../core/analysis/result";
import type { HostToWebview, LabelsFile } from "../protocol/messages";
import { RequestServer, type ReplyMessage, type RequestMessage } from "../protocol/requests";
import type { RunModelHolder } from "./runtime/runModelHolder";
import { readLabels, type RuntimeService } from "./runtime/runtimeService";

export interface InspectorRequestsHost {
  readonly webview: vscode.Webview;
  readonly runtime: RuntimeService;
  /** The model the Run tab runs (prepared ahead of a Run, held while shown). */
  readonly runModel: RunModelHolder;
  /** The source's file: the labels picker opens beside it. */
  readonly sourceUri: vscode.Uri;
  /** The analysis shown, if any. */
  readonly current: () => ModelAnalysis | undefined;
  readonly post: (message: HostToWebview) => void;
}

export class InspectorRequests {
  /** The Run panel's requests in flight: their replies, requestFailed, and the webview's Cancel. */
  private readonly server: RequestServer;
  /** The labels file the user chose in the Run tab ("Choose labels…"), over any labels.txt. */
  chosenLabels: LabelsFile | undefined;

  constructor(private readonly host: InspectorRequestsHost) {
    this.server = new RequestServer((reply) => host.post(reply));
  }

  /** Serves one request of the webview (its reply or requestFailed is posted when the work ends). */
  serve(m: RequestMessage): void {
    void this.server.serve(m.requestId, (signal) => this.onRequest(m, signal));
  }

  /** The webview's cancelRequest. */
  cancel(requestId: number): void {
    this.server.cancel(requestId);
  }

  private async onRequest(m: RequestMessage, signal: AbortSignal): Promise<ReplyMessage | undefined> {
    const { runtime, runModel, webview, current } = this.host;
    switch (m.type) {
      case "prepareRun": {
        const shown = current();
        const layers = m.layers.map((i) => shown?.layers[i]).filter((l): l is LayerRow => l !== undefined);
        const model = await runModel.forRun();
        signal.throwIfAborted();
        const runnable = await runtime.prepare(webview, model, layers);
        return { type: "runnable", requestId: m.requestId, runnable };
      }
      case "prepareExplain": {
        const model = await runModel.forRun();
        const layers = current()?.layers ?? [];
        const r = await runtime.prepareExplain(webview, model, layers, m, signal);
        return { type: "explainRunnable", requestId: m.requestId, ...r };
      }
      case "getFilters": {
        const layer = current()?.layers[m.layerIndex];
        if (!layer) throw new Error("no such layer");
        const f = runtime.filters(await runModel.get(), layer);
        return {
          type: "filters",
          requestId: m.requestId,
          layerIndex: m.layerIndex,
          dims: f.dims,
          data: f.data,
        };
      }
      case "pickImage":
        await this.pickImage(m.requestId);
        return undefined;
      case "pickLabels":
        return this.pickLabels(m.requestId);
      case "runNative": {
        const start = performance.now();
        const r = await runtime.runNative(m, signal);
        const outputs = [...r.outputs].map(([name, o]) => ({ name, dims: o.dims, data: o.data }));
        return {
          type: "nativeResult",
          requestId: m.requestId,
          ms: r.ms,
          hostMs: performance.now() - start,
          firstRun: r.firstRun,
          provider: r.provider,
          ...(r.note !== undefined ? { note: r.note } : {}),
          outputs,
        };
      }
    }
  }

  /** Ask for an image and hand it to the Run panel (requestId -1: not asked for by the webview). */
  async pickImage(requestId = -1): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { Images: ["png", "jpg", "jpeg"] },
      title: "ConvLens: image to run the model on",
    });
    const file = picked?.[0];
    if (!file) {
      if (requestId >= 0) this.host.post({ type: "requestFailed", requestId, message: "no image chosen" });
      return;
    }
    const uri = await this.host.runtime.publishImage(this.host.webview, file);
    this.host.post({ type: "image", requestId, name: file.path.split("/").pop() ?? "image", uri });
  }

  /** "Choose labels…": a text file, one class name per line; kept for this inspector. */
  private async pickLabels(requestId: number): Promise<ReplyMessage> {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: vscode.Uri.joinPath(this.host.sourceUri, ".."),
      filters: { "Labels (one per line)": ["txt", "names", "labels"], "All files": ["*"] },
      title: "ConvLens: class names for this model (one per line)",
    });
    const file = picked?.[0];
    if (!file) throw new Error("no labels file chosen");
    const labels = await readLabels(file);
    if (labels === null)
      throw new Error(`${file.path.split("/").pop() ?? "the file"} has no lines to use as labels`);
    this.chosenLabels = labels;
    return { type: "labels", requestId, labels };
  }
}
