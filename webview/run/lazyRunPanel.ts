/**
 * The Run tab: its code (inputs, engines, views, Explain) is a chunk of its own, fetched and built
 * on first use (the tab shown, a palette command, a details-pane button), or prefetched once the
 * table is on screen. Until then the state it would be given (runtime, selected layer) is kept,
 * and handed over when it is built; a message for it (an image a palette command chose) waits.
 */
import type * as RunPanelModule from "./runPanel";
import type { LayerRow, ModelAnalysis } from "../../src/core/analysis/result";
import type { HostToWebview, RuntimeInfo } from "../../src/protocol/messages";
import type { ModuleTree } from "../model/moduleTree";
import { LazyPanel } from "../lazyPanel";
import { detailsRunButtons } from "./detailsRunButtons";
import type { RunPanel, RunPanelCallbacks } from "./runPanel";
import type { RunView } from "./runModel";

export class LazyRunPanel {
  private readonly lazy: LazyPanel<typeof RunPanelModule, RunPanel>;
  private runtime: RuntimeInfo | null = null;
  private layer: LayerRow | null = null;
  private visible = false;

  constructor(
    analysis: ModelAnalysis,
    callbacks: RunPanelCallbacks,
    tree: ModuleTree,
    onError: (message: string) => void,
  ) {
    this.lazy = new LazyPanel(
      "run panel",
      () => import("./runPanel"),
      (m) => new m.RunPanel(analysis, callbacks, tree),
      (panel) => {
        if (this.runtime !== null) panel.setRuntime(this.runtime);
        panel.setLayer(this.layer);
        if (this.visible) panel.setVisible(true);
      },
      onError,
    );
  }

  get element(): HTMLElement {
    return this.lazy.element;
  }

  prefetch(): void {
    this.lazy.prefetch();
  }

  setRuntime(runtime: RuntimeInfo | null): void {
    this.runtime = runtime;
    this.lazy.ifBuilt((panel) => panel.setRuntime(runtime));
  }

  /** Replies to the panel's requests, or an image chosen from the palette (which builds the panel). */
  handle(message: HostToWebview): void {
    this.lazy.with((panel) => panel.handle(message));
  }

  setLayer(layer: LayerRow | null): void {
    this.layer = layer;
    this.lazy.ifBuilt((panel) => panel.setLayer(layer));
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    // `init` shows a panel built now; one already built is told here.
    if (visible && !this.lazy.built) this.lazy.load();
    else this.lazy.ifBuilt((panel) => panel.setVisible(visible));
  }

  open(view: RunView): void {
    this.lazy.with((panel) => panel.open(view));
  }

  /** Buttons for the details pane of a layer: they open the Run tab (building it then). */
  detailsActions(layer: LayerRow): HTMLElement {
    return detailsRunButtons(layer, (view) => this.open(view));
  }

  dispose(): void {
    this.lazy.dispose((panel) => panel.dispose());
  }
}
