/**
 * How the Graph tab draws a laid-out GraphView as SVG: the canvas with its arrow marker, then
 * clusters, edges, nodes and edge labels. Pure rendering: pan, zoom and clicks are graph.ts's.
 */
import { svg } from "./dom";
import { edgePathData, type GraphLayout, type GraphView } from "./viewModel";

/** The SVG canvas around `viewport` (the group pan and zoom transform). */
export function graphCanvas(viewport: SVGGElement): SVGSVGElement {
  return svg(
    "svg",
    { class: "graph-canvas", role: "img", "aria-label": "Layer graph" },
    svg(
      "defs",
      {},
      svg(
        "marker",
        {
          id: "arrow",
          viewBox: "0 0 10 10",
          refX: "10",
          refY: "5",
          markerWidth: "7",
          markerHeight: "7",
          orient: "auto-start-reverse",
        },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }),
      ),
    ),
    viewport,
  );
}

/** Keeps the tail of module paths ("…layer1.0.conv1"), the head of everything else. */
function fit(text: string, width: number, tail: boolean): string {
  const max = Math.floor((width - 20) / 6.6);
  if (text.length <= max) return text;
  return tail ? `…${text.slice(text.length - max + 1)}` : `${text.slice(0, max - 1)}…`;
}

/** A drawn graph: its layers, bottom to top, and each node's element by node id. */
export interface DrawnGraph {
  readonly layers: readonly SVGGElement[];
  readonly nodes: ReadonlyMap<string, SVGGElement>;
}

export function drawGraph(view: GraphView, layout: GraphLayout): DrawnGraph {
  const nodeEls = new Map<string, SVGGElement>();
  const clusters = svg("g", { class: "clusters" });
  for (const c of view.clusters) {
    const box = layout.boxes.get(c.id);
    if (box === undefined) continue;
    clusters.append(
      svg(
        "g",
        { class: "cluster", "data-cluster": c.path, tabindex: "0" },
        svg("title", {}, `${c.path}: click the label to collapse`),
        svg("rect", {
          x: String(box.x),
          y: String(box.y),
          width: String(box.width),
          height: String(box.height),
          rx: "6",
        }),
        svg("text", { x: String(box.x + 8), y: String(box.y + 16), class: "cluster-label" }, `▾ ${c.path}`),
      ),
    );
  }
  const edges = svg("g", { class: "edges" });
  const labels = svg("g", { class: "edge-labels" });
  view.edges.forEach((e, i) => {
    const points = layout.edgePoints[i] ?? [];
    const arc = layout.arcs[i] === true;
    edges.append(
      svg("path", {
        d: edgePathData(points, arc),
        class: arc ? "arc" : undefined,
        "marker-end": "url(#arrow)",
      }),
    );
    const at = layout.labelPoints[i];
    // Arcs carry a tensor some routed edge already shows: DenseNet would drown in repeated labels.
    if (arc || at === null || at === undefined || e.label === "") return;
    labels.append(
      svg(
        "g",
        { class: "edge-label", "data-testid": "edge-label" },
        svg("title", {}, e.tooltip),
        svg("text", { x: String(at.x + 5), y: String(at.y + 4) }, e.label),
      ),
    );
  });
  const nodes = svg("g", { class: "nodes" });
  for (const n of view.nodes) {
    const box = layout.boxes.get(n.id);
    if (box === undefined) continue;
    const el = svg(
      "g",
      {
        class: `node ${n.kind}${n.opKind === null ? "" : ` kind-${n.opKind}`}`,
        transform: `translate(${box.x},${box.y})`,
        tabindex: "0",
        "data-node-id": n.id,
        "data-node-layer": n.layerIndex === undefined ? undefined : String(n.layerIndex),
        "data-node-group": n.groupPath,
      },
      svg("title", {}, n.tooltip),
      svg("rect", {
        width: String(box.width),
        height: String(box.height),
        rx: n.kind === "group" ? "8" : "4",
      }),
      n.opKind === null
        ? null
        : svg("rect", { class: "kind-bar", width: "5", height: String(box.height), rx: "2" }),
      svg("text", { x: "10", y: "17", class: "node-title" }, fit(n.title, box.width, n.kind === "group")),
      svg(
        "text",
        { x: "10", y: "33", class: "node-subtitle" },
        fit(n.subtitle, box.width, n.kind === "layer"),
      ),
      n.kind === "group"
        ? svg("text", { x: String(box.width - 18), y: "17", class: "expand-mark" }, "+")
        : null,
    );
    nodeEls.set(n.id, el);
    nodes.append(el);
  }
  return { layers: [clusters, edges, nodes, labels], nodes: nodeEls };
}
