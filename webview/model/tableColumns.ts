/**
 * The layer table's columns and cells: column definitions, and the cells of a layer or group row
 * (text, raw value, tooltip). tableModel.ts decides which rows are visible.
 */
import { opLabel, type LayerRow } from "../../src/core/analysis/result";
import { formatBytes, formatCount, formatExact, formatShape, rfCells, shapeElements } from "./format";
import type { ModuleGroup } from "./moduleTree";
import { TORCH_COLUMN } from "./torchColumnModel";
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
