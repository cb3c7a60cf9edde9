/**
 * Binds one webview to one analysis source (a model file, or a class in a
 * Python file): shows the inspector page, runs the analysis with a cancellable
 * progress notification, and posts the result. Thin by design: the analysis
 * is core, the rendering is the webview's. The Run panel's requests are served by
 * InspectorRequests (inspectorRequests.ts), the save dialogs are in inspectorFiles.ts.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as vscode from "vscode";
import type { LayerRow, ModelAnalysis } from "../core/analysis/result";
import type { Model } from "../core/ir/types";
import { isWebviewToHost, type HostStamp, type HostToWebview } from "../protocol/messages";
import { packedAnalysis, toWire, type PackedMessage } from "../protocol/wire";
import { loadModelForRun } from "./runtime/modelForRun";
import { RunModelHolder } from "./runtime/runModelHolder";
import { runStatsText, type RuntimeService } from "./runtime/runtimeService";
import type { AnalysisOutcome, AnalysisService } from "./analysisService";
import type { Config } from "./config";
import { exportJson, savePng } from "./inspectorFiles";
import { INSPECTOR_STYLESHEETS, parseWebviewPreloads, renderInspectorHtml } from "./inspectorHtml";
import { InspectorRequests } from "./inspectorRequests";
import { revealExportedLayer } from "./python/exportedSource";
import { LoadTimeline } from "./hostTimes";

/** The chunks webview.js imports statically (relative to dist/), read once from the build's list. */
let webviewPreloads: string[] | undefined;
function webviewChunks(dist: vscode.Uri): string[] {
  if (webviewPreloads === undefined) {
    let json: string | undefined;
    try {
      json = readFileSync(vscode.Uri.joinPath(dist, "webview-preload.json").fsPath, "utf8");
    } catch {
      json = undefined; // a development build without the list: the page fetches the chunks itself
    }
    webviewPreloads = parseWebviewPreloads(json);
  }
  return webviewPreloads;
}

export interface InspectorDeps {
  readonly extensionUri: vscode.Uri;
  readonly config: Config;
  readonly analysis: AnalysisService;
  readonly runtime: RuntimeService;
  readonly log: vscode.LogOutputChannel;
}

/** What an inspector shows: a title, how to (re)compute the analysis, and where a selected layer lives. */
export interface InspectorSource {
  readonly title: string;
  /** Where an exported JSON goes by default. */
  readonly uri: vscode.Uri;
  /** `stamp`: records the analysis's own steps (file read, worker) in the inspector's breakdown. */
  readonly analyze: (
    token: vscode.CancellationToken,
    stamp: (s: HostStamp) => void,
  ) => Promise<AnalysisOutcome>;
  readonly onLayerSelected?: (layer: LayerRow) => void;
  /**
   * The model with its weights (when present) for the Run panel; rejects with a reason when it cannot run.
   */
  readonly runModel?: () => Promise<Model>;
}

export class InspectorPanel implements vscode.Disposable {
  /** The inspector the user last focused (for the Run commands). */
  static active: InspectorPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly webview: vscode.Webview;
  /** The page said it runs (its script is loaded); messages are posted before that too. */
  private ready = false;
  /** Counts loads: a preload started for an older one does not hold its model. */
  private loads = 0;
  /** The Run panel's requests (src/host/inspectorRequests.ts). */
  private readonly requests: InspectorRequests;
  /** The last analysis shown: parsed from the worker's JSON only when something here first reads it. */
  private shownOutcome: { readonly analysis: ModelAnalysis } | undefined;
  /** Steps of the current load, for the webview's timeline (hostTimes): where the wait goes. */
  private readonly times = new LoadTimeline();
  /** The model the Run tab runs (prepared ahead of a Run, held while shown). */
  private readonly runModel: RunModelHolder;
  /** Settles with each finished load: the analysis, or undefined when it failed. */
  private analysed: Promise<ModelAnalysis | undefined>;
  private settleAnalysed: (a: ModelAnalysis | undefined) => void = () => undefined;
  /** A load has finished (well or not): analysis() answers at once from then on. */
  private loadedOnce = false;
  /** Settles when the webview reports its table painted and itself idle ("shown"). */
  private settleShown: () => void = () => undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly source: InspectorSource,
    private readonly deps: InspectorDeps,
  ) {
    this.times.stamp("inspector created (custom editor resolved)");
    this.analysed = new Promise((resolve) => (this.settleAnalysed = resolve));
    this.runModel = new RunModelHolder(deps.runtime, deps.config, source.runModel);
    const webview = panel.webview;
    this.webview = webview;
    this.requests = new InspectorRequests({
      webview,
      runtime: deps.runtime,
      runModel: this.runModel,
      sourceUri: source.uri,
      current: () => this.current,
      post: (m) => void this.post(m),
    });
    const media = vscode.Uri.joinPath(deps.extensionUri, "media");
    const dist = vscode.Uri.joinPath(deps.extensionUri, "dist");
    webview.options = {
      enableScripts: true,
      localResourceRoots: [media, dist, ...deps.runtime.resourceRoots],
    };
    InspectorPanel.active = this;
    this.disposables.push(
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) InspectorPanel.active = this;
      }),
    );
    webview.html = renderInspectorHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString("base64"),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString(),
      preloadUris: webviewChunks(dist).map((chunk) =>
        webview.asWebviewUri(vscode.Uri.joinPath(dist, chunk)).toString(),
      ),
      styleUris: INSPECTOR_STYLESHEETS.map((css) =>
        webview.asWebviewUri(vscode.Uri.joinPath(media, css)).toString(),
      ),
    });
    this.times.stamp("HTML set");
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      // A new backend setting applies to the next run, without reopening the inspector.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (this.ready && e.affectsConfiguration("convlens.backend")) void this.sendRuntime();
      }),
      // Trusting the folder turns the Run and Explain tabs on without reopening the inspector.
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.ready) void this.sendRuntime();
      }),
    );
    void this.load();
  }

  /** An inspector for a model file, analysed in the worker. */
  static forFile(panel: vscode.WebviewPanel, uri: vscode.Uri, deps: InspectorDeps): InspectorPanel {
    const title = uri.path.split("/").pop() ?? uri.toString();
    return new InspectorPanel(
      panel,
      {
        title,
        uri,
        runModel: () => loadModelForRun(uri),
        // An ONNX file exported with PyTorch: a row leads to the line that built its module.
        onLayerSelected: (layer) => void revealExportedLayer(uri, layer),
        analyze: (token, stamp) => {
          const inputShape = deps.config.inputShapeFor(uri);
          return deps.analysis.analyze(uri, {
            timeLimitMs: deps.config.analysisTimeoutSeconds * 1000,
            token,
            stamp,
            ...(inputShape ? { inputShape } : {}),
          });
        },
      },
      deps,
    );
  }

  private get current(): ModelAnalysis | undefined {
    return this.shownOutcome?.analysis;
  }

  /**
   * Settles once VS Code handed `message` to the webview. Not held until the page is ready: VS Code keeps
   * the messages posted while the page loads, and the page keeps those that come before its script runs
   * (EARLY_MESSAGES in src/protocol/wire.ts), which saves a round trip to the host on the first open.
   */
  private post(message: HostToWebview | PackedMessage): Promise<unknown> {
    return Promise.resolve(this.webview.postMessage(toWire(message))).catch(() => false);
  }

  selectLayer(index: number): void {
    void this.post({ type: "selectLayer", index });
  }

  showRun(view: "predictions" | "featureMaps" | "filters"): void {
    void this.post({ type: "showRun", view });
  }

  /** The analysis shown (waits for the first load to finish); undefined when it failed. */
  analysis(): Promise<ModelAnalysis | undefined> {
    return this.current !== undefined || this.loadedOnce ? Promise.resolve(this.current) : this.analysed;
  }

  private async sendRuntime(): Promise<void> {
    const model = await this.runModel.get().then(
      (m) => ({ ok: true as const, m }),
      (e: unknown) => ({ ok: false as const, why: e instanceof Error ? e.message : String(e) }),
    );
    const info = await this.deps.runtime.info(
      this.webview,
      model.ok ? model.m : undefined,
      this.source.uri,
      model.ok ? undefined : model.why,
      this.requests.chosenLabels,
    );
    void this.post({ type: "runtime", runtime: info });
  }

  /** Ask for an image and hand it to the Run panel (the "Run on an image" command). */
  pickImage(): Promise<void> {
    return this.requests.pickImage();
  }

  private onMessage(m: unknown): void {
    if (!isWebviewToHost(m)) return;
    switch (m.type) {
      case "ready":
        this.times.stamp("webview ready received");
        this.ready = true;
        void this.sendRuntime();
        break;
      case "shown":
        this.settleShown();
        break;
      case "prepareRun":
      case "prepareExplain":
      case "getFilters":
      case "pickImage":
      case "pickLabels":
      case "runNative":
        this.requests.serve(m);
        break;
      case "cancelRequest":
        this.requests.cancel(m.cancels);
        break;
      case "savePng":
        void savePng(this.source.uri, m.name, m.dataUrl);
        break;
      case "manageTrust":
        void vscode.commands.executeCommand("workbench.trust.manage");
        break;
      case "runStats":
        this.deps.log.info(`${this.source.title}: ${runStatsText(m)}`);
        break;
      case "layerSelected": {
        const layer = this.current?.layers[m.index];
        if (layer) this.source.onLayerSelected?.(layer);
        break;
      }
      case "exportJson":
        if (this.current) void exportJson(this.source.uri, this.current);
        break;
      case "webviewError":
        this.deps.log.error(`webview: ${m.message}`);
        break;
    }
  }

  /** Analyse; errors become a message in the page, never an exception. */
  async load(): Promise<void> {
    const file = this.source.title;
    const start = performance.now();
    const load = ++this.loads;
    const reload = load > 1;
    // The source changed: the next Run loads it afresh, and what was prepared for the old one goes.
    if (reload) this.runModel.forget();
    if (reload) this.times.clear();
    this.times.stamp("analysis requested");
    void this.post({ type: "loading", file });
    let outcome: AnalysisOutcome;
    const cancel = new vscode.CancellationTokenSource();
    const work = this.source.analyze(cancel.token, (s) => this.times.add(s));
    // Only work that takes a while gets a (cancellable) notification; quick files would just flash one.
    const timer = setTimeout(() => {
      void vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `ConvLens: analysing ${file}`,
          cancellable: true,
        },
        (_p, token) => {
          token.onCancellationRequested(() => cancel.cancel());
          return work.then(
            () => undefined,
            () => undefined,
          );
        },
      );
    }, 400);
    try {
      outcome = await work;
    } catch (e) {
      outcome = { ok: false, message: `Analysis failed: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      clearTimeout(timer);
      cancel.dispose();
    }
    this.times.stamp("analysis returned");
    this.loadedOnce = true;
    const settleAnalysed = this.settleAnalysed;
    this.analysed = new Promise((resolve) => (this.settleAnalysed = resolve));
    if (outcome.ok) {
      const painted = new Promise<void>((resolve) => (this.settleShown = resolve));
      const pytorch = outcome.pytorch;
      // Posted before anything reads outcome.analysis: from the worker it is parsed on first use.
      const delivered = this.post(
        outcome.json && !pytorch
          ? packedAnalysis(file, outcome.json, outcome.gzip === true)
          : { type: "analysis", file, analysis: outcome.analysis, ...(pytorch ? { pytorch } : {}) },
      );
      this.times.stamp("analysis posted");
      const requestMs = performance.now() - start;
      const webviewState = this.ready ? "ready" : "loading";
      this.shownOutcome = outcome;
      // Nothing reads the analysis on this thread until the bytes are on their way: parsing 10,000 layers
      // (0.1–0.3 s) here held back the message's send (the extension host flushes its IPC after the turn).
      const sent = Promise.race([delivered, new Promise((resolve) => setTimeout(resolve, 500))]);
      void sent.then(() => {
        const analysis = outcome.analysis;
        settleAnalysed(analysis);
        this.deps.log.info(
          `${file}: ${analysis.layers.length} layers analysed in ${analysis.analysisMs} ms` +
            ` (${requestMs.toFixed(0)} ms after the request, webview ${webviewState})`,
        );
      });
      void delivered.then(() => {
        if (load !== this.loads) return;
        this.times.stamp("analysis delivered to the webview");
        void this.post({ type: "hostTimes", stamps: this.times.take() });
      });
      if (reload)
        void delivered.then(async () => {
          if (this.ready) await this.sendRuntime();
        });
      // The Run tab's model is prepared in the background so that the first Run only runs: from the moment
      // the analysis is with the webview (started 300 ms after the table's paint, it was often still
      // generating weights when a Run came: first runs of 1.8–2.2 s instead of 0.25), its host session once
      // the table is painted (creating it blocks the extension host); not for a source replaced or an
      // inspector closed meanwhile.
      const current = () => load === this.loads;
      void delivered.then(() => {
        if (!current()) return undefined;
        return this.runModel.preload(this.webview, outcome.analysis.totals.params, painted, current);
      });
    } else {
      settleAnalysed(undefined);
      this.deps.log.warn(`${file}: ${outcome.message}`);
      void this.post({ type: "error", file, message: outcome.message });
    }
  }

  dispose(): void {
    this.runModel.dispose();
    if (InspectorPanel.active === this) InspectorPanel.active = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
