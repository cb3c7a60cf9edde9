/**
 * The Run tab's Explain view: a method picker (saliency, guided backprop,
 * Grad-CAM, Guided Grad-CAM, deconvnet, effective receptive field, activation
 * maximisation, Deep Dream) with its class / channel / ascent settings, Run and
 * Cancel, the backend and time, and the result drawn by renderResult. The
 * host builds each backward graph (prepareExplain); the Run panel's engine runs it.
 */
import type { GraphMethod } from "../../../src/core/explain/methods";
import type { LayerRow, ModelAnalysis } from "../../../src/core/analysis/result";
import type { RuntimeInfo, RunnableInfo, WebviewToHost } from "../../../src/protocol/messages";
import { h } from "../../dom";
import { measureSince } from "../../../src/runtime/shared/timing";
import { BACKEND_LABEL } from "../backend";
import { hideReadout } from "../canvasKit";
import { RunEngine, shortError } from "../engine";
import type { RequestClient } from "../../../src/protocol/requests";
import type { NativeRunner } from "../nativeRunner";
import type { InputView } from "../inputView";
import { CancelledError, type CancelToken, type JobQueue } from "../jobQueue";
import { formatMs, pngName } from "../runModel";
import { DEFAULT_ASCENT } from "./ascent";
import { methodInfo } from "../../../src/core/explain/methods";
import { hostLayer } from "../../../src/core/explain/layers";
import { explainControls, type ExplainSettings } from "./explainControls";
import { chooseLayer, classCount, explainKey, runUsesClass, type ExplainParams } from "./explainModel";
import { renderResult } from "./explainResultView";
import { ExplainRunner, type ExplainResult, type ExplainRunnable } from "./explainRunner";

export interface ExplainDeps {
  post(message: WebviewToHost): void;
  /** The Run panel's selected layer, runtime and input, as they are now; `ran`: it has run once. */
  state(): { layer: LayerRow | null; runtime: RuntimeInfo | null; input: InputView | null; ran: boolean };
  /** The Run panel's forward model exposing these layers (cached there). */
  forwardRunnable(layers: readonly number[]): Promise<RunnableInfo>;
  /** The extension host's engine (shared with the Run panel). */
  readonly native: NativeRunner;
  /** Requests to the host (the Run panel's: one id space, one reply handler). */
  readonly requests: RequestClient;
}

/** Backward graphs remembered (the host prunes its folder of built models beyond 16 files). */
const MAX_CACHED_GRAPHS = 6;

export class ExplainView {
  readonly element: HTMLElement;
  private readonly s: ExplainSettings = {
    method: "saliency",
    target: "channel",
    classChoice: null,
    channelText: "",
    ascent: DEFAULT_ASCENT,
    colours: methodInfo("saliency").colours,
    opacity: 0.6,
  };
  private result: ExplainResult | null = null;
  private labels: readonly string[] | null = null;
  /** Its own engine (the Run panel's logic; progress shown here), made for the current runtime. */
  private runEngine: { runtime: RuntimeInfo; engine: RunEngine } | null = null;
  private readonly runnables = new Map<string, Promise<ExplainRunnable>>();
  /** Stops the graphs asked for ahead when the view goes. */
  private readonly ahead = new AbortController();
  /** Our job is running (not the Run panel's). */
  private running = false;
  private readonly runner: ExplainRunner;
  private readonly controls = h("div", { class: "run-toolbar-row explain-controls" });
  private readonly help = h("p", { class: "note explain-help" });
  private readonly layerLine = h("p", { class: "note explain-layer", "data-testid": "explain-layer" });
  private readonly runButton = h(
    "vscode-button",
    { "data-testid": "explain-run", title: "Compute this explanation for the current input" },
    "Run",
  );
  private readonly cancelButton = h(
    "vscode-button",
    { secondary: "", "data-testid": "explain-cancel", hidden: "" },
    "Cancel",
  );
  private readonly status = h("span", {
    class: "run-status",
    "data-testid": "explain-status",
    role: "status",
  });
  private readonly backend = h("strong", { class: "run-backend", "data-testid": "explain-backend" }, "–");
  private readonly ms = h("strong", { class: "run-ms", "data-testid": "explain-ms" }, "–");
  private readonly notes = h("div", { class: "run-notes", "data-testid": "explain-notes" });
  private readonly body = h("div", { class: "explain-body" });

  /**
   * `queue` is the Run panel's: onnxruntime-web runs one session at a time (a second
   * concurrent run throws "Session already started"), so forward runs and explanations take turns.
   */
  constructor(
    private readonly analysis: ModelAnalysis,
    private readonly queue: JobQueue,
    private readonly deps: ExplainDeps,
  ) {
    this.runner = new ExplainRunner({
      engine: () => this.engine(),
      input: () => deps.state().input,
      forwardRunnable: (layers) => deps.forwardRunnable(layers),
      explainRunnable: (method, p, signal) => this.explainRunnable(method, p, signal),
      progress: (text) => this.setStatus(text),
    });
    this.runButton.addEventListener("click", () => this.run());
    this.cancelButton.addEventListener("click", () => {
      this.queue.cancel();
      this.setStatus("Cancelling…");
    });
    this.element = h(
      "section",
      { class: "explain", "data-testid": "explain", "aria-label": "Explain" },
      this.controls,
      this.help,
      this.layerLine,
      h(
        "div",
        { class: "run-toolbar" },
        this.runButton,
        this.cancelButton,
        this.status,
        h("span", { class: "run-stat" }, "backend ", this.backend),
        h("span", { class: "run-stat" }, "time ", this.ms),
      ),
      this.notes,
      this.body,
    );
    this.renderControls();
    this.renderBody();
  }

  /** The selected layer changed: say which layer a run would use. */
  layerChanged(): void {
    this.updateLayerLine();
  }

  /** Class names arrived (labels.txt): rebuild the class picker. */
  labelsChanged(labels: readonly string[] | null): void {
    this.labels = labels;
    this.renderControls();
  }

  dispose(): void {
    this.ahead.abort();
    if (this.running) this.queue.cancel();
    this.runEngine?.engine.dispose();
    this.runEngine = null;
  }

  private engine(): RunEngine | null {
    const runtime = this.deps.state().runtime;
    if (runtime === null || !runtime.canRun) return null;
    if (this.runEngine?.runtime !== runtime) {
      this.runEngine?.engine.dispose();
      this.runEngine = {
        runtime,
        engine: new RunEngine(runtime, (t) => this.setStatus(t), this.deps.native),
      };
    }
    return this.runEngine.engine;
  }

  run(): void {
    const runtime = this.deps.state().runtime;
    if (runtime === null) return this.showError("Waiting for the extension…");
    if (!runtime.canRun)
      return this.showError(`This model cannot be run here: ${runtime.whyNot ?? "unknown reason"}`);
    if (runtime.explainWhyNot !== undefined) return this.showError(`${runtime.explainWhyNot}.`);
    const info = methodInfo(this.s.method);
    const choice = chooseLayer(this.s.method, this.deps.state().layer, this.analysis.layers, this.s.target);
    if (choice.error !== null) return this.showError(choice.error);
    const channel = this.channel(choice.layer);
    if (channel === "bad")
      return this.showError(
        `The channel must be a whole number from 0 to ${channelCount(choice.layer) - 1}.`,
      );
    const spec = {
      method: this.s.method,
      layer: choice.layer === null ? null : hostLayer(choice.layer, this.analysis.layers),
      channel: info.usesChannel ? channel : null,
      classIndex: runUsesClass(this.s.method, this.s.target) ? this.s.classChoice : null,
      target: this.s.target,
      ascent: this.s.ascent,
    };
    this.setStatus(this.queue.busy ? "Waiting for the current run…" : "");
    this.queue.submit((token) => this.doRun(spec, token));
  }

  /**
   * A method was chosen: its graphs are asked for now, while the rest is set up, so that Run finds
   * them built or under way. Not before the Run panel's first run (nor beside any run): they would
   * compete with it for the CPU.
   */
  private prepareAhead(): void {
    const state = this.deps.state();
    if (!state.ran || this.queue.busy || state.runtime?.canRun !== true) return;
    if (state.runtime.explainWhyNot !== undefined) return;
    const choice = chooseLayer(this.s.method, state.layer, this.analysis.layers, this.s.target);
    if (choice.error !== null) return;
    const layer = choice.layer === null ? null : hostLayer(choice.layer, this.analysis.layers);
    this.runner.askGraphs(this.s.method, layer, this.ahead.signal);
    // deconvnet's graph gives the layer's activations when the host can expose them: else its run
    // needs the forward graph that does.
    if (this.s.method === "deconvnet" && layer !== null)
      this.explainRunnable("deconvnet", { layerIndex: layer.index }, this.ahead.signal)
        .then((g) => (g.layer === undefined ? this.deps.forwardRunnable([layer.index]) : undefined))
        .catch(() => undefined);
  }

  private setRunning(running: boolean): void {
    this.running = running;
    this.cancelButton.hidden = !running;
    this.element.classList.toggle("busy", running);
  }

  private async doRun(spec: Parameters<ExplainRunner["run"]>[0], token: CancelToken): Promise<void> {
    this.setRunning(true);
    try {
      const t0 = performance.now();
      const r = await this.runner.run(spec, token, (frame) => this.show(frame));
      measureSince("explain: computed", t0);
      const drawStart = performance.now();
      this.show(r);
      measureSince("explain: drawn", drawStart);
      const total = performance.now() - t0;
      const done =
        spec.method === "activationMax" || spec.method === "deepDream"
          ? `${r.ascent?.steps ?? 0} steps`
          : "Done";
      this.setStatus(`${done} in ${formatMs(total)} (with preparation).`);
    } catch (err) {
      if (err instanceof CancelledError || token.cancelled) this.setStatus("Cancelled.");
      else this.showError(`${methodInfo(spec.method).label} failed: ${shortError(err)}`);
    } finally {
      this.setRunning(false);
    }
  }

  private show(r: ExplainResult): void {
    this.result = r;
    const t = r.timing;
    this.backend.textContent = t.backend;
    this.backend.title = BACKEND_LABEL[t.backend];
    this.backend.dataset["backend"] = t.backend;
    this.ms.textContent = t.runs > 1 ? `${formatMs(t.ms)} (${t.runs} runs)` : formatMs(t.ms);
    this.ms.dataset["ms"] = t.ms.toFixed(3);
    this.ms.dataset["hostMs"] = t.hostMs.toFixed(1);
    this.ms.dataset["setupMs"] = t.setupMs.toFixed(1);
    this.ms.title =
      `Backward graph runs (session.run${t.firstRun ? ", the first one with warm-up" : ""}). ` +
      `Before them: waited ${formatMs(t.hostMs)} for the extension to build the graph, ` +
      `loading it and creating the session took ${formatMs(t.setupMs)}.`;
    const notes = [...t.notes];
    if (t.randomWeights)
      notes.push(
        "⚠ Random weights: this file has no (or not all) weights; the maps show the architecture, not a trained model.",
      );
    this.notes.replaceChildren(...notes.map((n) => h("p", { class: "note" }, n)));
    this.renderBody();
  }

  private explainRunnable(
    method: GraphMethod,
    p: ExplainParams,
    signal?: AbortSignal,
  ): Promise<ExplainRunnable> {
    const key = explainKey(method, p);
    let r = this.runnables.get(key);
    if (r === undefined) {
      r = this.deps.requests
        .request(
          "prepareExplain",
          {
            method,
            ...(p.layerIndex !== undefined ? { layerIndex: p.layerIndex } : {}),
            ...(p.channel !== undefined ? { channel: p.channel } : {}),
            ...(p.classIndex !== undefined ? { classIndex: p.classIndex } : {}),
          },
          // Cancel stops the host building the graph; a cancelled graph is not kept (below).
          { signal },
        )
        .then((reply) => ({
          runnable: reply.runnable,
          map: reply.map,
          ...(reply.seed !== undefined ? { seed: reply.seed } : {}),
          ...(reply.layer !== undefined ? { layer: reply.layer } : {}),
        }));
      const asked = r;
      // A failed or cancelled request is asked again next time (unless another has replaced it).
      asked.catch(() => {
        if (this.runnables.get(key) === asked) this.runnables.delete(key);
      });
    }
    // Most recent last; only a few kept: the host keeps just its newest built models on disk.
    this.runnables.delete(key);
    this.runnables.set(key, r);
    while (this.runnables.size > MAX_CACHED_GRAPHS)
      this.runnables.delete(this.runnables.keys().next().value as string);
    return r;
  }

  /** The typed channel: null when empty (auto), "bad" when not a valid index. */
  private channel(layer: LayerRow | null): number | null | "bad" {
    const text = this.s.channelText.trim();
    if (text === "") return null;
    const v = Number(text);
    const n = channelCount(layer);
    return Number.isInteger(v) && v >= 0 && (n === 0 || v < n) ? v : "bad";
  }

  private renderControls(): void {
    this.controls.replaceChildren(
      ...explainControls(this.s, classCount(this.analysis), this.labels, {
        rebuild: () => {
          this.renderControls();
          this.prepareAhead();
        },
        redraw: () => this.renderBody(),
      }),
    );
    this.help.textContent = methodInfo(this.s.method).help;
    this.updateLayerLine();
  }

  private updateLayerLine(): void {
    const choice = chooseLayer(this.s.method, this.deps.state().layer, this.analysis.layers, this.s.target);
    if (choice.error !== null) this.layerLine.textContent = choice.error;
    else if (choice.layer === null) this.layerLine.textContent = "Input gradient: no layer needed.";
    else
      this.layerLine.textContent =
        choice.note ??
        `Layer ${choice.layer.name} (#${choice.layer.index}, output ${(choice.layer.outputs[0]?.shape ?? []).join("×")}).`;
  }

  private renderBody(): void {
    hideReadout();
    const r = this.result;
    if (r === null) {
      this.body.replaceChildren(
        h(
          "p",
          { class: "placeholder" },
          "Choose a method and press Run: the map is computed for the current input.",
        ),
      );
      return;
    }
    try {
      // Ascent pictures keep their own colours; other maps follow the toggle.
      const colours = r.ascent !== undefined ? "signed" : this.s.colours;
      this.body.replaceChildren(
        renderResult(r, {
          colours,
          opacity: this.s.opacity,
          labels: this.labels,
          save: (name, dataUrl) => this.deps.post({ type: "savePng", name, dataUrl }),
          pngName: (part) => pngName(this.analysis.model, part),
        }),
      );
    } catch (err) {
      this.showError(`Could not draw the map: ${shortError(err)}`);
    }
  }

  private setStatus(text: string): void {
    this.status.classList.remove("error");
    this.status.setAttribute("role", "status");
    delete this.status.dataset["error"];
    this.status.textContent = text;
    this.status.hidden = text === "";
  }

  private showError(message: string): void {
    this.status.hidden = false;
    this.status.textContent = message;
    this.status.classList.add("error");
    this.status.setAttribute("role", "alert");
    this.status.dataset["error"] = "1";
  }
}

/** Channels of a layer's output (dim 1), 0 when unknown. */
function channelCount(layer: LayerRow | null): number {
  const c = layer?.outputs[0]?.shape?.[1];
  return typeof c === "number" ? c : 0;
}
