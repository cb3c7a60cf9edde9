/**
 * The graph's breadcrumb: when the view is zoomed into expanded groups, the path of groups it
 * is inside (`layer1 › 0`), outermost first, so a reader deep in a 1,000-node graph knows
 * where they are; a crumb shows its group alone (GraphViewModel.focusGroup) and fits the view on
 * it (fitBox). Pure: the renderer (webview/graphBreadcrumb.ts) draws it after every pan and zoom.
 */
import type { Box, GraphLayout } from "./graphLayout";
import type { GraphClusterView } from "./graphModel";

export interface Crumb {
  /** The group's path relative to the crumb before it ("0" under "layer1"). */
  readonly label: string;
  /** The group's full module path (its tooltip). */
  readonly path: string;
  /** The cluster's id in the layout, to fit the view on. */
  readonly clusterId: string;
}

/** The part of the graph in view, in layout coordinates. */
export interface ViewRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const contains = (b: Box, x: number, y: number): boolean =>
  x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height;

/** Whether the view shows `b` only in part (it is zoomed into it), not the whole of it. */
const zoomedInto = (b: Box, v: ViewRect): boolean =>
  v.x > b.x || v.y > b.y || v.x + v.width < b.x + b.width || v.y + v.height < b.y + b.height;

/**
 * The expanded groups whose box holds the centre of the view, outermost first, when the view is
 * zoomed in (shows the graph only in part); empty when the whole graph is in view (every group
 * can be seen with its label) or the centre is over no group.
 */
export function graphBreadcrumb(
  clusters: readonly GraphClusterView[],
  layout: Pick<GraphLayout, "boxes" | "width" | "height">,
  view: ViewRect,
): Crumb[] {
  const boxes = layout.boxes;
  if (!zoomedInto({ x: 0, y: 0, width: layout.width, height: layout.height }, view)) return [];
  const cx = view.x + view.width / 2;
  const cy = view.y + view.height / 2;
  const byId = new Map(clusters.map((c) => [c.id, c] as const));
  // The innermost cluster under the centre: the one with the most ancestors among those under it.
  const depth = (c: GraphClusterView): number => {
    let d = 0;
    for (let p = c.parent; p !== null; p = byId.get(p)?.parent ?? null) d++;
    return d;
  };
  let inner: GraphClusterView | null = null;
  for (const c of clusters) {
    const box = boxes.get(c.id);
    if (box !== undefined && contains(box, cx, cy) && (inner === null || depth(c) > depth(inner))) inner = c;
  }
  if (inner === null) return [];
  const chain: GraphClusterView[] = [];
  for (let c: GraphClusterView | undefined = inner; c !== undefined; c = byId.get(c.parent ?? ""))
    chain.unshift(c);
  return chain.map((c, i) => {
    const outer = chain[i - 1]?.path;
    const relative = outer !== undefined && c.path.startsWith(`${outer}.`);
    return { label: relative ? c.path.slice(outer.length + 1) : c.path, path: c.path, clusterId: c.id };
  });
}

/** Pan and zoom of the graph: a layout point p is drawn at p × k + (x, y). */
export interface ViewTransform {
  readonly x: number;
  readonly y: number;
  readonly k: number;
}

/**
 * The transform that shows the whole of `box` in a `view` (its size on screen), centred, `margin`
 * pixels clear of the edges: zoomed to fit, never above `maxZoom` (a small group is not blown up)
 * nor below `minZoom` (text stays readable); a box too big at `minZoom` starts at its top-left
 * on the axis it overflows, as a reader starts a graph.
 */
export function fitBox(
  box: Box,
  view: { readonly width: number; readonly height: number },
  zoom: { readonly min: number; readonly max: number },
  margin = 16,
): ViewTransform {
  const room = { width: Math.max(1, view.width - 2 * margin), height: Math.max(1, view.height - 2 * margin) };
  const fits = Math.min(room.width / Math.max(box.width, 1), room.height / Math.max(box.height, 1));
  const k = Math.min(zoom.max, Math.max(zoom.min, fits));
  const along = (start: number, size: number, screen: number, roomSize: number): number =>
    size * k <= roomSize ? (screen - size * k) / 2 - start * k : margin - start * k;
  return {
    x: along(box.x, box.width, view.width, room.width),
    y: along(box.y, box.height, view.height, room.height),
    k,
  };
}
