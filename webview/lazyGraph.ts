/**
 * The Graph tab, built the first time it is shown: its model (module groups opened until readable,
 * plumbing found) took 0.17 s of opening a 10,000-layer model whose first view is the table, and
 * its code (dagre) is a chunk of its own, fetched on first use or prefetched after the table.
 */
import type * as GraphModule from "./graph";
import type { GraphCallbacks, GraphPanel } from "./graph";
import { LazyPanel } from "./lazyPanel";
import type { GraphViewModel } from "./viewModel";

export class LazyGraphPanel {
  private readonly lazy: LazyPanel<typeof GraphModule, GraphPanel>;
  private selected: number | null = null;
  private shown = false;

  constructor(
    makeModel: () => GraphViewModel,
    callbacks: GraphCallbacks,
    onError: (message: string) => void,
  ) {
    this.lazy = new LazyPanel(
      "graph",
      () => import("./graph"),
      (m) => new m.GraphPanel(makeModel(), callbacks),
      (panel) => panel.setSelected(this.selected, false),
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
    this.shown = true;
    const built = this.lazy.built;
    this.lazy.with((panel) => {
      if (!this.shown) return;
      panel.show();
      // Shown once built: centre the selection, as the tab does for a graph already there.
      if (!built) panel.setSelected(this.selected, true);
    });
  }

  hide(): void {
    this.shown = false;
    this.lazy.ifBuilt((panel) => panel.hide());
  }

  setSelected(index: number | null, center: boolean): void {
    this.selected = index;
    this.lazy.ifBuilt((panel) => panel.setSelected(index, center));
  }
}
