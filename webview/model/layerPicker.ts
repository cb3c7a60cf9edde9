/**
 * The layer picker of the Run tab and of the Show Feature Maps / Show Filters quick picks: the
 * layers that can be shown for a purpose, grouped by the module they sit in (the module tree the
 * table and the graph use), filtered by a search. Pure: unit-tested under Node, and the host's
 * quick pick builds its items from the same sections.
 */
import type { LayerRow } from "../../src/core/analysis/result";
import { hasFilters } from "../run/runModel";
import { formatShape } from "./format";
import type { ModuleTree } from "./moduleTree";

/** What the picked layer is for: its feature maps, its filters, or the Explain view. */
export type PickerPurpose = "featureMaps" | "filters" | "explain";

export interface PickerEntry {
  readonly index: number;
  readonly name: string;
  /** The layer's type as its framework names it (Conv2d), else the op (Conv). */
  readonly type: string;
  /** Output shape, "1×64×56×56" ("?" when unknown). */
  readonly shape: string;
}

export interface PickerSection {
  /** The innermost module the layers sit in ("layer1.0"); null for layers outside any module. */
  readonly group: string | null;
  readonly entries: readonly PickerEntry[];
}

/**
 * Whether a layer has something to show for the purpose. Feature maps (and Explain, which works on
 * a layer's maps) need an output with a channel and a spatial axis, or one whose shape is unknown
 * (it may have them); `constant` layers (computed from weights alone) have no maps of the input.
 */
export function pickable(layer: LayerRow, purpose: PickerPurpose, constant: boolean): boolean {
  if (purpose === "filters") return hasFilters(layer);
  if (constant) return false;
  const shape = layer.outputs[0]?.shape;
  if (layer.outputs[0] === undefined) return false;
  return shape === null || shape === undefined || shape.length >= 3;
}

function entryOf(layer: LayerRow): PickerEntry {
  return {
    index: layer.index,
    name: layer.name,
    type: layer.layerType ?? layer.opType,
    shape: formatShape(layer.outputs[0]?.shape),
  };
}

/**
 * Every word of the query (case-insensitive) appears in the layer's name, type, output shape or
 * module path: "layer3 conv" finds the convolutions of layer3.
 */
export function matchesQuery(entry: PickerEntry, group: string | null, query: string): boolean {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== "");
  if (words.length === 0) return true;
  const text = `${entry.name} ${entry.type} ${entry.shape} ${group ?? ""}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/**
 * The pickable layers in execution order that match the query, in sections: a new section starts
 * wherever the innermost module changes, so the list reads in the order the layers run (a module's
 * layers interrupted by a sub-module, or top-level layers before and after the blocks, form
 * several sections).
 */
export function pickerSections(
  tree: ModuleTree,
  purpose: PickerPurpose,
  constants: ReadonlySet<number>,
  query = "",
): PickerSection[] {
  const sections: { group: string | null; entries: PickerEntry[] }[] = [];
  const ordered = [...tree.layers.values()].sort((a, b) => a.index - b.index);
  for (const layer of ordered) {
    if (!pickable(layer, purpose, constants.has(layer.index))) continue;
    const chain = tree.chains.get(layer.index) ?? [];
    const group = chain[chain.length - 1]?.path ?? null;
    const entry = entryOf(layer);
    if (!matchesQuery(entry, group, query)) continue;
    const last = sections[sections.length - 1];
    if (last !== undefined && last.group === group) last.entries.push(entry);
    else sections.push({ group, entries: [entry] });
  }
  return sections;
}

/** How many layers the sections hold. */
export function entryCount(sections: readonly PickerSection[]): number {
  return sections.reduce((n, s) => n + s.entries.length, 0);
}
