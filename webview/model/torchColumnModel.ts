/**
 * The "PyTorch" column of the layer table and its summary line, after Check with PyTorch: each
 * row that ends a module call shows what PyTorch traced for it (output shape, and parameters on
 * the module's first call); a row where the two readings differ is marked, and every
 * disagreement is listed with the row it selects.
 */
import type { TorchCell, TorchColumn } from "../../src/core/analysis/torchColumn";
import { formatCount } from "./format";
import type { ColumnDef } from "./tableColumns";

/** Shown after Check with PyTorch, right of the static output shape. */
export const TORCH_COLUMN: ColumnDef = {
  id: "pytorch",
  label: "PyTorch",
  numeric: false,
  tooltip:
    "What PyTorch traced for the layer (Check with PyTorch): output shape, and parameters on the module's first call; ≠ marks a disagreement",
  firstDirection: "asc",
};

/** Cell text and tooltip; `differs` marks the row. */
export interface TorchCellView {
  readonly text: string;
  readonly title: string;
  readonly flag?: string;
  readonly differs: boolean;
}

const VERDICT_TEXT: Readonly<Record<TorchCell["verdict"], string>> = {
  agrees: "PyTorch agrees with the static reading",
  differs: "PyTorch disagrees with the static reading",
  filled: "Traced by PyTorch where the static reading has no value",
  "not-run": "PyTorch never made this call",
};

export function torchCellView(cell: TorchCell | undefined, source: string): TorchCellView {
  if (cell === undefined) return { text: "", title: "", differs: false };
  const differs = cell.verdict === "differs" || cell.verdict === "not-run";
  // A module without weights says nothing about them, unless the count is what differs.
  const shown = cell.params !== undefined && (cell.params > 0 || differs);
  const params = shown ? ` · ${formatCount(cell.params ?? 0)} params` : "";
  const text = cell.verdict === "not-run" ? "not called" : `${cell.shape || "–"}${params}`;
  const title = [`${VERDICT_TEXT[cell.verdict]} (${source})`, ...cell.messages].join("\n");
  return { text, title, differs, ...(differs ? { flag: "≠" } : {}) };
}

export interface TorchSummaryView {
  /** "PyTorch 1.13.0 on meta: 2 disagreements · agrees on 8 layers" */
  readonly line: string;
  readonly disagreements: readonly { readonly text: string; readonly layer: number | null }[];
}

export function torchSummaryView(column: TorchColumn): TorchSummaryView {
  const n = column.disagreements.length;
  const parts = [
    `${n} disagreement${n === 1 ? "" : "s"}`,
    ...(column.agreements > 0 ? [`agrees on ${column.agreements} layers`] : []),
    ...(column.filled > 0 ? [`${column.filled} layers traced where the static reading has none`] : []),
  ];
  return {
    line: `${column.source}: ${parts.join(" · ")}`,
    disagreements: column.disagreements.map((d) => ({ text: d.message, layer: d.layer })),
  };
}

/** Layer index → cell, for the table model. */
export function torchCellsByLayer(column: TorchColumn | undefined): ReadonlyMap<number, TorchCellView> {
  const out = new Map<number, TorchCellView>();
  if (column === undefined) return out;
  for (const [index, cell] of column.cells) out.set(index, torchCellView(cell, column.source));
  return out;
}
