/**
 * Binds one webview to one model file: shows the inspector page, runs the
 * analysis with a cancellable progress notification, and posts the result.
 * Thin by design: the analysis is core, the rendering is the webview's.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { ModelAnalysis } from "../core/analysis/result";
import { isWebviewToHost, type HostToWebview } from "../protocol/messages";
import type { AnalysisService } from "./analysisService";
import type { Config } from "./config";
import { renderInspectorHtml } from "./inspectorHtml";

export interface InspectorDeps {
  readonly extensionUri: vscode.Uri;
  readonly config: Config;
  readonly analysis: AnalysisService;
  readonly log: vscode.LogOutputChannel;
}

export class InspectorPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private pending: HostToWebview[] = [];
  private current: ModelAnalysis | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly uri: vscode.Uri,
    private readonly deps: InspectorDeps,
  ) {
    const media = vscode.Uri.joinPath(deps.extensionUri, "media");
    const dist = vscode.Uri.joinPath(deps.extensionUri, "dist");
    webview.options = { enableScripts: true, localResourceRoots: [media, dist] };
    webview.html = renderInspectorHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString("base64"),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "inspector.css")).toString(),
    });
    this.disposables.push(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    void this.load();
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.webview.postMessage(message);
    else this.pending.push(message);
  }

  private onMessage(m: unknown): void {
    if (!isWebviewToHost(m)) return;
    switch (m.type) {
      case "ready":
        this.ready = true;
        for (const p of this.pending.splice(0)) void this.webview.postMessage(p);
        break;
      case "layerSelected":
        break;
      case "exportJson":
        void this.exportJson();
        break;
      case "webviewError":
        this.deps.log.error(`webview: ${m.message}`);
        break;
    }
  }

  /** Read and analyse the file; errors become a message in the page, never an exception. */
  async load(): Promise<void> {
    const file = this.uri.path.split("/").pop() ?? this.uri.toString();
    this.post({ type: "loading", file });
    const timeLimitMs = this.deps.config.analysisTimeoutSeconds * 1000;
    const inputShape = this.deps.config.inputShapeFor(this.uri);
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ConvLens: analysing ${file}`, cancellable: true },
      (_progress, token) => this.deps.analysis.analyze(this.uri, { timeLimitMs, token, ...(inputShape ? { inputShape } : {}) }),
    );
    if (outcome.ok) {
      this.current = outcome.analysis;
      this.deps.log.info(`${file}: ${outcome.analysis.layers.length} layers analysed in ${outcome.analysis.analysisMs} ms`);
      this.post({ type: "analysis", file, analysis: outcome.analysis });
    } else {
      this.deps.log.warn(`${file}: ${outcome.message}`);
      this.post({ type: "error", file, message: outcome.message });
    }
  }

  private async exportJson(): Promise<void> {
    if (!this.current) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: this.uri.with({ path: this.uri.path.replace(/\.[^./]+$/, "") + ".convlens.json" }),
      filters: { JSON: ["json"] },
    });
    if (!target) return;
    const { jsonReport } = await import("../core/analysis/report");
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(jsonReport(this.current), null, 2)));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
