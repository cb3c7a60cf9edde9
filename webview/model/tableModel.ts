/**
 * The layer table as data: which rows are visible for a given filter, sort and set of collapsed
 * groups, and their cells (tableColumns.ts). The renderer (table.ts) only turns these into DOM.
 */
import type { LayerRow, ModelAnalysis } from "../../src/core/analysis/result";
import type { TorchColumn } from "../../src/core/analysis/torchColumn";
import { formatShape } from "./format";
import { buildModuleTree, type ModuleChild, type ModuleGroup, type ModuleTree } from "./moduleTree";
import { findPlumbingRows } from "./plumbing";
import {
  columnsFor,
  groupCells,
  layerCells,
  type ColumnDef,
  type ColumnId,
  type RowCells,
  type SortState,
} from "./tableColumns";
import { torchCellsByLayer, type TorchCellView } from "./torchColumnModel";

export interface GroupRowView {
  readonly kind: "group";
  readonly path: string;
  readonly depth: number;
  readonly expanded: boolean;
  readonly layerCount: number;
  readonly cells: RowCells;
}

export interface LayerRowView {
  readonly kind: "layer";
  readonly index: number;
  readonly depth: number;
  readonly layer: LayerRow;
}

export type TableRowView = GroupRowView | LayerRowView;

/** Lower-cased text a search is matched against: name, node id, op type and shape (× and x spellings). */
function searchText(layer: LayerRow): string {
  const shape = formatShape(layer.outputs[0]?.shape).toLowerCase();
  const ops = [layer.opType, layer.sourceOp ?? ""];
  return [layer.name, layer.id, ...ops, shape, shape.replaceAll("×", "x")].join("\n").toLowerCase();
}

/** Nulls sort last in both directions: "unknown" is never the biggest or the smallest. */
function compareValues(a: number | string | null, b: number | string | null, dir: number): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === "string" || typeof b === "string") return dir * String(a).localeCompare(String(b));
  return a === b ? 0 : dir * (a < b ? -1 : 1);
}

/**
 * Table state (filter, sort, collapsed groups) over one analysis.
 *
 * Without a sort the rows follow execution order inside their module groups.
 * A sort ranks layers against each other across the whole model (the point of
 * sorting by MACs is to find the heaviest layers wherever they are), so groups
 * are flattened while a sort is active; clearing the sort restores the tree.
 */
export class TableViewModel {
  readonly tree: ModuleTree;
  /** Exporter plumbing (see findConstantLayers): rows hidden unless showPlumbing; totals still count them. */
  readonly plumbing: ReadonlySet<number>;
  private showPlumbingRows = false;
  /** Search text per layer, built on the first search (10,000 layers: not on the way to the first paint). */
  private haystacks: Map<number, string> | null = null;
  private readonly cellCache = new Map<number, RowCells>();
  private readonly groupCellCache = new Map<string, RowCells>();
  private readonly collapsed = new Set<string>();
  private terms: string[] = [];
  private filterText = "";
  private sortState: SortState | null = null;

  readonly columns: readonly ColumnDef[];
  private readonly torchCells: ReadonlyMap<number, TorchCellView>;

  /** `pytorch`: Check with PyTorch's trace of this analysis (adds the PyTorch column). */
  constructor(
    readonly analysis: ModelAnalysis,
    readonly pytorch?: TorchColumn,
  ) {
    this.columns = columnsFor(pytorch);
    this.torchCells = torchCellsByLayer(pytorch);
    this.tree = buildModuleTree(analysis.layers);
    this.plumbing = findPlumbingRows(analysis);
  }

  get filter(): string {
    return this.filterText;
  }

  get sort(): SortState | null {
    return this.sortState;
  }

  setFilter(text: string): void {
    this.filterText = text;
    this.terms = text
      .trim()
      .toLowerCase()
      .split(/\s+/)
      .filter((t) => t.length > 0);
  }

  get showPlumbing(): boolean {
    return this.showPlumbingRows;
  }

  setShowPlumbing(show: boolean): void {
    this.showPlumbingRows = show;
  }

  setSort(sort: SortState | null): void {
    this.sortState = sort;
  }

  /** Header click: first direction → the other → back to execution order. */
  cycleSort(column: ColumnId): void {
    const def = this.columns.find((c) => c.id === column);
    if (def === undefined) return;
    const current = this.sortState;
    if (current === null || current.column !== column) {
      this.sortState = { column, direction: def.firstDirection };
    } else if (current.direction === def.firstDirection) {
      this.sortState = { column, direction: def.firstDirection === "asc" ? "desc" : "asc" };
    } else {
      this.sortState = null;
    }
  }

  isExpanded(path: string): boolean {
    return !this.collapsed.has(path);
  }

  toggleGroup(path: string): void {
    this.setExpanded(path, !this.isExpanded(path));
  }

  setExpanded(path: string, expanded: boolean): void {
    if (expanded) this.collapsed.delete(path);
    else this.collapsed.add(path);
  }

  setAllExpanded(expanded: boolean): void {
    this.collapsed.clear();
    if (!expanded) for (const path of this.tree.groups.keys()) this.collapsed.add(path);
  }

  /** Expands every group around a layer (and shows plumbing, if it is some) so its row can be shown. */
  revealLayer(index: number): void {
    if (this.plumbing.has(index)) this.showPlumbingRows = true;
    for (const group of this.tree.chains.get(index) ?? []) this.collapsed.delete(group.path);
  }

  matches(index: number): boolean {
    if (this.terms.length === 0) return true;
    this.haystacks ??= new Map(this.analysis.layers.map((l) => [l.index, searchText(l)]));
    const hay = this.haystacks.get(index) ?? "";
    return this.terms.every((t) => hay.includes(t));
  }

  /** Whether a layer's row is displayed (groups aside): it matches the filter and is not hidden plumbing. */
  isListed(index: number): boolean {
    return (this.showPlumbingRows || !this.plumbing.has(index)) && this.matches(index);
  }

  cells(index: number): RowCells | undefined {
    let cells = this.cellCache.get(index);
    if (cells === undefined) {
      const layer = this.tree.layers.get(index);
      if (layer === undefined) return undefined;
      const torch = this.torchCells.get(index);
      cells = layerCells(layer);
      if (torch !== undefined) cells = { ...cells, pytorch: torch };
      this.cellCache.set(index, cells);
    }
    return cells;
  }

  /** Whether PyTorch disagrees with the static reading on this row. */
  torchDiffers(index: number): boolean {
    return this.torchCells.get(index)?.differs === true;
  }

  private groupCellsOf(group: ModuleGroup): RowCells {
    let cells = this.groupCellCache.get(group.path);
    if (cells === undefined) this.groupCellCache.set(group.path, (cells = groupCells(group)));
    return cells;
  }

  /** The rows to display, in order. */
  rows(): TableRowView[] {
    return this.sortState === null ? this.treeRows() : this.sortedRows(this.sortState);
  }

  private treeRows(): TableRowView[] {
    const rows: TableRowView[] = [];
    const visit = (children: readonly ModuleChild[], depth: number): void => {
      for (const child of children) {
        if (child.kind === "layer") {
          const layer = this.tree.layers.get(child.index);
          if (layer !== undefined && this.isListed(child.index))
            rows.push({ kind: "layer", index: child.index, depth, layer });
          continue;
        }
        const group = child.group;
        // A group header stays only while some layer inside is listed (filter, hidden plumbing).
        if (!group.layerIndexes.some((i) => this.isListed(i))) continue;
        const expanded = this.isExpanded(group.path);
        rows.push({
          kind: "group",
          path: group.path,
          depth,
          expanded,
          layerCount: group.layerIndexes.length,
          cells: this.groupCellsOf(group),
        });
        if (expanded) visit(group.children, depth + 1);
      }
    };
    visit(this.tree.roots, 0);
    return rows;
  }

  private sortedRows(sort: SortState): TableRowView[] {
    const dir = sort.direction === "asc" ? 1 : -1;
    const key = (layer: LayerRow): number | string | null => {
      const cell = this.cells(layer.index)?.[sort.column];
      if (cell === undefined) return null;
      return cell.value !== undefined ? cell.value : cell.text;
    };
    return this.analysis.layers
      .filter((l) => this.isListed(l.index))
      .map((layer) => ({ layer, key: key(layer) }))
      .sort((a, b) => compareValues(a.key, b.key, dir) || a.layer.index - b.layer.index)
      .map(({ layer }) => ({ kind: "layer", index: layer.index, depth: 0, layer }));
  }
}
