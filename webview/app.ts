/**
 * The inspector page: reacts to host messages (loading, analysis, error,
 * selectLayer), lays out header / tabs / details, and keeps one selected layer
 * in sync across the table, charts, graph and details pane.
 */
import { measureSince, timed } from "../src/runtime/shared/timing";
import type { ModelAnalysis } from "../src/core/analysis/result";
import type { HostToWebview, RuntimeInfo, WebviewToHost } from "../src/protocol/messages";
import { DetailsPane } from "./details";
import { afterPaint, h, whenIdle } from "./dom";
import { LazyChartsPanel } from "./lazyCharts";
import { LazyGraphPanel } from "./lazyGraph";
import { renderHeader } from "./header";
import { renderTableToolbar } from "./tableToolbar";
import { renderTorchSummary } from "./torchSummary";
import { torchSummaryView } from "./model/torchColumnModel";
import type { TorchColumn } from "../src/core/analysis/torchColumn";
import { LazyRunPanel } from "./run/lazyRunPanel";
import type { RunView } from "./run/runModel";
import { LayerTableView } from "./table";
// From the model modules, not the viewModel barrel: it re-exports the graph layout, whose dagre would
// then load with the table instead of with the Graph tab's chunk.
import { baseName } from "./model/format";
import { GraphViewModel } from "./model/graphModel";
import { restoreState, TAB_TABLE, type PersistedState } from "./model/persistedState";
import { detailsView, headerView } from "./model/summaryModel";
import { TableViewModel } from "./model/tableModel";

export interface HostBridge {
  post(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

const TAB_CHARTS = 1;
const TAB_GRAPH = 2;
const TAB_RUN = 3;

/**
 * Who asked: the origin is not scrolled/centred (the user is looking at it) and "host"/"restore" are not
 * echoed back.
 */
type SelectionOrigin = "table" | "chart" | "graph" | "details" | "run" | "host" | "restore" | "pytorch";

/** Everything built for one analysis. */
interface LoadedView {
  readonly analysis: ModelAnalysis;
  readonly tableModel: TableViewModel;
  readonly table: LayerTableView;
  readonly charts: LazyChartsPanel;
  readonly graph: LazyGraphPanel;
  readonly details: DetailsPane;
  readonly run: LazyRunPanel;
  readonly tabs: HTMLElementTagNameMap["vscode-tabs"];
  readonly filter: HTMLInputElement;
  readonly count: HTMLElement;
  readonly plumbingToggle: HTMLInputElement;
}

export class InspectorApp {
  private view: LoadedView | null = null;
  private readonly state: PersistedState;
  /** A selectLayer that arrived before the analysis. */
  private pendingSelection: number | null = null;
  /** Runtime info for the Run tab (sent once, on ready; may come before the analysis). */
  private runtime: RuntimeInfo | null = null;
  private pendingShowRun: RunView | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostBridge,
  ) {
    this.state = restoreState(host.getState());
    this.showStatus("Waiting for the model…");
    // Chart colours come from the theme; VS Code swaps body classes when it changes.
    new MutationObserver(() => this.view?.charts.rebuild()).observe(document.body, {
      attributes: true,
      attributeFilter: ["class"],
    });
  }

  handle(message: HostToWebview): void {
    switch (message.type) {
      case "loading":
        this.dispose();
        this.showStatus(`Analysing ${baseName(message.file)}…`);
        break;
      case "error":
        this.dispose();
        this.showError(message.file, message.message);
        break;
      case "analysis": {
        measureSince("analysis arrived (from the page's start)", 0);
        const start = performance.now();
        this.showAnalysis(message.analysis, message.pytorch);
        measureSince("render analysis", start);
        // The host starts its background work (the Run tab's model) only once the table is on screen.
        afterPaint(() => {
          measureSince("table painted (from the page's start)", 0);
          whenIdle(() => {
            this.host.post({ type: "shown" });
            // The other tabs' code, so that their first show waits for no fetch.
            for (const tab of this.view === null ? [] : [this.view.charts, this.view.graph, this.view.run])
              tab.prefetch();
          });
        });
        break;
      }
      case "selectLayer":
        if (this.view === null) this.pendingSelection = message.index;
        else this.select(message.index, "host");
        break;
      case "runtime":
        this.runtime = message.runtime;
        this.view?.run.setRuntime(message.runtime);
        break;
      case "runnable":
      case "image":
      case "labels":
      case "filters":
      case "explainRunnable":
      case "nativeResult":
      case "requestFailed":
        this.view?.run.handle(message);
        break;
      case "showRun":
        if (this.view === null) this.pendingShowRun = message.view;
        else this.view.run.open(message.view);
        break;
    }
  }

  private showStatus(text: string): void {
    this.root.replaceChildren(
      h(
        "div",
        { class: "status", "data-testid": "loading", role: "status" },
        h("div", { class: "spinner" }),
        text,
      ),
    );
  }

  private showError(file: string, message: string): void {
    this.root.replaceChildren(
      h(
        "div",
        { class: "error-box", "data-testid": "error", role: "alert" },
        h("h2", {}, file === "" ? "Could not analyse the model" : `Could not analyse ${baseName(file)}`),
        h("p", { class: "error-message" }, message),
      ),
    );
  }

  private dispose(): void {
    this.view?.charts.dispose();
    this.view?.run.dispose();
    this.view = null;
  }

  private showAnalysis(analysis: ModelAnalysis, pytorch: TorchColumn | undefined): void {
    this.dispose();
    try {
      this.view = this.build(analysis, pytorch);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.host.post({ type: "webviewError", message: `rendering failed: ${message}` });
      this.showError("", `The inspector could not display this analysis: ${message}`);
      return;
    }
    const selected = this.pendingSelection ?? this.state.selected;
    const fromHost = this.pendingSelection !== null;
    this.pendingSelection = null;
    if (selected !== null && this.view.tableModel.tree.layers.has(selected)) {
      this.select(selected, fromHost ? "host" : "restore");
    }
    this.onTabShown(this.state.tab);
    if (this.pendingShowRun !== null) this.view.run.open(this.pendingShowRun);
    this.pendingShowRun = null;
  }

  private build(analysis: ModelAnalysis, pytorch: TorchColumn | undefined): LoadedView {
    const tableModel = timed("build: table model", () => new TableViewModel(analysis, pytorch));
    tableModel.setFilter(this.state.filter);
    tableModel.setSort(this.state.sort);
    tableModel.setShowPlumbing(this.state.tablePlumbing);
    const onSelect = (origin: SelectionOrigin) => (index: number) => this.select(index, origin);

    const table = timed(
      "build: table view",
      () =>
        new LayerTableView(tableModel, {
          onSelect: onSelect("table"),
          onSortChange: () => {
            this.state.sort = tableModel.sort;
            this.persist();
            this.updateCount();
          },
        }),
    );
    const chunkFailed = (message: string) => this.host.post({ type: "webviewError", message });
    const charts = new LazyChartsPanel(analysis, { onSelect: onSelect("chart") }, chunkFailed);
    const graph = new LazyGraphPanel(
      () => {
        const model = new GraphViewModel(analysis, tableModel.tree);
        model.setShowPlumbing(this.state.graphPlumbing);
        return model;
      },
      {
        onSelect: onSelect("graph"),
        onShowPlumbingChange: (show) => {
          this.state.graphPlumbing = show;
          this.persist();
        },
      },
      chunkFailed,
    );
    const details = new DetailsPane({ onSelect: onSelect("details") });
    const run = new LazyRunPanel(
      analysis,
      {
        post: (message) => this.host.post(message),
        reveal: () => this.switchTab(TAB_RUN),
        select: onSelect("run"),
      },
      tableModel.tree,
      chunkFailed,
    );
    if (this.runtime !== null) run.setRuntime(this.runtime);

    const {
      element: toolbar,
      filter,
      count,
      plumbingToggle,
    } = renderTableToolbar(tableModel, this.state.filter, {
      onFilter: (text) => this.applyFilter(text),
      onShowPlumbing: (show) => this.applyShowPlumbing(show),
      onAllGroups: (expanded) => this.setAllGroups(expanded),
    });

    const tabs = h(
      "vscode-tabs",
      { "selected-index": String(this.state.tab), class: "tabs" },
      h("vscode-tab-header", { slot: "header" }, "Table"),
      h("vscode-tab-header", { slot: "header" }, "Charts"),
      h("vscode-tab-header", { slot: "header" }, "Graph"),
      h("vscode-tab-header", { slot: "header", "data-testid": "tab-run" }, "Run"),
      h("vscode-tab-panel", { class: "panel" }, toolbar, table.element),
      h("vscode-tab-panel", { class: "panel" }, charts.element),
      h("vscode-tab-panel", { class: "panel" }, graph.element),
      h("vscode-tab-panel", { class: "panel" }, run.element),
    );
    tabs.addEventListener("vsc-tabs-select", (e) => {
      this.state.tab = e.detail.selectedIndex;
      this.persist();
      this.onTabShown(e.detail.selectedIndex);
    });

    this.root.replaceChildren(
      h(
        "div",
        { class: "inspector" },
        renderHeader(headerView(analysis), { onExport: () => this.host.post({ type: "exportJson" }) }),
        pytorch ? renderTorchSummary(torchSummaryView(pytorch), onSelect("pytorch")) : null,
        h("div", { class: "workspace" }, tabs, details.element),
      ),
    );
    const view: LoadedView = {
      analysis,
      tableModel,
      table,
      charts,
      graph,
      details,
      run,
      tabs,
      filter,
      count,
      plumbingToggle,
    };
    this.view = view;
    timed("build: table rows", () => table.render());
    this.updateCount();
    return view;
  }

  /** Panels are hidden by the tabs element's next update; measure (charts, graph) after it. */
  private onTabShown(tab: number): void {
    setTimeout(() => {
      const v = this.view;
      if (v === null || this.state.tab !== tab) return;
      v.run.setVisible(tab === TAB_RUN);
      if (tab === TAB_CHARTS) v.charts.show();
      if (tab === TAB_GRAPH) {
        v.graph.show();
        v.graph.setSelected(this.state.selected, true);
      } else {
        v.graph.hide();
      }
      if (tab === TAB_TABLE) {
        v.table.refresh();
        if (this.state.selected !== null) v.table.setSelected(this.state.selected, true);
      }
    }, 0);
  }

  private switchTab(tab: number): void {
    const v = this.view;
    if (v === null || this.state.tab === tab) return;
    v.tabs.selectedIndex = tab;
    this.state.tab = tab;
    this.persist();
    this.onTabShown(tab);
  }

  private applyFilter(text: string): void {
    this.relistRows((model) => model.setFilter(text));
    this.state.filter = text;
    this.persist();
  }

  private applyShowPlumbing(show: boolean): void {
    this.relistRows((model) => model.setShowPlumbing(show));
    this.state.tablePlumbing = show;
    this.persist();
  }

  /** Changes which rows the table lists, keeping the selected row marked. */
  private relistRows(change: (model: TableViewModel) => void): void {
    const v = this.view;
    if (v === null) return;
    change(v.tableModel);
    v.table.render();
    if (this.state.selected !== null) v.table.setSelected(this.state.selected, false);
    this.updateCount();
  }

  private setAllGroups(expanded: boolean): void {
    const v = this.view;
    if (v === null) return;
    v.tableModel.setAllExpanded(expanded);
    v.table.render();
    this.updateCount();
  }

  private updateCount(): void {
    const v = this.view;
    if (v === null) return;
    const total = v.analysis.layers.length;
    const matching = v.analysis.layers.filter((l) => v.tableModel.matches(l.index)).length;
    // Hidden plumbing leaves the layer count alone; under a filter, count the rows actually listed.
    const listed = v.analysis.layers.filter((l) => v.tableModel.isListed(l.index)).length;
    v.count.textContent = matching === total ? `${total} layers` : `${listed} of ${total} layers match`;
  }

  private select(index: number, origin: SelectionOrigin): void {
    const v = this.view;
    const layer = v?.tableModel.tree.layers.get(index);
    if (v === null || layer === undefined) return;
    this.state.selected = index;
    this.persist();

    if (origin !== "table" && !v.table.isVisible(index)) {
      // Make the row displayable: open its groups and, if the filter hides it, clear the filter.
      v.tableModel.revealLayer(index);
      v.plumbingToggle.checked = v.tableModel.showPlumbing;
      this.state.tablePlumbing = v.tableModel.showPlumbing;
      if (!v.tableModel.matches(index)) {
        v.filter.value = "";
        v.tableModel.setFilter("");
        this.state.filter = "";
        this.updateCount();
      }
      v.table.render();
    }
    // A disagreement in the PyTorch summary names a row: show it in the table, whichever tab is open.
    if (
      (origin === "host" && this.state.tab === TAB_CHARTS) ||
      (origin === "pytorch" && this.state.tab !== TAB_TABLE)
    ) {
      // The host asked to reveal a layer: show it in the table rather than in an unrelated chart.
      v.tabs.selectedIndex = TAB_TABLE;
      this.state.tab = TAB_TABLE;
      this.onTabShown(TAB_TABLE);
    }
    v.table.setSelected(index, origin !== "table");
    v.graph.setSelected(index, origin !== "graph");
    v.charts.setSelected(index);
    v.details.show(detailsView(layer, v.analysis));
    v.details.element.querySelector(".details-header")?.append(v.run.detailsActions(layer));
    v.run.setLayer(layer);
    if (origin !== "host" && origin !== "restore") this.host.post({ type: "layerSelected", index });
  }

  private persist(): void {
    this.host.setState({ ...this.state });
  }
}
