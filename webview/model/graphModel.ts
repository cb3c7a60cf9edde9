/**
 * The graph view as data: which nodes and edges to draw for the current set of
 * expanded module groups. A collapsed group stands for all its layers as one
 * node; edges are the layers' `predecessors` mapped onto the visible nodes,
 * dropping the ones inside a collapsed group and merging duplicates.
 *
 * Groups start collapsed so a 100-layer network opens as a readable chain of
 * stages (conv1 → layer1 → … → fc); the renderer lays out only what is here.
 */
import { opLabel, type ModelAnalysis } from "../../src/core/analysis/result";
import { formatCount, formatShape } from "./format";
import { buildModuleTree, type ModuleGroup, type ModuleTree } from "./moduleTree";
import { findConstantLayers } from "./plumbing";

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
}

export interface GraphEdgeView {
  readonly from: string;
  readonly to: string;
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
  /** Layers computing only from weights (see findConstantLayers); hidden unless showConstants. */
  readonly constants: ReadonlySet<number>;
  private readonly expanded = new Set<string>();
  private showConstantLayers = false;

  /** `tree`: the table's, when it already built one for the same analysis. */
  constructor(
    readonly analysis: ModelAnalysis,
    tree?: ModuleTree,
  ) {
    this.tree = tree ?? buildModuleTree(analysis.layers);
    this.constants = findConstantLayers(analysis);
    this.expandUntilReadable();
  }

  get showConstants(): boolean {
    return this.showConstantLayers;
  }

  setShowConstants(show: boolean): void {
    this.showConstantLayers = show;
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
    const hidden = this.showConstantLayers ? new Set<number>() : this.constants;
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

    const edges: GraphEdgeView[] = [];
    const seen = new Set<string>();
    for (const layer of ordered) {
      const to = this.nodeIdForLayer(layer.index);
      for (const pred of layer.predecessors) {
        if (hidden.has(pred)) continue;
        const from = this.nodeIdForLayer(pred);
        const key = `${from}\u0000${to}`;
        if (from === to || seen.has(key) || !keptIds.has(from) || !keptIds.has(to)) continue;
        seen.add(key);
        edges.push({ from, to });
      }
    }

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
}
