/**
 * Binds one webview to one analysis source (a model file, or a class in a
 * Python file): shows the inspector page, runs the analysis with a cancellable
 * progress notification, and posts the result. Thin by design: the analysis
 * is core, the rendering is the webview's.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { LayerRow, ModelAnalysis } from "../core/analysis/result";
import { isWebviewToHost, type HostToWebview } from "../protocol/messages";
import type { AnalysisOutcome, AnalysisService } from "./analysisService";
import type { Config } from "./config";
import { renderInspectorHtml } from "./inspectorHtml";

export interface InspectorDeps {
  readonly extensionUri: vscode.Uri;
  readonly config: Config;
  readonly analysis: AnalysisService;
  readonly log: vscode.LogOutputChannel;
}

/** What an inspector shows: a title, how to (re)compute the analysis, and where a selected layer lives. */
export interface InspectorSource {
  readonly title: string;
  /** Where an exported JSON goes by default. */
  readonly uri: vscode.Uri;
  readonly analyze: (token: vscode.CancellationToken) => Promise<AnalysisOutcome>;
  readonly onLayerSelected?: (layer: LayerRow) => void;
}

export class InspectorPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private pending: HostToWebview[] = [];
  private current: ModelAnalysis | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly source: InspectorSource,
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

  /** An inspector for a model file, analysed in the worker. */
  static forFile(webview: vscode.Webview, uri: vscode.Uri, deps: InspectorDeps): InspectorPanel {
    const title = uri.path.split("/").pop() ?? uri.toString();
    return new InspectorPanel(
      webview,
      {
        title,
        uri,
        analyze: (token) => {
          const inputShape = deps.config.inputShapeFor(uri);
          return deps.analysis.analyze(uri, { timeLimitMs: deps.config.analysisTimeoutSeconds * 1000, token, ...(inputShape ? { inputShape } : {}) });
        },
      },
      deps,
    );
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.webview.postMessage(message);
    else this.pending.push(message);
  }

  selectLayer(index: number): void {
    this.post({ type: "selectLayer", index });
  }

  private onMessage(m: unknown): void {
    if (!isWebviewToHost(m)) return;
    switch (m.type) {
      case "ready":
        this.ready = true;
        for (const p of this.pending.splice(0)) void this.webview.postMessage(p);
        break;
      case "layerSelected": {
        const layer = this.current?.layers[m.index];
        if (layer) this.source.onLayerSelected?.(layer);
        break;
      }
      case "exportJson":
        void this.exportJson();
        break;
      case "webviewError":
        this.deps.log.error(`webview: ${m.message}`);
        break;
    }
  }

  /** Analyse; errors become a message in the page, never an exception. */
  async load(): Promise<void> {
    const file = this.source.title;
    this.post({ type: "loading", file });
    let outcome: AnalysisOutcome;
    const cancel = new vscode.CancellationTokenSource();
    const work = this.source.analyze(cancel.token);
    // Only work that takes a while gets a (cancellable) notification; quick files would just flash one.
    const timer = setTimeout(() => {
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ConvLens: analysing ${file}`, cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        return work.then(() => undefined, () => undefined);
      });
    }, 400);
    try {
      outcome = await work;
    } catch (e) {
      outcome = { ok: false, message: `Analysis failed: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      clearTimeout(timer);
      cancel.dispose();
    }
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
    const base = this.source.uri.path.replace(/\.[^./]+$/, "");
    const target = await vscode.window.showSaveDialog({
      defaultUri: this.source.uri.with({ path: `${base}${base.endsWith(this.current.model) ? "" : `.${this.current.model}`}.convlens.json` }),
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
