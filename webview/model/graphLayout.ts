/**
 * Positions for a GraphView: dagre's layered layout, without the DOM, so the
 * renderer, the unit tests and the bench (scripts/benchGraph.ts) run the same
 * code. One dagre run per expanded group (see GraphLayouter), cached by what
 * the group holds.
 */
import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import { clusterId, type GraphView } from "./graphModel";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphLayout {
  /** Top-left boxes of nodes ("l:…", "g:…") and clusters ("c:…"). */
  readonly boxes: ReadonlyMap<string, Box>;
  /** dagre's route for each edge, in view.edges order. */
  readonly edgePoints: readonly (readonly Point[])[];
  /** Where each edge's label sits (the middle of its route), in view.edges order. */
  readonly labelPoints: readonly (Point | null)[];
  readonly width: number;
  readonly height: number;
  /** Per edge: true when it is drawn as an arc (a cubic Bézier's four points) rather than dagre's route. */
  readonly arcs: readonly boolean[];
}

export const LAYER_SIZE = { width: 170, height: 42 } as const;
export const GROUP_SIZE = { width: 200, height: 46 } as const;
/** Vertical room between ranks: enough for an edge label ("512×14×14") between two nodes. */
const RANK_SEP = 52;
const NODE_SEP = 28;
const MARGIN = 24;
/** Room inside a cluster's box: its label on top, a frame on the other sides. */
const PAD = { top: 26, side: 12, bottom: 12 } as const;
/**
 * Edges spanning more ranks than this are drawn as arcs beside the column instead of being routed by dagre:
 * DenseNet's concatenations feed every later layer, and routing those (one dummy node per rank crossed) takes
 * dagre minutes. An edge that decides its target's rank always spans one and is always routed.
 */
export const MAX_ROUTED_SPAN = 1;

/** The nodes and sub-clusters directly inside one cluster (or the top level), laid out on their own. */
interface Container {
  readonly id: string | null;
  readonly children: string[];
  /** Edges between children, lifted from the edges of the layers inside them. */
  readonly edges: Map<string, { from: string; to: string }>;
}

interface InnerLayout {
  readonly positions: ReadonlyMap<string, Box>;
  readonly routes: ReadonlyMap<string, readonly Point[]>;
  readonly width: number;
  readonly height: number;
}

const edgeKey = (from: string, to: string): string => `${from}>${to}`;

/**
 * A chain (each child feeding the next, nothing else) is a column: dagre would put it there too, at a cost
 * of several milliseconds per call, and GoogLeNet's branches are ninety such chains.
 */
function layoutChain(
  sorted: readonly string[],
  sizes: ReadonlyMap<string, { width: number; height: number }>,
  edges: readonly { from: string; to: string }[],
  margin: number,
): InnerLayout | null {
  if (edges.length !== sorted.length - 1) return null;
  const next = new Map(edges.map((e) => [e.from, e.to]));
  for (let i = 0; i + 1 < sorted.length; i++) if (next.get(sorted[i]!) !== sorted[i + 1]) return null;
  const width = Math.max(0, ...sorted.map((id) => sizes.get(id)?.width ?? 0));
  const positions = new Map<string, Box>();
  const routes = new Map<string, readonly Point[]>();
  let y = margin;
  let previous: Box | null = null;
  for (const id of sorted) {
    const size = sizes.get(id) ?? { width: 0, height: 0 };
    const box = { x: margin + (width - size.width) / 2, y, width: size.width, height: size.height };
    positions.set(id, box);
    if (previous !== null) {
      const x = margin + width / 2;
      routes.set(edgeKey(sorted[sorted.indexOf(id) - 1]!, id), [
        { x, y: previous.y + previous.height },
        { x, y: box.y },
      ]);
    }
    previous = box;
    y += size.height + RANK_SEP;
  }
  return { positions, routes, width: width + 2 * margin, height: y - RANK_SEP + margin };
}

/** Lays out one container's children with dagre (flat, no compound nesting) at the sizes given. */
function layoutContainer(
  children: readonly string[],
  sizes: ReadonlyMap<string, { width: number; height: number }>,
  edges: readonly { from: string; to: string }[],
  order: ReadonlyMap<string, number>,
  margin: number,
): InnerLayout {
  const sorted = [...children].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const chain = layoutChain(sorted, sizes, edges, margin);
  if (chain !== null) return chain;
  // Longest-path ranks in execution order: which edges are short enough to route.
  const rank = new Map<string, number>();
  const byTarget = new Map<string, string[]>();
  for (const e of edges) byTarget.set(e.to, [...(byTarget.get(e.to) ?? []), e.from]);
  for (const id of sorted) {
    let r = 0;
    for (const from of byTarget.get(id) ?? [])
      if ((order.get(from) ?? 0) < (order.get(id) ?? 0)) r = Math.max(r, (rank.get(from) ?? 0) + 1);
    rank.set(id, r);
  }
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: margin, marginy: margin });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of sorted) g.setNode(id, { ...sizes.get(id) });
  const routed = edges.filter(
    (e) => Math.abs((rank.get(e.to) ?? 0) - (rank.get(e.from) ?? 0)) <= MAX_ROUTED_SPAN,
  );
  for (const e of routed) g.setEdge(e.from, e.to);
  dagreLayout(g);
  const positions = new Map<string, Box>();
  for (const id of sorted) {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    positions.set(id, { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height });
  }
  const routes = new Map<string, readonly Point[]>();
  for (const e of routed) {
    const points = (g.edge(e.from, e.to) as { points?: Point[] } | undefined)?.points;
    if (points !== undefined) routes.set(edgeKey(e.from, e.to), points);
  }
  const graph = g.graph() as { width?: number; height?: number };
  return { positions, routes, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** An arc beside the column from the bottom of one box to the top of another, as cubic Bézier points. */
function arc(from: Box, to: Box): Point[] {
  const start = { x: from.x + from.width / 2, y: from.y + from.height };
  const end = { x: to.x + to.width / 2, y: to.y };
  const bulge =
    Math.max(from.x + from.width, to.x + to.width) + 24 + Math.min(Math.abs(end.y - start.y) / 12, 80);
  const dy = end.y - start.y;
  return [start, { x: bulge, y: start.y + dy * 0.2 }, { x: bulge, y: end.y - dy * 0.2 }, end];
}

/**
 * Lays out every expanded group on its own, innermost first, and places the groups' boxes in their parent's
 * layout: each dagre run sees only one level (tens of nodes), and a group whose contents did not change
 * keeps its layout from `cache` (expanding one group re-runs only the groups around it).
 */
export class GraphLayouter {
  private readonly cache = new Map<string, InnerLayout>();

  /** Inner layouts computed (not taken from the cache) by the last layout() call. */
  computed = 0;

  layout(view: GraphView): GraphLayout {
    this.computed = 0;
    const containers = new Map<string | null, Container>();
    const container = (id: string | null): Container => {
      let c = containers.get(id);
      if (c === undefined) {
        c = { id, children: [], edges: new Map() };
        containers.set(id, c);
      }
      return c;
    };
    const parentOf = new Map<string, string | null>();
    const order = new Map<string, number>();
    container(null);
    for (const c of view.clusters) {
      parentOf.set(c.id, c.parent);
      container(c.parent).children.push(c.id);
      container(c.id);
    }
    for (const n of view.nodes) {
      const parent = n.cluster === null ? null : clusterId(n.cluster);
      parentOf.set(n.id, parent);
      container(parent).children.push(n.id);
      order.set(n.id, n.firstIndex);
      // A cluster sorts where its first layer runs.
      for (let c = parent; c !== null; c = parentOf.get(c) ?? null)
        order.set(c, Math.min(order.get(c) ?? Infinity, n.firstIndex));
    }
    const chain = (id: string): string[] => {
      const out = [id];
      for (let c = parentOf.get(id) ?? null; c !== null; c = parentOf.get(c) ?? null) out.unshift(c);
      return out;
    };
    // Each edge lifted to the level where its two ends part: [container, child holding from, child holding
    // to].
    const lifted = view.edges.map((e) => {
      const a = chain(e.from);
      const b = chain(e.to);
      let i = 0;
      while (i < a.length - 1 && i < b.length - 1 && a[i] === b[i]) i++;
      const owner = i === 0 ? null : a[i - 1]!;
      const from = a[i]!;
      const to = b[i]!;
      if (from !== to) container(owner).edges.set(edgeKey(from, to), { from, to });
      return { owner, from, to };
    });

    // Innermost first: a cluster's size is known once its children are laid out.
    const depth = (id: string | null): number => (id === null ? 0 : chain(id).length);
    const inner = new Map<string | null, InnerLayout>();
    const sizes = new Map<string, { width: number; height: number }>();
    for (const n of view.nodes) sizes.set(n.id, { ...(n.kind === "group" ? GROUP_SIZE : LAYER_SIZE) });
    const levels = [...containers.values()].sort((a, b) => depth(b.id) - depth(a.id));
    for (const c of levels) {
      const edges = [...c.edges.values()];
      const margin = c.id === null ? MARGIN : 0;
      const key = [
        margin,
        c.children.map((id) => `${id}:${sizes.get(id)?.width}x${sizes.get(id)?.height}`).join(","),
        edges.map((e) => edgeKey(e.from, e.to)).join(","),
      ].join("|");
      let laid = this.cache.get(key);
      if (laid === undefined) {
        laid = layoutContainer(c.children, sizes, edges, order, margin);
        this.cache.set(key, laid);
        this.computed++;
      }
      inner.set(c.id, laid);
      if (c.id !== null)
        sizes.set(c.id, { width: laid.width + 2 * PAD.side, height: laid.height + PAD.top + PAD.bottom });
    }

    // Outermost first: place each container's children at its origin.
    const boxes = new Map<string, Box>();
    const origins = new Map<string | null, Point>([[null, { x: 0, y: 0 }]]);
    for (const c of [...levels].reverse()) {
      const origin = origins.get(c.id) ?? { x: 0, y: 0 };
      for (const [id, p] of inner.get(c.id)?.positions ?? []) {
        const box = { x: origin.x + p.x, y: origin.y + p.y, width: p.width, height: p.height };
        boxes.set(id, box);
        if (containers.has(id)) origins.set(id, { x: box.x + PAD.side, y: box.y + PAD.top });
      }
    }

    const arcs: boolean[] = [];
    const edgePoints = view.edges.map((e, i) => {
      const { owner, from, to } = lifted[i]!;
      const origin = origins.get(owner) ?? { x: 0, y: 0 };
      const route = inner.get(owner)?.routes.get(edgeKey(from, to));
      const source = boxes.get(e.from);
      const target = boxes.get(e.to);
      if (source === undefined || target === undefined) {
        arcs.push(false);
        return [];
      }
      if (route === undefined) {
        arcs.push(true);
        return arc(source, target);
      }
      arcs.push(false);
      const points = route.map((p) => ({ x: origin.x + p.x, y: origin.y + p.y }));
      // Inside a cluster, continue from the layer itself to where the route leaves the cluster's box.
      if (from !== e.from) points.unshift({ x: source.x + source.width / 2, y: source.y + source.height });
      if (to !== e.to) points.push({ x: target.x + target.width / 2, y: target.y });
      return points;
    });
    const top = inner.get(null);
    return {
      boxes,
      edgePoints,
      arcs,
      labelPoints: edgePoints.map((p, i) => (arcs[i] === true ? bezierMidpoint(p) : midpoint(p))),
      width: top?.width ?? 0,
      height: top?.height ?? 0,
    };
  }
}

/** The point halfway along a polyline (by length), where an edge label reads as belonging to it. */
export function midpoint(points: readonly Point[]): Point | null {
  if (points.length === 0) return null;
  let left = 0;
  for (let i = 1; i < points.length; i++)
    left += Math.hypot(points[i]!.x - points[i - 1]!.x, points[i]!.y - points[i - 1]!.y);
  left /= 2;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const step = Math.hypot(b.x - a.x, b.y - a.y);
    if (step >= left && step > 0)
      return { x: a.x + ((b.x - a.x) * left) / step, y: a.y + ((b.y - a.y) * left) / step };
    left -= step;
  }
  return points[points.length - 1]!;
}

/** The point at t = ½ of a cubic Bézier given as [start, control, control, end]. */
function bezierMidpoint(p: readonly Point[]): Point | null {
  const [a, b, c, d] = p;
  if (a === undefined || b === undefined || c === undefined || d === undefined) return null;
  return { x: (a.x + 3 * b.x + 3 * c.x + d.x) / 8, y: (a.y + 3 * b.y + 3 * c.y + d.y) / 8 };
}

export function layoutGraph(view: GraphView): GraphLayout {
  return new GraphLayouter().layout(view);
}

/** A polyline through dagre's points with the corners rounded by quadratic curves. */
function smoothPath(points: readonly { x: number; y: number }[]): string {
  const first = points[0];
  if (first === undefined) return "";
  let d = `M${first.x},${first.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const q = points[i + 1]!;
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = points[points.length - 1]!;
  return points.length > 1 ? `${d} L${last.x},${last.y}` : d;
}

/** A cubic Bézier from [start, control, control, end]. */
function bezierPath(points: readonly { x: number; y: number }[]): string {
  const [a, b, c, d] = points;
  if (a === undefined || b === undefined || c === undefined || d === undefined) return smoothPath(points);
  return `M${a.x},${a.y} C${b.x},${b.y} ${c.x},${c.y} ${d.x},${d.y}`;
}

/** SVG path data for an edge: dagre's route smoothed, or an arc's Bézier. */
export function edgePathData(points: readonly Point[], arc: boolean): string {
  return arc ? bezierPath(points) : smoothPath(points);
}
