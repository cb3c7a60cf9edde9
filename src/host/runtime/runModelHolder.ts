/**
 * The model an inspector runs: loaded once per version of its source, and held in the runtime's
 * cache while the inspector shows it, so that what was built for it (weights, graphs, sessions)
 * is kept; a changed source or a closed inspector releases it.
 */
import type * as vscode from "vscode";
import type { ModelAnalysis } from "../../core/analysis/result";
import type { Model } from "../../core/ir/types";
import type { Config } from "../config";
import { RESTRICTED, type RuntimeService } from "./runtimeService";

/** The largest model prepared to run when its inspector opens (ResNet-18: 11.7 M; ResNet-50: 25.6 M). */
const PRELOAD_MAX_PARAMS = 30e6;

export class RunModelHolder {
  private model: Promise<Model> | undefined;
  private held: Model | undefined;
  private disposed = false;

  constructor(
    private readonly runtime: RuntimeService,
    private readonly config: Config,
    /** Reads the model with its weights (when present); rejects with a reason when it cannot run. */
    private readonly load: (() => Promise<Model>) | undefined,
  ) {}

  /** The model to run, loaded on first use. */
  get(): Promise<Model> {
    // Loading a model to run reads weight files beside it: not in an untrusted folder.
    if (!this.config.trusted) return Promise.reject(new Error(RESTRICTED));
    this.model ??= this.load ? this.load() : Promise.reject(new Error("this view cannot run its model"));
    return this.model;
  }

  /** The model to run, held in the runtime's cache (what is built for it is kept while shown). */
  async forRun(): Promise<Model> {
    return this.hold(await this.get());
  }

  /**
   * Prepares the model to run ahead of the first Run (weights, graph, host session once `shown`
   * settles), then the Explain tab's first graphs; quietly. Not for big models (the analysis'
   * params): VGG-16's generated weights are 550 MB, built when the Run tab is shown instead.
   * `current` says whether the source is still the one loaded.
   */
  async preload(
    webview: vscode.Webview,
    analysis: Pick<ModelAnalysis, "layers" | "totals">,
    shown: Promise<unknown>,
    current: () => boolean,
  ): Promise<void> {
    const params = analysis.totals.params;
    if (!this.config.trusted || this.load === undefined || params > PRELOAD_MAX_PARAMS) return;
    const model = await this.get().catch(() => undefined);
    if (model === undefined || this.disposed || !current()) return;
    await this.runtime.preload(webview, this.hold(model), analysis.layers, shown);
  }

  /** The source changed: the next use loads it afresh, and what was built for the old one goes. */
  forget(): void {
    if (this.held !== undefined) this.runtime.release(this.held, this);
    this.held = undefined;
    this.model = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.forget();
  }

  private hold(model: Model): Model {
    if (this.held === model || this.disposed) return model;
    if (this.held !== undefined) this.runtime.release(this.held, this);
    this.held = model;
    this.runtime.hold(model, this);
    return model;
  }
}
