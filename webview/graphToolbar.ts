/**
 * The Graph tab's toolbar: Fit, Expand all / Collapse all, search (Enter steps
 * to the next match, Shift+Enter back, Escape clears), the exporter-plumbing
 * toggle (the table's words and definition) and the op-kind colour legend.
 */
import { h } from "./dom";
import { OP_KINDS } from "./viewModel";

export interface GraphToolbarActions {
  fit(): void;
  expandAll(): void;
  collapseAll(): void;
  showPlumbing(show: boolean): void;
  search(query: string): void;
  nextMatch(step: 1 | -1): void;
}

export interface GraphToolbar {
  readonly element: HTMLElement;
  setSearchStatus(text: string): void;
  setNotice(text: string): void;
}

export function renderGraphToolbar(
  plumbingCount: number,
  showPlumbing: boolean,
  actions: GraphToolbarActions,
): GraphToolbar {
  const button = (label: string, title: string, action: () => void, testId: string): HTMLElement => {
    const el = h("vscode-button", { secondary: "", title, "data-testid": testId }, label);
    el.addEventListener("click", action);
    return el;
  };
  const search = h("input", {
    type: "search",
    class: "filter graph-search",
    "data-testid": "graph-search",
    placeholder: "Find layer or op",
    "aria-label": "Find a layer in the graph",
    spellcheck: "false",
  });
  search.addEventListener("input", () => actions.search(search.value));
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      actions.nextMatch(e.shiftKey ? -1 : 1);
    } else if (e.key === "Escape") {
      search.value = "";
      actions.search("");
    }
  });
  const status = h("span", {
    class: "row-count",
    "data-testid": "graph-search-status",
    "aria-live": "polite",
  });
  const notice = h("span", { class: "graph-notice" });
  const toggle = h("input", { type: "checkbox", "data-testid": "graph-show-plumbing" });
  toggle.checked = showPlumbing;
  toggle.addEventListener("change", () => actions.showPlumbing(toggle.checked));
  const plumbingLabel =
    plumbingCount === 0
      ? null
      : h(
          "label",
          {
            class: "toggle",
            title:
              "Rows an exporter adds around the real layers (e.g. Identity nodes aliasing weights); their parameters count in every total either way",
          },
          toggle,
          ` Show exporter plumbing (${plumbingCount} rows)`,
        );
  const legend = h(
    "div",
    { class: "graph-legend", "data-testid": "graph-legend", "aria-label": "Op colours" },
    ...OP_KINDS.map(({ kind, label }) => h("span", { class: `legend-item kind-${kind}` }, label)),
  );
  const element = h(
    "div",
    { class: "graph-toolbar" },
    h(
      "div",
      { class: "toolbar" },
      button("Fit", "Fit the graph's width; scroll along it", actions.fit, "graph-fit"),
      button("Expand all", "Expand every module group", actions.expandAll, "graph-expand-all"),
      button("Collapse all", "Collapse every module group", actions.collapseAll, "graph-collapse-all"),
      search,
      status,
      plumbingLabel,
      notice,
    ),
    h(
      "div",
      { class: "toolbar graph-subbar" },
      legend,
      h(
        "span",
        { class: "hint" },
        "Click a group to expand it · drag to pan · wheel to zoom · edge labels leave out the batch dimension",
      ),
    ),
  );
  return {
    element,
    setSearchStatus: (text) => {
      status.textContent = text;
    },
    setNotice: (text) => {
      notice.textContent = text;
    },
  };
}
