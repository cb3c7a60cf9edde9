/**
 * Renders the layer table from TableViewModel.
 *
 * Row elements are created once per layer or group and cached; a re-render
 * (filter keystroke, sort, collapse) re-attaches the visible ones. Up to
 * FULL_RENDER_LIMIT rows are all attached, so find-in-page and the end-to-end
 * tests see every row. Beyond that (10,000-layer models) attaching every row
 * costs a quarter-second layout per change, so the table virtualises: only
 * the rows in and near the viewport are attached, between two spacer rows
 * that keep the scrollbar true. Rows have one fixed height (media/table.css),
 * measured once, which makes row positions simple arithmetic.
 */
// not the viewModel barrel: it brings dagre into the eager bundle
import { dataValueOf, type ColumnId, type RowCells } from "./model/tableColumns";
import type { TableRowView, TableViewModel } from "./model/tableModel";
import { h } from "./dom";

const FULL_RENDER_LIMIT = 2000;
/** Rows attached above and below the viewport in virtual mode, so fast scrolling rarely shows blank space. */
const OVERSCAN = 40;
const DEFAULT_ROW_HEIGHT = 22;

export interface TableCallbacks {
  /** A layer row was clicked or reached with the arrow keys. */
  onSelect(index: number): void;
  /** The sort changed (the caller persists it). */
  onSortChange(): void;
}

export class LayerTableView {
  /** The scroll container holding the table. */
  readonly element: HTMLElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly headers = new Map<ColumnId, HTMLTableCellElement>();
  private readonly layerRows = new Map<number, HTMLTableRowElement>();
  private readonly groupRows = new Map<string, HTMLTableRowElement>();
  private visible: TableRowView[] = [];
  private visibleLayers = new Set<number>();
  private selected: number | null = null;
  private virtual = false;
  private rowHeight = DEFAULT_ROW_HEIGHT;
  private rowHeightMeasured = false;
  private windowStart = -1;
  private windowEnd = -1;
  private scrollFrame: number | null = null;
  private readonly topSpacer: HTMLTableRowElement;
  private readonly bottomSpacer: HTMLTableRowElement;

  constructor(
    private readonly model: TableViewModel,
    private readonly callbacks: TableCallbacks,
  ) {
    const columns = model.columns;
    this.topSpacer = spacerRow(columns.length);
    this.bottomSpacer = spacerRow(columns.length);
    const colgroup = h("colgroup", {}, ...columns.map((c) => h("col", { class: `col-${c.id}` })));
    const headRow = h("tr");
    for (const col of columns) {
      const th = h(
        "th",
        { "data-col": col.id, title: col.tooltip, class: col.numeric ? "num" : undefined, scope: "col" },
        h("span", { class: "label" }, col.label),
        h("span", { class: "sort-indicator", "aria-hidden": "true" }),
      );
      th.addEventListener("click", () => {
        this.model.cycleSort(col.id);
        this.callbacks.onSortChange();
        this.render();
      });
      this.headers.set(col.id, th);
      headRow.append(th);
    }
    this.thead = h("thead", {}, headRow);
    this.tbody = h("tbody");
    const table = h(
      "table",
      { "data-testid": "layer-table", class: "layer-table" },
      colgroup,
      this.thead,
      this.tbody,
    );
    this.element = h("div", { class: "table-scroll", tabindex: "0", "aria-label": "Layers" }, table);
    this.tbody.addEventListener("click", (e) => this.onClick(e));
    this.element.addEventListener("keydown", (e) => this.onKeyDown(e));
    this.element.addEventListener("scroll", () => this.onScroll(), { passive: true });
  }

  /** Re-attaches the visible rows for the model's current filter, sort and collapsed groups. */
  render(): void {
    this.visible = this.model.rows();
    this.visibleLayers = new Set(this.visible.flatMap((r) => (r.kind === "layer" ? [r.index] : [])));
    this.updateSortIndicators();
    this.virtual = this.visible.length > FULL_RENDER_LIMIT;
    if (this.virtual) {
      this.renderWindow(true);
    } else {
      const all = document.createDocumentFragment();
      for (const row of this.visible) all.append(this.rowElement(row));
      this.tbody.replaceChildren(all);
    }
  }

  /** After the table was hidden (another tab): re-attach the rows for the current scroll position. */
  refresh(): void {
    if (this.virtual) this.renderWindow(true);
  }

  /** Highlights a layer's row; `scroll` brings it into view. */
  setSelected(index: number | null, scroll: boolean): void {
    if (this.selected !== null) this.layerRows.get(this.selected)?.removeAttribute("aria-selected");
    this.selected = index;
    if (index === null) return;
    this.rowForLayer(index).setAttribute("aria-selected", "true");
    if (scroll) this.scrollToLayer(index, "center");
  }

  isVisible(index: number): boolean {
    return this.visibleLayers.has(index);
  }

  private scrollToLayer(index: number, block: ScrollLogicalPosition): void {
    if (!this.isVisible(index)) return;
    if (this.virtual && this.layerRows.get(index)?.isConnected !== true) {
      // Not attached yet: jump near it by arithmetic so the window around it gets attached.
      const position = this.visible.findIndex((r) => r.kind === "layer" && r.index === index);
      this.element.scrollTop =
        this.thead.offsetHeight + position * this.rowHeight - this.element.clientHeight / 2;
      this.renderWindow(true);
    }
    const row = this.layerRows.get(index);
    if (row?.isConnected === true) this.scrollRowIntoView(row, block);
  }

  /**
   * Scrolls only the table's own container (scrollIntoView would also scroll
   * the page), keeping the row clear of the sticky header.
   */
  private scrollRowIntoView(row: HTMLElement, block: ScrollLogicalPosition): void {
    const box = this.element.getBoundingClientRect();
    const rowBox = row.getBoundingClientRect();
    if (box.height === 0) return;
    const head = this.thead.offsetHeight;
    const rowTop = rowBox.top - box.top + this.element.scrollTop;
    if (block === "center") {
      this.element.scrollTop = rowTop - (box.height + head) / 2 + rowBox.height / 2;
    } else if (rowBox.top < box.top + head) {
      this.element.scrollTop = rowTop - head;
    } else if (rowBox.bottom > box.bottom) {
      this.element.scrollTop = rowTop + rowBox.height - box.height;
    }
  }

  private onScroll(): void {
    if (!this.virtual || this.scrollFrame !== null) return;
    this.scrollFrame = requestAnimationFrame(() => {
      this.scrollFrame = null;
      this.renderWindow(false);
    });
  }

  /** Virtual mode: attach the rows around the viewport between spacers standing in for the rest. */
  private renderWindow(force: boolean): void {
    const n = this.visible.length;
    const top = Math.max(0, this.element.scrollTop - this.thead.offsetHeight);
    const viewHeight = this.element.clientHeight || 800;
    const start = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const end = Math.min(n, Math.ceil((top + viewHeight) / this.rowHeight) + OVERSCAN);
    if (!force && start === this.windowStart && end === this.windowEnd) return;
    this.windowStart = start;
    this.windowEnd = end;
    this.topSpacer.style.height = `${start * this.rowHeight}px`;
    this.bottomSpacer.style.height = `${(n - end) * this.rowHeight}px`;
    const rows = document.createDocumentFragment();
    rows.append(this.topSpacer);
    for (let i = start; i < end; i++) {
      const row = this.visible[i];
      if (row !== undefined) rows.append(this.rowElement(row));
    }
    rows.append(this.bottomSpacer);
    this.tbody.replaceChildren(rows);
    this.measureRowHeight();
  }

  /** Rows are fixed-height in CSS, but the theme's font size decides which height: measure once. */
  private measureRowHeight(): void {
    if (this.rowHeightMeasured) return;
    const row = this.topSpacer.nextElementSibling;
    const height =
      row instanceof HTMLElement && row !== this.bottomSpacer ? row.getBoundingClientRect().height : 0;
    if (height <= 0) return;
    this.rowHeightMeasured = true;
    if (Math.abs(height - this.rowHeight) > 0.5) {
      this.rowHeight = height;
      this.renderWindow(true);
    }
  }

  private updateSortIndicators(): void {
    const sort = this.model.sort;
    for (const [id, th] of this.headers) {
      const active = sort !== null && sort.column === id;
      th.setAttribute("aria-sort", active ? (sort.direction === "asc" ? "ascending" : "descending") : "none");
      const indicator = th.querySelector(".sort-indicator");
      if (indicator !== null) indicator.textContent = active ? (sort.direction === "asc" ? "▲" : "▼") : "";
    }
  }

  private rowElement(row: TableRowView): HTMLTableRowElement {
    const tr = row.kind === "layer" ? this.rowForLayer(row.index) : this.rowForGroup(row.path, row.cells);
    if (tr.dataset["depth"] !== String(row.depth)) {
      tr.dataset["depth"] = String(row.depth);
      tr.style.setProperty("--depth", String(row.depth));
    }
    if (row.kind === "group") {
      tr.setAttribute("aria-expanded", String(row.expanded));
      const chevron = tr.querySelector(".chevron");
      if (chevron !== null) chevron.textContent = row.expanded ? "▾" : "▸";
    }
    return tr;
  }

  private rowForLayer(index: number): HTMLTableRowElement {
    let tr = this.layerRows.get(index);
    if (tr !== undefined) return tr;
    const layer = this.model.tree.layers.get(index);
    const cells = this.model.cells(index);
    tr = h("tr", {
      // A row where PyTorch's trace disagrees with the static reading is highlighted.
      class: this.model.torchDiffers(index) ? "layer-row torch-differs" : "layer-row",
      "data-layer-index": String(index),
      "data-layer-name": layer?.name ?? "",
    });
    if (cells !== undefined) tr.append(...this.cellElements(cells));
    this.layerRows.set(index, tr);
    return tr;
  }

  private rowForGroup(path: string, cells: RowCells): HTMLTableRowElement {
    let tr = this.groupRows.get(path);
    if (tr !== undefined) return tr;
    tr = h("tr", { class: "group-row", "data-group": path });
    tr.append(...this.cellElements(cells));
    const nameCell = tr.querySelector('td[data-col="name"]');
    nameCell?.prepend(h("span", { class: "chevron", "aria-hidden": "true" }));
    this.groupRows.set(path, tr);
    return tr;
  }

  private cellElements(cells: RowCells): HTMLTableCellElement[] {
    return this.model.columns.map((col) => {
      const cell = cells[col.id];
      const td = h(
        "td",
        {
          "data-col": col.id,
          class: col.numeric ? "num" : undefined,
          "data-value": dataValueOf(col.id, cell),
          title: cell.title,
        },
        cell.text,
      );
      if (cell.flag !== undefined) td.append(" ", h("span", { class: "flag", title: cell.title }, cell.flag));
      return td;
    });
  }

  private onClick(e: MouseEvent): void {
    const tr = (e.target as Element | null)?.closest("tr");
    if (tr === null || tr === undefined) return;
    const group = tr.getAttribute("data-group");
    if (group !== null) {
      this.model.toggleGroup(group);
      this.render();
      return;
    }
    const index = tr.getAttribute("data-layer-index");
    if (index !== null) this.callbacks.onSelect(Number(index));
  }

  /** Up/Down move the selection through the visible layer rows, like a list. */
  private onKeyDown(e: KeyboardEvent): void {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const layers = this.visible.filter((r) => r.kind === "layer");
    if (layers.length === 0) return;
    e.preventDefault();
    const at = layers.findIndex((r) => r.index === this.selected);
    const next = at < 0 ? 0 : Math.max(0, Math.min(layers.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
    const target = layers[next];
    if (target === undefined) return;
    this.callbacks.onSelect(target.index);
    this.scrollToLayer(target.index, "nearest");
  }
}

/** Stands in for the rows above or below the attached window in virtual mode. */
function spacerRow(columns: number): HTMLTableRowElement {
  return h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: String(columns) }));
}
