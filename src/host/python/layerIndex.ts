/** Where each traced layer lives in the source, for hints, hovers and reveals. */
import type { LayerRow } from "../../core/analysis/result";
import { isForeignSpan, type TracedClass } from "../../core/formats/python/pythonModel";

export interface SourceLayer {
  readonly cls: TracedClass;
  /** All nodes of one module path (a Linear on 3-D input is MatMul + Add); the last gives the output. */
  readonly rows: readonly LayerRow[];
}

export function outputOf(l: SourceLayer): LayerRow | undefined {
  return l.rows[l.rows.length - 1];
}

/** Layers grouped by their definition span (the constructor call), in first-call order. */
export function layersByDefinition(cls: TracedClass): Map<string, SourceLayer[]> {
  const byPath = new Map<string, LayerRow[]>();
  for (const row of cls.analysis?.layers ?? []) {
    if (!row.source?.def) continue;
    const rows = byPath.get(row.name) ?? [];
    rows.push(row);
    byPath.set(row.name, rows);
  }
  const out = new Map<string, SourceLayer[]>();
  for (const rows of byPath.values()) {
    const def = rows[0]?.source?.def;
    // Layers defined in an imported file have no place in this one.
    if (!def || isForeignSpan(def)) continue;
    // Only the first call's nodes: a module called twice (one ReLU) is described by its first use.
    const firstCall = rows[0]?.source?.call;
    const first = rows.filter((r) => r.source?.call?.from === firstCall?.from);
    const key = `${def.from}:${def.to}`;
    out.set(key, [...(out.get(key) ?? []), { cls, rows: first }]);
  }
  return out;
}

export function localLines(cls: TracedClass): TracedClass["lines"] {
  return cls.lines.filter((l) => !isForeignSpan(l.span));
}

export function rowsInSpan(cls: TracedClass, from: number, to: number): LayerRow[] {
  return (cls.analysis?.layers ?? []).filter(
    (r) => r.source?.call && r.source.call.from >= from && r.source.call.to <= to,
  );
}
