/**
 * The Charts tab: chart.js (a third of the webview's code) is a chunk of its own, fetched on first
 * show or prefetched once the table is on screen; the charts are built on first show, as before.
 */
import type * as ChartsModule from "./charts";
import type { ModelAnalysis } from "../src/core/analysis/result";
import type { ChartsCallbacks, ChartsPanel } from "./charts";
import { LazyPanel } from "./lazyPanel";

export class LazyChartsPanel {
  private readonly lazy: LazyPanel<typeof ChartsModule, ChartsPanel>;
  private selected: number | null = null;

  constructor(analysis: ModelAnalysis, callbacks: ChartsCallbacks, onError: (message: string) => void) {
    this.lazy = new LazyPanel(
      "charts",
      () => import("./charts"),
      (m) => new m.ChartsPanel(analysis, callbacks),
      (panel) => panel.setSelected(this.selected),
      onError,
    );
  }

  get element(): HTMLElement {
    return this.lazy.element;
  }

  prefetch(): void {
    this.lazy.prefetch();
  }

  show(): void {
    this.lazy.with((panel) => panel.show());
  }

  /** Theme changed: recreate with the new colours (only if already built). */
  rebuild(): void {
    this.lazy.ifBuilt((panel) => panel.rebuild());
  }

  setSelected(index: number | null): void {
    this.selected = index;
    this.lazy.ifBuilt((panel) => panel.setSelected(index));
  }

  dispose(): void {
    this.lazy.dispose((panel) => panel.dispose());
  }
}
