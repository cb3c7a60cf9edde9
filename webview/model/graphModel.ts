/**
 * The graph view as data: which nodes and edges to draw for the current set of
 * expanded module groups. A collapsed group stands for all its layers as one
 * node; edges are the layers' `predecessors` mapped onto the visible nodes,
 * dropping the ones inside a collapsed group and merging duplicates.
 *
 * Groups start collapsed so a 100-layer network opens as a readable chain of
 * stages (conv1 → layer1 → … → fc); the renderer lays out only what is here.
 */
import { opLabel, type LayerRow, type ModelAnalysis } from "../../src/core/analysis/result";
import type { Dim } from "../../src/core/ir/types";
import { formatCount, formatShape } from "./format";
import { buildModuleTree, type ModuleGroup, type ModuleTree } from "./moduleTree";
import { opKindOf, type OpKind } from "./opKind";
import { findPlumbingRows } from "./plumbing";

export interface GraphNodeView {
  /** "l:<index>" for a layer, "g:<path>" for a collapsed group. */
  readonly id: string;
  readonly kind: "layer" | "group";
  readonly title: string;
  readonly subtitle: string;
  /** Full text for a tooltip. */
  readonly tooltip: string;
  readonly layerIndex?: number;
  readonly groupPath?: string;
  /** Path of the expanded group drawn around this node, if any. */
  readonly cluster: string | null;
  /** First layer it stands for: keeps truncation and ordering in execution order. */
  readonly firstIndex: number;
  /** Layers it stands for (1 for a layer node). */
  readonly layerCount: number;
  /** Colour class of a layer node; null for a group. */
  readonly opKind: OpKind | null;
}

export interface GraphEdgeView {
  readonly from: string;
  readonly to: string;
  /** The tensor it carries, compact ("64×56×56", batch left out); "" when unknown or several differ. */
  readonly label: string;
  /** Every tensor it stands for, full shapes, for a tooltip. */
  readonly tooltip: string;
}

/** An expanded group, drawn as a box around its children. */
export interface GraphClusterView {
  readonly id: string;
  readonly path: string;
  readonly parent: string | null;
}

export interface GraphView {
  readonly nodes: readonly GraphNodeView[];
  readonly edges: readonly GraphEdgeView[];
  readonly clusters: readonly GraphClusterView[];
  /** Node count before truncation, when more than the limit would have been drawn. */
  readonly truncatedFrom: number | null;
}

/** The initial view opens groups until at least this many nodes show... */
const MIN_INITIAL_NODES = 6;
/** ...but not if one expansion would show more than this. */
const AUTO_EXPAND_LIMIT = 150;

export const layerNodeId = (index: number): string => `l:${index}`;
export const groupNodeId = (path: string): string => `g:${path}`;
export const clusterId = (path: string): string => `c:${path}`;

export class GraphViewModel {
  readonly tree: ModuleTree;
  /** The table's exporter plumbing (findPlumbingRows): hidden unless showPlumbing. */
  readonly plumbing: ReadonlySet<number>;
  private readonly expanded = new Set<string>();
  private showPlumbingLayers = false;

  /** `tree`: the table's, when it already built one for the same analysis. */
  constructor(
    readonly analysis: ModelAnalysis,
    tree?: ModuleTree,
  ) {
    this.tree = tree ?? buildModuleTree(analysis.layers);
    this.plumbing = findPlumbingRows(analysis);
    this.batch = analysis.inputs[0]?.shape?.[0];
    this.expandUntilReadable();
  }

  /** The model input's first dim, left out of edge labels. */
  private readonly batch: Dim | undefined;

  get showPlumbing(): boolean {
    return this.showPlumbingLayers;
  }

  setShowPlumbing(show: boolean): void {
    this.showPlumbingLayers = show;
  }

  /**
   * Collapsing everything can leave a handful of boxes ("features" holding
   * all of DenseNet). Open the biggest group until the graph shows a few
   * nodes, unless that would flood it (a flat 5,000-layer wrapper).
   */
  private expandUntilReadable(): void {
    let count = this.build().nodes.length;
    while (count < MIN_INITIAL_NODES) {
      const groups = this.build().nodes.filter((n) => n.kind === "group");
      const biggest = groups.sort((a, b) => b.layerCount - a.layerCount)[0]?.groupPath;
      if (biggest === undefined) return;
      this.expanded.add(biggest);
      const next = this.build().nodes.length;
      if (next > AUTO_EXPAND_LIMIT && count > 1) {
        this.expanded.delete(biggest);
        return;
      }
      count = next;
    }
  }

  /** Opens every module group: each layer is drawn as its own node. */
  expandAll(): void {
    for (const path of this.tree.groups.keys()) this.expanded.add(path);
  }

  /** Back to the initial view. */
  collapseAll(): void {
    this.expanded.clear();
    this.expandUntilReadable();
  }

  isExpanded(path: string): boolean {
    return this.expanded.has(path);
  }

  expand(path: string): void {
    this.expanded.add(path);
  }

  /** Collapsing a group also forgets what was open inside it, so reopening starts tidy. */
  collapse(path: string): void {
    this.expanded.delete(path);
    const group = this.tree.groups.get(path);
    if (group === undefined) return;
    for (const index of group.layerIndexes) {
      for (const g of this.tree.chains.get(index) ?? [])
        if (g.depth > group.depth) this.expanded.delete(g.path);
    }
  }

  /**
   * A group alone (a breadcrumb's): it, the groups around it and what is open inside it stay
   * expanded; every other expansion is collapsed, so the layout gives the group the room.
   */
  focusGroup(path: string): void {
    const group = this.tree.groups.get(path);
    if (group === undefined) return;
    const around = new Set<string>();
    for (let g: ModuleGroup | null = group; g !== null; g = g.parent) around.add(g.path);
    const inside = (p: string): boolean => {
      for (let g = this.tree.groups.get(p)?.parent ?? null; g !== null; g = g.parent)
        if (g === group) return true;
      return false;
    };
    for (const p of [...this.expanded]) if (!around.has(p) && !inside(p)) this.expanded.delete(p);
    for (const p of around) this.expanded.add(p);
  }

  toggle(path: string): void {
    if (this.isExpanded(path)) this.collapse(path);
    else this.expand(path);
  }

  /** Opens every group around a layer so its own node is drawn. */
  revealLayer(index: number): void {
    for (const g of this.tree.chains.get(index) ?? []) this.expanded.add(g.path);
  }

  /** The outermost collapsed group holding the layer, or null when the layer itself is drawn. */
  private collapsedGroupOf(index: number): ModuleGroup | null {
    for (const g of this.tree.chains.get(index) ?? []) if (!this.expanded.has(g.path)) return g;
    return null;
  }

  /** Id of the node that currently stands for a layer (its own, or its collapsed group's). */
  nodeIdForLayer(index: number): string {
    const g = this.collapsedGroupOf(index);
    return g === null ? layerNodeId(index) : groupNodeId(g.path);
  }

  build(maxNodes = Infinity): GraphView {
    const nodes = new Map<string, GraphNodeView>();
    const clusters = new Map<string, GraphClusterView>();
    const hidden = this.showPlumbingLayers ? new Set<number>() : this.plumbing;
    const ordered = [...this.tree.layers.values()]
      .filter((l) => !hidden.has(l.index))
      .sort((a, b) => a.index - b.index);

    for (const layer of ordered) {
      const chain = this.tree.chains.get(layer.index) ?? [];
      let cluster: string | null = null;
      for (const g of chain) {
        if (!this.expanded.has(g.path)) break;
        if (!clusters.has(g.path)) {
          clusters.set(g.path, {
            id: clusterId(g.path),
            path: g.path,
            parent: cluster === null ? null : clusterId(cluster),
          });
        }
        cluster = g.path;
      }
      const collapsed = this.collapsedGroupOf(layer.index);
      const id = this.nodeIdForLayer(layer.index);
      if (nodes.has(id)) continue;
      if (collapsed === null) {
        const shape = formatShape(layer.outputs[0]?.shape);
        nodes.set(id, {
          id,
          kind: "layer",
          title: opLabel(layer),
          subtitle: layer.name,
          tooltip: `${layer.name}\n${opLabel(layer)} → ${shape}`,
          layerIndex: layer.index,
          cluster,
          firstIndex: layer.index,
          layerCount: 1,
          opKind: opKindOf(layer.opType, layer.layerType),
        });
      } else {
        const n = collapsed.layerIndexes.length;
        nodes.set(id, {
          id,
          kind: "group",
          title: collapsed.path,
          subtitle: `${n} layers · ${formatCount(collapsed.macs)} MACs`,
          tooltip: `${collapsed.path}: ${n} layers, ${formatCount(collapsed.params)} params, ${formatCount(collapsed.macs)} MACs\nClick to expand`,
          groupPath: collapsed.path,
          cluster,
          firstIndex: layer.index,
          layerCount: n,
          opKind: null,
        });
      }
    }

    let kept = [...nodes.values()];
    let truncatedFrom: number | null = null;
    if (kept.length > maxNodes) {
      truncatedFrom = kept.length;
      kept = kept.sort((a, b) => a.firstIndex - b.firstIndex).slice(0, maxNodes);
    }
    const keptIds = new Set(kept.map((n) => n.id));

    // Per drawn edge, the shapes of every tensor it stands for (merged edges of collapsed groups).
    const edgeShapes = new Map<string, { from: string; to: string; shapes: Set<string> }>();
    for (const layer of ordered) {
      const to = this.nodeIdForLayer(layer.index);
      for (const pred of layer.predecessors) {
        if (hidden.has(pred)) continue;
        const from = this.nodeIdForLayer(pred);
        if (from === to || !keptIds.has(from) || !keptIds.has(to)) continue;
        const key = `${from}\u0000${to}`;
        let entry = edgeShapes.get(key);
        if (entry === undefined) {
          entry = { from, to, shapes: new Set() };
          edgeShapes.set(key, entry);
        }
        const source = this.tree.layers.get(pred);
        for (const shape of source === undefined ? [undefined] : carriedShapes(source, layer))
          entry.shapes.add(shape === undefined ? "?" : JSON.stringify(shape));
      }
    }
    const edges = [...edgeShapes.values()].map(({ from, to, shapes }) => this.edgeView(from, to, shapes));

    // Only clusters that still hold a drawn node (truncation may empty some), plus their ancestors.
    const usedClusters = new Set<string>();
    for (const n of kept) {
      for (let c = n.cluster; c !== null; c = this.tree.groups.get(c)?.parent?.path ?? null) {
        if (usedClusters.has(c) || !clusters.has(c)) break;
        usedClusters.add(c);
      }
    }
    return {
      nodes: kept,
      edges,
      clusters: [...clusters.values()].filter((c) => usedClusters.has(c.path)),
      truncatedFrom,
    };
  }

  private edgeView(from: string, to: string, shapes: ReadonlySet<string>): GraphEdgeView {
    const parsed = [...shapes].map((s) => (s === "?" ? undefined : (JSON.parse(s) as Dim[])));
    const only = parsed.length === 1 ? parsed[0] : undefined;
    return {
      from,
      to,
      label: only === undefined ? "" : compactShape(only, this.batch),
      tooltip: parsed.map((s) => formatShape(s)).join("\n"),
    };
  }
}

/**
 * The shapes of the tensors `from` passes to `to`: its outputs that `to` reads, by name. A layer with one
 * output passes that one whatever the names say; otherwise an unmatched name stays unknown.
 */
function carriedShapes(from: LayerRow, to: LayerRow): (readonly Dim[] | undefined)[] {
  const read = new Set(to.inputs.map((v) => v.name));
  const matched = from.outputs.filter((v) => read.has(v.name));
  if (matched.length > 0) return matched.map((v) => v.shape ?? undefined);
  return from.outputs.length === 1 ? [from.outputs[0]?.shape ?? undefined] : [undefined];
}

/** "64×56×56" for 1×64×56×56: the leading batch dim (the model input's first dim) repeats on every edge. */
export function compactShape(shape: readonly Dim[], batch: Dim | undefined): string {
  const dropBatch = shape.length >= 2 && batch !== undefined && shape[0] === batch;
  return formatShape(dropBatch ? shape.slice(1) : shape);
}
