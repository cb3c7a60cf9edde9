/**
 * The layer table as data: column definitions, the cells of a layer or group
 * row, and which rows are visible for a given filter, sort and set of
 * collapsed groups. The renderer (table.ts) only turns these into DOM.
 */
import { opLabel, type LayerRow, type ModelAnalysis } from "../../src/core/analysis/result";
import { formatBytes, formatCount, formatExact, formatShape, rfCells, shapeElements } from "./format";
import { buildModuleTree, type ModuleChild, type ModuleGroup, type ModuleTree } from "./moduleTree";
import { findPlumbingRows } from "./plumbing";
import { TORCH_COLUMN, torchCellsByLayer, type TorchCellView } from "./torchColumnModel";
import type { TorchColumn } from "../../src/core/analysis/torchColumn";

export type ColumnId =
  | "index"
  | "name"
  | "op"
  | "shape"
  | "pytorch"
  | "params"
  | "macs"
  | "flops"
  | "bytes"
  | "rf-size"
  | "rf-stride"
  | "rf-start";

export type SortDirection = "asc" | "desc";

export interface SortState {
  readonly column: ColumnId;
  readonly direction: SortDirection;
}

export interface ColumnDef {
  readonly id: ColumnId;
  readonly label: string;
  readonly numeric: boolean;
  readonly tooltip: string;
  /** First click sorts this way: biggest first for numbers, A→Z for text. */
  readonly firstDirection: SortDirection;
}

export const MAC_CONVENTION =
  "Multiply-accumulates: Conv = N·Cout·∏out·(Cin/groups)·∏kernel; " +
  "ConvTranspose = N·Cin·∏in·(Cout/groups)·∏kernel; Gemm/MatMul = output elements × reduced dim; " +
  "LSTM/GRU/RNN per gate and step; other ops 0; bias not counted. FLOPs = 2 × MACs.";

export const COLUMNS: readonly ColumnDef[] = [
  {
    id: "index",
    label: "#",
    numeric: true,
    tooltip: "Position in execution (topological) order",
    firstDirection: "asc",
  },
  {
    id: "name",
    label: "Layer",
    numeric: false,
    tooltip: "Module path, or node name when the file has none",
    firstDirection: "asc",
  },
  { id: "op", label: "Op", numeric: false, tooltip: "Operator type", firstDirection: "asc" },
  {
    id: "shape",
    label: "Output shape",
    numeric: false,
    tooltip: "Shape of the first output (? = unknown); sorts by element count",
    firstDirection: "desc",
  },
  {
    id: "params",
    label: "Params",
    numeric: true,
    tooltip: "Parameters owned by the layer (weights and biases)",
    firstDirection: "desc",
  },
  { id: "macs", label: "MACs", numeric: true, tooltip: MAC_CONVENTION, firstDirection: "desc" },
  { id: "flops", label: "FLOPs", numeric: true, tooltip: MAC_CONVENTION, firstDirection: "desc" },
  {
    id: "bytes",
    label: "Output",
    numeric: true,
    tooltip: "Bytes of the layer's outputs (activation memory)",
    firstDirection: "desc",
  },
  {
    id: "rf-size",
    label: "RF size",
    numeric: true,
    tooltip:
      "Receptive field: input pixels seen by one output unit, per spatial axis. +global = that local field, rescaled by a channel gate (squeeze-and-excitation) that sees the whole input",
    firstDirection: "desc",
  },
  {
    id: "rf-stride",
    label: "RF stride",
    numeric: true,
    tooltip: "Effective stride: input pixels between neighbouring output units",
    firstDirection: "desc",
  },
  {
    id: "rf-start",
    label: "RF start",
    numeric: true,
    tooltip:
      "Input coordinate of output unit 0's first pixel (negative = padding). ⚠ = branches merged with misaligned fields",
    firstDirection: "asc",
  },
];

/** The table's columns: the PyTorch column only when there is a trace. */
export function columnsFor(pytorch: TorchColumn | undefined): readonly ColumnDef[] {
  if (pytorch === undefined) return COLUMNS;
  const at = COLUMNS.findIndex((c) => c.id === "shape") + 1;
  return [...COLUMNS.slice(0, at), TORCH_COLUMN, ...COLUMNS.slice(at)];
}

/** One table cell: its text, the raw number behind it (for data-value and sorting) and a tooltip. */
export interface CellView {
  readonly text: string;
  /** Raw value; null when unknown, absent for text columns. */
  readonly value?: number | null;
  readonly title?: string;
  /** Warning glyph shown after the text (misaligned receptive field). */
  readonly flag?: string;
}

export type RowCells = Readonly<Record<ColumnId, CellView>>;

/** Columns whose cells carry the raw count in `data-value` (the end-to-end tests read it). */
export const RAW_VALUE_COLUMNS: ReadonlySet<ColumnId> = new Set<ColumnId>([
  "index",
  "params",
  "macs",
  "flops",
  "bytes",
]);

/** The `data-value` text of a cell: the raw integer, "" when unknown, undefined when the column has none. */
export function dataValueOf(column: ColumnId, cell: CellView): string | undefined {
  if (!RAW_VALUE_COLUMNS.has(column)) return undefined;
  return cell.value === null || cell.value === undefined ? "" : String(cell.value);
}

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

function countCell(n: number | null): CellView {
  return { text: formatCount(n), value: n, title: formatExact(n) };
}

function bytesCell(n: number | null): CellView {
  return { text: formatBytes(n), value: n, title: n === null ? "unknown" : `${formatExact(n)} bytes` };
}

export function layerCells(layer: LayerRow): RowCells {
  const out = layer.outputs[0];
  const rf = rfCells(layer.rf);
  const misalignedFlag = rf.misaligned
    ? { flag: "⚠", title: "Misaligned: merged branches see differently offset input grids" }
    : {};
  const contextFlag = rf.globalContext
    ? {
        flag: "+global",
        title:
          "Local field plus global context: a channel gate (squeeze-and-excitation) that sees the whole input rescales this unit; the numbers are the local field of the main path",
      }
    : {};
  return {
    index: { text: String(layer.index), value: layer.index },
    name: {
      text: layer.name,
      title: layer.id === layer.name ? layer.name : `${layer.name}\nnode: ${layer.id}`,
    },
    op: {
      text: opLabel(layer),
      ...(layer.sourceOp !== undefined ? { title: `graph op ${layer.opType}` } : {}),
    },
    shape: { text: out === undefined ? "" : formatShape(out.shape), value: shapeElements(out?.shape) },
    pytorch: { text: "" },
    params: countCell(layer.params),
    macs: countCell(layer.macs),
    flops: countCell(layer.flops),
    bytes: bytesCell(layer.outputBytes),
    "rf-size": { text: rf.size, value: rf.global ? Infinity : (rf.first?.size ?? null), ...contextFlag },
    "rf-stride": { text: rf.stride, value: rf.first?.stride ?? null },
    "rf-start": { text: rf.start, value: rf.first?.start ?? null, ...misalignedFlag },
  };
}

export function groupCells(group: ModuleGroup): RowCells {
  const empty: CellView = { text: "" };
  const n = group.layerIndexes.length;
  return {
    index: empty,
    name: { text: group.path, title: `${group.path} (${n} layers)` },
    // One framework layer of several nodes reads as that layer: "Bidirectional · 5 nodes".
    op: { text: group.layerType !== undefined ? `${group.layerType} · ${n} nodes` : `${n} layers` },
    shape: empty,
    pytorch: empty,
    params: countCell(group.params),
    macs: countCell(group.macs),
    flops: countCell(group.flops),
    bytes: bytesCell(group.outputBytes),
    "rf-size": empty,
    "rf-stride": empty,
    "rf-start": empty,
  };
}

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
