/**
 * The Run tab: runs the model in the webview with onnxruntime-web and shows
 * predictions, the selected layer's feature maps and a convolution's filters.
 * The host builds the runnable ONNX (prepareRun) for the layers to expose; runs
 * go one at a time (a Run while one runs is queued), can be cancelled, and
 * after the first run any change of input, preprocessing or layer runs again.
 */
import { measureLasting, measureSince } from "../../src/runtime/shared/timing";
import type { LayerRow, ModelAnalysis } from "../../src/core/analysis/result";
import type { HostToWebview, LabelsFile, RuntimeInfo, WebviewToHost } from "../../src/protocol/messages";
import { h } from "../dom";
import { hostNativeRunner, type NativeRunner } from "./nativeRunner";
import { RunEngine, shortError } from "./engine";
import { TensorView, type MapOptions } from "./featureMapsView";
import { FiltersView } from "./filtersView";
import type { RequestClient } from "../../src/protocol/requests";
import { ExplainView } from "./explain/explainView";
import { classCount } from "./explain/explainModel";
import { chooseLabels } from "./labels";
import { LayerPickerView } from "./layerPickerView";
import type { ModuleTree } from "../model/moduleTree";
import { findConstantLayers } from "../model/plumbing";
import { InputView } from "./inputView";
import { detailsRunButtons } from "./detailsRunButtons";
import { RunToolbar, viewSwitcher } from "./runToolbar";
import { CancelledError, JobQueue, type CancelToken } from "./jobQueue";
import { PredictionsView } from "./predictionsView";
import { pngName, type RunView } from "./runModel";
import { RunRequests } from "./runRequests";
import { mapsElement, outputOf, outputValue, showFilters, type MapsOutput } from "./runOutputs";
import { runOnce } from "./runOnce";

export interface RunPanelCallbacks {
  post(message: WebviewToHost): void;
  /** Bring the Run tab to the front (showRun, details-pane buttons). */
  reveal(): void;
  /** The layer picker chose a layer: select it everywhere (it comes back through setLayer). */
  select(index: number): void;
}

export class RunPanel {
  readonly element: HTMLElement;
  private runtime: RuntimeInfo | null = null;
  private engine: RunEngine | null = null;
  /** The host's replies to this tab (runnables and filters kept: runRequests.ts). */
  private readonly host: RunRequests;
  private readonly requests: RequestClient;
  private readonly native: NativeRunner;
  private readonly queue: JobQueue;
  private layer: LayerRow | null = null;
  private view: RunView = "predictions";
  private visible = false;
  private hasRun = false;
  /** Something changed while hidden: run again when shown. */
  private stale = false;
  private defaultChosen = false;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private readonly mapOptions: MapOptions = { norm: "channel", cmap: "grey" };
  private input: InputView | null = null;
  /** The feature maps of the last run, and whose they are. */
  private mapsOutput: MapsOutput = null;
  private mapsLayer: LayerRow | null = null;
  private readonly predictions: PredictionsView;
  private readonly maps: TensorView;
  private readonly filtersView: FiltersView;
  private readonly explain: ExplainView;
  private readonly toolbar: RunToolbar;
  private readonly inputBox = h("div", { class: "run-input-col" });
  private readonly viewButtons = new Map<RunView, HTMLElement>();
  private readonly picker: LayerPickerView;
  private readonly viewHeader = h("div", { class: "run-view-header" });
  private readonly viewBody = h("div", { class: "run-view-body" });

  constructor(
    private readonly analysis: ModelAnalysis,
    private readonly callbacks: RunPanelCallbacks,
    /** The module tree the table and graph use (the picker groups by it). */
    tree: ModuleTree,
  ) {
    this.picker = new LayerPickerView(tree, findConstantLayers(analysis), (i) => callbacks.select(i));
    this.host = new RunRequests((m) => callbacks.post(m));
    this.requests = this.host.client;
    this.native = hostNativeRunner(this.requests);
    this.queue = new JobQueue((busy) => {
      this.element.classList.toggle("busy", busy);
      this.toolbar.setBusy(busy);
    });
    this.toolbar = new RunToolbar(
      () => this.run(),
      () => this.queue.cancel(),
    );
    const save = (name: string, dataUrl: string): void => callbacks.post({ type: "savePng", name, dataUrl });
    const names = (prefix: () => string) => (part: string) => pngName(analysis.model, prefix(), part);
    this.predictions = new PredictionsView(this.mapOptions, {
      save,
      pngName: names(() => ""),
      chooseLabels: () => void this.chooseLabels(),
    });
    this.maps = new TensorView(this.mapOptions, { save, pngName: names(() => this.layer?.name ?? "") });
    this.filtersView = new FiltersView(this.mapOptions, {
      save,
      pngName: names(() => this.layer?.name ?? ""),
      bgr: () => this.input?.bgr ?? false,
    });
    this.explain = new ExplainView(analysis, this.queue, {
      post: (m) => callbacks.post(m),
      state: () => ({ layer: this.layer, runtime: this.runtime, input: this.input, ran: this.hasRun }),
      forwardRunnable: (layers) => this.host.runnable(layers),
      native: this.native,
      requests: this.requests,
    });
    const switcher = viewSwitcher((v) => this.showView(v), this.viewButtons);
    this.element = h(
      "div",
      { class: "run-panel", "data-testid": "run-panel" },
      this.toolbar.restricted,
      this.toolbar.element,
      h(
        "div",
        { class: "run-body" },
        this.inputBox,
        h("div", { class: "run-output-col" }, switcher, this.viewHeader, this.viewBody),
      ),
    );
    this.showView("predictions", false);
    this.setRuntime(null);
  }

  setRuntime(runtime: RuntimeInfo | null): void {
    // The host re-sends the runtime on every change of the backend setting (and VS Code may report a
    // settings reload as one): the same runtime again keeps the engine and the results shown.
    if (runtime !== null && this.runtime !== null && JSON.stringify(runtime) === JSON.stringify(this.runtime))
      return;
    this.runtime = runtime;
    // A run on the old engine is cancelled (its result would be the old backend's); its sessions
    // are released once it settles.
    this.queue.cancel();
    this.engine?.dispose();
    this.engine = runtime === null ? null : new RunEngine(runtime, (t) => this.setStatus(t), this.native);
    // A channels-last model's image is fed channels first (the runnable transposes it back).
    const decl = runtime?.fedInput ?? this.analysis.inputs[0];
    if (runtime !== null && decl !== undefined && this.input === null) {
      this.input = new InputView(
        { name: decl.name, dtype: decl.dtype, shape: decl.shape ?? [] },
        runtime.samples,
        this.analysis.model,
        {
          onChange: () => this.inputChanged(),
          // The user takes their time in a file picker: no timeout.
          pickImage: () =>
            this.requests
              .request("pickImage", {}, { timeoutMs: Infinity })
              .then(({ name, uri }) => ({ name, uri })),
          save: (name, dataUrl) => this.callbacks.post({ type: "savePng", name, dataUrl }),
          error: (message) => this.showError(message),
        },
        runtime.fedInput ? this.analysis.inputs[0] : undefined,
      );
      this.inputBox.replaceChildren(this.input.element);
      if (this.visible) this.chooseDefault();
    }
    this.setLabels(runtime?.labels ?? null);
    this.predictions.dispose();
    if (runtime !== null) this.predictions.clear();
    this.updateRunnable();
    if (this.visible) this.prefetch();
  }

  /** Class names for the predictions and Explain's class picker (chosen per class count: labels.ts). */
  private setLabels(file: LabelsFile | null): void {
    const imagenet = this.runtime?.imagenetLabels ?? null;
    this.predictions.setLabels({ file, imagenet });
    this.explain.labelsChanged(chooseLabels(classCount(this.analysis), file, imagenet).names);
  }

  /** "Choose labels…": the host asks for a file and keeps it for this inspector. */
  private async chooseLabels(): Promise<void> {
    try {
      const { labels } = await this.requests.request("pickLabels", {}, { timeoutMs: Infinity });
      this.setLabels(labels);
    } catch (err) {
      if (!/no labels file chosen/.test(shortError(err))) this.showError(`Labels: ${shortError(err)}`);
    }
  }

  /** Host messages for the Run tab; true when handled. */
  handle(message: HostToWebview): boolean {
    if (this.requests.handle(message)) return true;
    if (message.type === "image") {
      // Not one we asked for: a palette command chose it ("Run Model on Image…").
      this.input?.useImage({ name: message.name, uri: message.uri });
      return true;
    }
    return false;
  }

  setLayer(layer: LayerRow | null): void {
    if (layer?.index === this.layer?.index) return;
    this.layer = layer;
    this.explain.layerChanged();
    this.renderView();
    if (this.view === "featureMaps" && this.hasRun) this.runSoon(0);
    if (this.view === "filters") void this.loadFilters();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (!visible) return;
    this.chooseDefault();
    this.prefetch();
    if (this.hasRun && this.needsRun()) this.runSoon(0);
    if (this.view === "filters") void this.loadFilters();
  }

  /**
   * The tab is shown: the host builds the model to run (and loads it into the host engine) while
   * the user picks an input, so that the first Run only runs. A failure shows at that Run.
   */
  private prefetch(): void {
    if (!this.canRun || this.hasRun) return;
    this.host.runnable(this.layer === null ? [] : [this.layer.index]).catch(() => undefined);
  }

  /** Switches to a sub-view; `runIfNeeded` (showRun, buttons) also runs when nothing has run yet. */
  showView(view: RunView, runIfNeeded = true): void {
    this.view = view;
    for (const [id, b] of this.viewButtons) {
      b.setAttribute("aria-selected", String(id === view));
      b.classList.toggle("active", id === view);
    }
    this.renderView();
    if (view === "filters") void this.loadFilters();
    else if (runIfNeeded ? this.needsRun() : this.hasRun && this.needsRun()) this.run();
  }

  /** Nothing shown yet, something changed while hidden, or the feature maps are another layer's. */
  private needsRun(): boolean {
    if (!this.hasRun || this.stale) return true;
    return this.view === "featureMaps" && this.layer !== null && this.mapsLayer?.index !== this.layer.index;
  }

  /** From a palette command or the details pane: show the tab and this view. */
  open(view: RunView): void {
    this.callbacks.reveal();
    this.showView(view);
  }

  /** Buttons for the details pane of a layer: feature maps, and filters for convolutions. */
  detailsActions(layer: LayerRow): HTMLElement {
    return detailsRunButtons(layer, (view) => this.open(view));
  }

  dispose(): void {
    clearTimeout(this.debounce);
    this.queue.cancel();
    this.requests.rejectAll("the model was reloaded");
    this.explain.dispose();
    this.engine?.dispose();
    this.predictions.dispose();
    this.maps.dispose();
  }

  private get canRun(): boolean {
    return this.runtime !== null && this.runtime.canRun && this.input !== null;
  }

  private updateRunnable(): void {
    const rt = this.runtime;
    this.toolbar.enabled = this.canRun;
    this.toolbar.showRestricted(rt?.restricted === true ? (rt.whyNot ?? "Restricted Mode") : null, () =>
      this.callbacks.post({ type: "manageTrust" }),
    );
    if (rt === null) this.setStatus("Waiting for the extension…");
    else if (rt.restricted === true) this.setStatus("");
    else if (!rt.canRun) this.showError(`This model cannot be run here: ${rt.whyNot ?? "unknown reason"}`);
    else if (this.input === null) this.showError("The model has no input to feed.");
    else this.setStatus(this.hasRun ? "" : "Choose an input and press Run.");
  }

  private chooseDefault(): void {
    if (this.defaultChosen || this.input === null) return;
    this.defaultChosen = true;
    void this.input.chooseDefault();
  }

  private inputChanged(): void {
    if (this.hasRun) this.runSoon(250);
  }

  private runSoon(ms: number): void {
    if (!this.visible) {
      this.stale = true;
      return;
    }
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.run(), ms);
  }

  run(): void {
    if (!this.canRun) return;
    this.stale = false;
    this.queue.submit((token) => this.doRun(token));
  }

  private async doRun(token: CancelToken): Promise<void> {
    const engine = this.engine;
    const input = this.input;
    if (engine === null || input === null) return;
    const layer = this.layer;
    const start = performance.now();
    try {
      const job = {
        engine,
        input,
        host: this.host,
        layer,
        token,
        setStatus: (t: string) => this.setStatus(t),
      };
      const { runnable, result, maps } = await runOnce(job);
      const showStart = performance.now();
      this.hasRun = true;
      this.toolbar.showResult(
        result.backend,
        result.ms,
        result.firstRun,
        [...(runnable.notes ?? []), ...result.notes],
        runnable.randomWeights,
      );
      this.callbacks.post({ type: "runStats", backend: result.backend, ms: result.ms, ...result.timing });
      if (result.timing !== undefined) {
        measureLasting("run: host session.run", result.ms);
        measureLasting("run: host handling", result.timing.hostMs);
      }
      this.predictions.show(
        runnable.outputs.flatMap((name) => outputOf(result.outputs, outputValue(runnable, name), name)),
        true,
        runnable.outputViews ?? {},
      );
      this.mapsOutput = maps;
      this.mapsLayer = layer;
      this.renderView();
      this.setStatus("");
      measureSince("run: show results", showStart);
      measureSince("run: total", start);
    } catch (err) {
      if (err instanceof CancelledError || token.cancelled) this.setStatus("Cancelled.");
      else {
        this.showError(`Run failed: ${shortError(err)}`);
        // The previous input's results would read as this input's: take them away.
        this.predictions.clear("No result for this input: see the message above.");
        this.mapsOutput = null;
        this.renderView();
      }
    }
  }

  private loadFilters(): Promise<void> {
    return showFilters(this.filtersView, this.layer, this.host, () => ({
      layer: this.layer,
      view: this.view,
    }));
  }

  private renderView(): void {
    const layer = this.layer;
    if (this.view !== "predictions") this.picker.update(this.view, layer);
    this.viewHeader.replaceChildren(...(this.view === "predictions" ? [] : [this.picker.element]));
    const body =
      this.view === "predictions"
        ? this.predictions.element
        : this.view === "filters"
          ? this.filtersView.element
          : this.view === "explain"
            ? this.explain.element
            : mapsElement(this.maps, {
                layer,
                mapsOutput: this.mapsOutput,
                mapsLayer: this.mapsLayer,
                hasRun: this.hasRun,
              });
    // Re-inserting the same element would detach chart.js's canvases and leave them blank.
    if (this.viewBody.firstElementChild !== body || this.viewBody.childElementCount !== 1)
      this.viewBody.replaceChildren(body);
  }

  private setStatus(text: string): void {
    this.toolbar.setStatus(text);
  }

  private showError(message: string): void {
    this.toolbar.showError(message);
  }
}
