/**
 * The Table tab's toolbar: the filter box, the exporter-plumbing toggle (when the model has such
 * rows), expand/collapse for module groups (when it has groups) and the row count. The app owns
 * what they change; it keeps the elements it updates (filter, count, toggle) when it reveals a row.
 */
import { h } from "./dom";
import type { TableViewModel } from "./model/tableModel";

export interface TableToolbarCallbacks {
  onFilter(text: string): void;
  onShowPlumbing(show: boolean): void;
  onAllGroups(expanded: boolean): void;
}

export interface TableToolbar {
  readonly element: HTMLElement;
  readonly filter: HTMLInputElement;
  readonly count: HTMLElement;
  readonly plumbingToggle: HTMLInputElement;
}

export function renderTableToolbar(
  tableModel: TableViewModel,
  filterText: string,
  callbacks: TableToolbarCallbacks,
): TableToolbar {
  const filter = h("input", {
    type: "search",
    class: "filter",
    "data-testid": "layer-filter",
    placeholder: "Filter by name, op or shape",
    "aria-label": "Filter layers",
    spellcheck: "false",
  });
  filter.value = filterText;
  filter.addEventListener("input", () => callbacks.onFilter(filter.value));
  const count = h("span", { class: "row-count", "data-testid": "row-count" });
  const plumbingToggle = h("input", { type: "checkbox", "data-testid": "table-show-plumbing" });
  plumbingToggle.checked = tableModel.showPlumbing;
  plumbingToggle.addEventListener("change", () => callbacks.onShowPlumbing(plumbingToggle.checked));
  const plumbingCount = tableModel.plumbing.size;
  const plumbingLabel =
    plumbingCount === 0
      ? []
      : [
          h(
            "label",
            {
              class: "toggle",
              title:
                "Rows an exporter adds around the real layers (e.g. Identity nodes aliasing weights); their parameters count in every total either way",
            },
            plumbingToggle,
            ` Show exporter plumbing (${plumbingCount} rows)`,
          ),
        ];
  const expandAll = h("vscode-button", { secondary: "", title: "Expand every module group" }, "Expand all");
  const collapseAll = h(
    "vscode-button",
    { secondary: "", title: "Collapse every module group" },
    "Collapse all",
  );
  expandAll.addEventListener("click", () => callbacks.onAllGroups(true));
  collapseAll.addEventListener("click", () => callbacks.onAllGroups(false));
  const groupButtons = tableModel.tree.groups.size > 0 ? [expandAll, collapseAll] : [];
  const element = h("div", { class: "toolbar" }, filter, ...plumbingLabel, ...groupButtons, count);
  return { element, filter, count, plumbingToggle };
}
