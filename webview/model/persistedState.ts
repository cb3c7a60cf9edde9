/**
 * What the inspector remembers while its webview is hidden, restored or
 * reloaded (VS Code keeps it via setState/getState), and how a saved value is
 * read back: anything missing or saved by an older version falls back to the default.
 */
import { COLUMNS, type SortState } from "./tableColumns";

export const TAB_TABLE = 0;

/** What survives the webview being hidden and restored (VS Code keeps it via setState). */
export interface PersistedState {
  tab: number;
  filter: string;
  sort: SortState | null;
  selected: number | null;
  /** The table's and the graph's "Show exporter plumbing" toggles. */
  tablePlumbing: boolean;
  graphPlumbing: boolean;
}

/** State saved by an older version may not match today's columns. */
function isSortState(value: unknown): value is SortState {
  if (typeof value !== "object" || value === null) return false;
  const { column, direction } = value as Partial<SortState>;
  return COLUMNS.some((c) => c.id === column) && (direction === "asc" || direction === "desc");
}

export function restoreState(raw: unknown): PersistedState {
  const s = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<PersistedState>;
  return {
    tab: typeof s.tab === "number" ? s.tab : TAB_TABLE,
    filter: typeof s.filter === "string" ? s.filter : "",
    sort: isSortState(s.sort) ? s.sort : null,
    selected: typeof s.selected === "number" ? s.selected : null,
    tablePlumbing: s.tablePlumbing === true,
    graphPlumbing: s.graphPlumbing === true,
  };
}
