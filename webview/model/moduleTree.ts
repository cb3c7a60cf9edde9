/**
 * The module hierarchy of a model, built from `LayerRow.groups`. Both the
 * table (collapsible group rows) and the graph (collapsed group nodes) use it.
 *
 * Not every path in `groups` becomes a group. A leaf module (`layer1.0.conv1`
 * holds just its Conv; a ReLU module called twice holds two Relu nodes of the
 * same name) would only add a header repeating its layers, and would pull a
 * second call out of execution order; a module holding exactly the same layers
 * as its parent (a wrapper) would repeat the parent. So a path becomes a group
 * only when its layers carry at least two different names and it holds fewer
 * layers than the group around it: every group shown aggregates something the
 * user could not see otherwise. The exception: one framework layer made of several
 * consecutive nodes (a Keras LSTM and its bias, Darknet's conv + BatchNorm + leaky)
 * gets its header, which is where its totals show.
 */
import type { LayerRow } from "../../src/core/analysis/result";

export interface ModuleGroup {
  /** Module path as in `LayerRow.groups`, e.g. "layer1.0". */
  readonly path: string;
  readonly parent: ModuleGroup | null;
  /** 0 for a top-level group. */
  readonly depth: number;
  /** Sub-groups and direct layers, in the order their first layer runs. */
  readonly children: readonly ModuleChild[];
  /** Every layer inside, directly or in sub-groups, in topological order. */
  readonly layerIndexes: readonly number[];
  readonly params: number;
  /** null as soon as one layer inside has an unknown value. */
  readonly macs: number | null;
  readonly flops: number | null;
  readonly outputBytes: number | null;
  /** When the group is one framework layer made of several nodes: its type (e.g. "Bidirectional"). */
  readonly layerType?: string;
}

export type ModuleChild =
  | { readonly kind: "group"; readonly group: ModuleGroup }
  | { readonly kind: "layer"; readonly index: number };

export interface ModuleTree {
  /** Top-level groups and ungrouped layers, in execution order. */
  readonly roots: readonly ModuleChild[];
  readonly groups: ReadonlyMap<string, ModuleGroup>;
  /** Per layer index: the groups it sits in, outermost first (kept groups only). */
  readonly chains: ReadonlyMap<number, readonly ModuleGroup[]>;
  readonly layers: ReadonlyMap<number, LayerRow>;
}

/** Mutable twin of ModuleGroup used while building; exposed read-only. */
interface GroupBuilder {
  path: string;
  parent: GroupBuilder | null;
  depth: number;
  children: ModuleChild[];
  layerIndexes: number[];
  params: number;
  macs: number | null;
  flops: number | null;
  outputBytes: number | null;
  layerType?: string;
}

function addNullable(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

interface PathStats {
  layers: number;
  names: Set<string>;
  /** Lowest and highest topological index inside (consecutive when hi − lo + 1 = layers). */
  lo: number;
  hi: number;
  /** Every row is a framework layer's node (Keras, Caffe, Darknet, a PyTorch module). */
  framework: boolean;
}

/** How many layers, and which layer names, each module path holds. */
function statsPerPath(layers: readonly LayerRow[]): Map<string, PathStats> {
  const stats = new Map<string, PathStats>();
  for (const layer of layers) {
    for (const path of new Set(layer.groups)) {
      let s = stats.get(path);
      if (s === undefined)
        stats.set(
          path,
          (s = { layers: 0, names: new Set(), lo: layer.index, hi: layer.index, framework: true }),
        );
      s.layers++;
      s.names.add(layer.name);
      s.lo = Math.min(s.lo, layer.index);
      s.hi = Math.max(s.hi, layer.index);
      s.framework &&= layer.layerType !== undefined;
    }
  }
  return stats;
}

/** The paths of a layer that become groups (see the file comment for why some are skipped). */
function keptPaths(layer: LayerRow, stats: ReadonlyMap<string, PathStats>): string[] {
  const kept: string[] = [];
  let parentCount = Infinity;
  for (const path of layer.groups) {
    const s = stats.get(path);
    // One framework layer built from several nodes in a row (a Keras LSTM with its bias, a
    // Darknet conv + BatchNorm + activation) gets a header with its totals too.
    const oneLayerOfNodes = s !== undefined && s.framework && s.layers >= 2 && s.hi - s.lo + 1 === s.layers;
    if (
      s === undefined ||
      (s.names.size < 2 && !oneLayerOfNodes) ||
      s.layers >= parentCount ||
      kept.includes(path)
    )
      continue;
    kept.push(path);
    parentCount = s.layers;
  }
  return kept;
}

export function buildModuleTree(layers: readonly LayerRow[]): ModuleTree {
  const stats = statsPerPath(layers);
  const groups = new Map<string, GroupBuilder>();
  const chains = new Map<number, GroupBuilder[]>();
  const byIndex = new Map<number, LayerRow>();
  const roots: ModuleChild[] = [];

  const ordered = [...layers].sort((a, b) => a.index - b.index);
  for (const layer of ordered) {
    byIndex.set(layer.index, layer);
    const chain: GroupBuilder[] = [];
    let parent: GroupBuilder | null = null;
    for (const path of keptPaths(layer, stats)) {
      let group = groups.get(path);
      if (group === undefined) {
        // A path's parent is fixed by the first layer seen in it; later layers
        // that disagree (malformed names) still land in the same group.
        group = {
          path,
          parent,
          depth: parent === null ? 0 : parent.depth + 1,
          children: [],
          layerIndexes: [],
          params: 0,
          macs: 0,
          flops: 0,
          outputBytes: 0,
        };
        const s = stats.get(path);
        if (s !== undefined && s.names.size === 1 && layer.layerType !== undefined)
          group.layerType = layer.layerType;
        groups.set(path, group);
        (parent === null ? roots : parent.children).push({ kind: "group", group });
      }
      chain.push(group);
      parent = group;
    }
    for (const group of chain) {
      group.layerIndexes.push(layer.index);
      group.params += layer.params;
      group.macs = addNullable(group.macs, layer.macs);
      group.flops = addNullable(group.flops, layer.flops);
      group.outputBytes = addNullable(group.outputBytes, layer.outputBytes);
    }
    const home = chain[chain.length - 1];
    (home === undefined ? roots : home.children).push({ kind: "layer", index: layer.index });
    chains.set(layer.index, chain);
  }
  return { roots, groups, chains, layers: byIndex };
}

/** The group paths a layer sits in, outermost first. */
export function groupPathsOf(tree: ModuleTree, index: number): string[] {
  return (tree.chains.get(index) ?? []).map((g) => g.path);
}
