/**
 * The Graph tab: GraphViewModel laid out with dagre and drawn as SVG.
 *
 * Layout runs only when the tab is visible and again after a group is
 * expanded or collapsed; the node count is capped because dagre needs about a
 * second per thousand nodes on the webview's main thread. Wheel zooms around
 * the pointer, dragging pans; a click that ends a drag is ignored.
 */
import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import { h, svg } from "./dom";
import { clusterId, groupNodeId, type GraphView, type GraphViewModel } from "./viewModel";

const MAX_NODES = 600;
const LAYER_SIZE = { width: 170, height: 42 } as const;
const GROUP_SIZE = { width: 200, height: 46 } as const;
const DRAG_THRESHOLD = 4;
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 3;
/** Initial view never zooms out below this: a readable top of a big graph beats an unreadable whole. */
const READABLE_ZOOM = 0.85;

export interface GraphCallbacks {
  onSelect(index: number): void;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Keeps the tail of module paths ("…layer1.0.conv1"), the head of everything else. */
function fit(text: string, width: number, tail: boolean): string {
  const max = Math.floor((width - 20) / 6.6);
  if (text.length <= max) return text;
  return tail ? `…${text.slice(text.length - max + 1)}` : `${text.slice(0, max - 1)}…`;
}

export class GraphPanel {
  readonly element: HTMLElement;
  private readonly canvas: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly notice: HTMLElement;
  private readonly nodeEls = new Map<string, SVGGElement>();
  private readonly boxes = new Map<string, Box>();
  /** dagre's route for each edge of the current view, in view.edges order. */
  private edgePoints: { x: number; y: number }[][] = [];
  private bounds = { width: 0, height: 0 };
  private transform = { x: 0, y: 0, k: 1 };
  private laidOut = false;
  private visible = false;
  private selected: number | null = null;
  private drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
  private suppressClick = false;

  constructor(
    private readonly model: GraphViewModel,
    private readonly callbacks: GraphCallbacks,
  ) {
    const fitButton = h("vscode-button", { secondary: "", title: "Fit the whole graph in view" }, "Fit");
    const collapseButton = h(
      "vscode-button",
      { secondary: "", title: "Collapse every module group" },
      "Collapse all",
    );
    fitButton.addEventListener("click", () => this.fitToView(false));
    collapseButton.addEventListener("click", () => {
      this.model.collapseAll();
      this.relayout(null);
    });
    this.notice = h("span", { class: "graph-notice" });
    const constantCount = this.model.constants.size;
    const constantsToggle = h("input", { type: "checkbox", "data-testid": "graph-show-constants" });
    constantsToggle.addEventListener("change", () => {
      this.model.setShowConstants(constantsToggle.checked);
      this.relayout(null);
    });
    const constantsLabel =
      constantCount === 0
        ? null
        : h(
            "label",
            {
              class: "toggle",
              title:
                "Layers that compute only from weights (e.g. Identity nodes an exporter put in front of parameters)",
            },
            constantsToggle,
            ` Weight-only layers (${constantCount})`,
          );
    this.viewport = svg("g", { class: "viewport" });
    this.canvas = svg(
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
      this.viewport,
    );
    this.element = h(
      "div",
      { class: "graph", "data-testid": "graph" },
      h(
        "div",
        { class: "toolbar" },
        fitButton,
        collapseButton,
        constantsLabel,
        h("span", { class: "hint" }, "Click a group to expand it · drag to pan · wheel to zoom"),
        this.notice,
      ),
      h("div", { class: "graph-frame" }, this.canvas),
    );
    this.bindPanZoom();
  }

  /** Called when the tab becomes visible; lays out on first show. */
  show(): void {
    this.visible = true;
    if (!this.laidOut) {
      this.relayout(null);
      this.fitToView(true);
    }
  }

  hide(): void {
    this.visible = false;
  }

  setSelected(index: number | null, center: boolean): void {
    this.selected = index;
    for (const el of this.nodeEls.values()) el.classList.remove("selected");
    if (index === null) return;
    const id = this.model.nodeIdForLayer(index);
    this.nodeEls.get(id)?.classList.add("selected");
    if (center && this.visible) this.centerOn(id, true);
  }

  private relayout(focus: string | null): void {
    const view = this.model.build(MAX_NODES);
    this.notice.textContent =
      view.truncatedFrom === null
        ? ""
        : `Showing the first ${view.nodes.length} of ${view.truncatedFrom} nodes: collapse groups to see the rest.`;
    this.layout(view);
    this.draw(view);
    this.laidOut = true;
    this.setSelected(this.selected, false);
    if (focus !== null) this.centerOn(focus, false);
  }

  private layout(view: GraphView): void {
    const run = (compound: boolean): graphlib.Graph => {
      const g = new graphlib.Graph({ compound, multigraph: false });
      g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 44, marginx: 24, marginy: 24 });
      g.setDefaultEdgeLabel(() => ({}));
      for (const n of view.nodes) g.setNode(n.id, { ...(n.kind === "group" ? GROUP_SIZE : LAYER_SIZE) });
      if (compound) {
        for (const c of view.clusters) g.setNode(c.id, {});
        for (const c of view.clusters) if (c.parent !== null) g.setParent(c.id, c.parent);
        for (const n of view.nodes) if (n.cluster !== null) g.setParent(n.id, clusterId(n.cluster));
      }
      for (const e of view.edges) g.setEdge(e.from, e.to);
      dagreLayout(g);
      return g;
    };
    let g: graphlib.Graph;
    try {
      g = run(view.clusters.length > 0);
    } catch {
      // dagre's compound layout can fail on unusual nestings; boxes are a nicety, the graph is not.
      g = run(false);
    }
    this.boxes.clear();
    for (const id of g.nodes()) {
      const n = g.node(id) as { x?: number; y?: number; width?: number; height?: number } | undefined;
      if (n?.x === undefined || n.y === undefined) continue;
      const width = n.width ?? 0;
      const height = n.height ?? 0;
      this.boxes.set(id, { x: n.x - width / 2, y: n.y - height / 2, width, height });
    }
    this.edgePoints = view.edges.map(
      (e) => (g.edge(e.from, e.to) as { points?: { x: number; y: number }[] } | undefined)?.points ?? [],
    );
    const label = g.graph() as { width?: number; height?: number };
    this.bounds = { width: label.width ?? 0, height: label.height ?? 0 };
  }

  private draw(view: GraphView): void {
    this.nodeEls.clear();
    const layer = svg("g", { class: "clusters" });
    for (const c of view.clusters) {
      const box = this.boxes.get(c.id);
      if (box === undefined) continue;
      const label = svg(
        "text",
        { x: String(box.x + 8), y: String(box.y + 15), class: "cluster-label" },
        `▾ ${c.path}`,
      );
      const el = svg(
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
        label,
      );
      layer.append(el);
    }
    const edges = svg("g", { class: "edges" });
    for (const points of this.edgePoints)
      edges.append(svg("path", { d: smoothPath(points), "marker-end": "url(#arrow)" }));
    const nodes = svg("g", { class: "nodes" });
    for (const n of view.nodes) {
      const box = this.boxes.get(n.id);
      if (box === undefined) continue;
      const el = svg(
        "g",
        {
          class: `node ${n.kind}`,
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
      this.nodeEls.set(n.id, el);
      nodes.append(el);
    }
    this.viewport.replaceChildren(layer, edges, nodes);
  }

  private activate(target: Element): void {
    const node = target.closest("[data-node-id]");
    const layerIndex = node?.getAttribute("data-node-layer");
    const group = node?.getAttribute("data-node-group");
    if (layerIndex !== null && layerIndex !== undefined) {
      this.callbacks.onSelect(Number(layerIndex));
    } else if (group !== null && group !== undefined) {
      this.model.expand(group);
      this.relayout(clusterId(group));
    } else {
      const cluster = target.closest("[data-cluster]")?.getAttribute("data-cluster");
      if (cluster !== null && cluster !== undefined && target.closest(".cluster-label, title") !== null) {
        this.model.collapse(cluster);
        this.relayout(groupNodeId(cluster));
      }
    }
  }

  private bindPanZoom(): void {
    this.canvas.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const rect = this.canvas.getBoundingClientRect();
        this.zoomAt(e.clientX - rect.left, e.clientY - rect.top, Math.exp(-e.deltaY * 0.0015));
      },
      { passive: false },
    );
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.drag = { x: e.clientX, y: e.clientY, tx: this.transform.x, ty: this.transform.y, moved: false };
    });
    this.canvas.addEventListener("pointermove", (e) => {
      const d = this.drag;
      if (d === null) return;
      const dx = e.clientX - d.x;
      const dy = e.clientY - d.y;
      if (!d.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
      if (!d.moved) this.canvas.setPointerCapture(e.pointerId);
      d.moved = true;
      this.canvas.classList.add("panning");
      this.setTransform(d.tx + dx, d.ty + dy, this.transform.k);
    });
    const end = (): void => {
      this.suppressClick = this.drag?.moved ?? false;
      this.drag = null;
      this.canvas.classList.remove("panning");
    };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
    this.canvas.addEventListener("click", (e) => {
      if (this.suppressClick) {
        this.suppressClick = false;
        return;
      }
      if (e.target instanceof Element) this.activate(e.target);
    });
    this.canvas.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && e.target instanceof Element) {
        e.preventDefault();
        this.activate(
          e.target.closest(".cluster") !== null
            ? (e.target.querySelector(".cluster-label") ?? e.target)
            : e.target,
        );
      }
    });
  }

  private zoomAt(px: number, py: number, factor: number): void {
    const { x, y, k } = this.transform;
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k * factor));
    // Keep the graph point under the pointer fixed while zooming.
    this.setTransform(px - ((px - x) * next) / k, py - ((py - y) * next) / k, next);
  }

  private setTransform(x: number, y: number, k: number): void {
    this.transform = { x, y, k };
    this.viewport.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
  }

  /** `initial`: never shrink below a readable zoom; show the top of the graph instead. */
  private fitToView(initial: boolean): void {
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (w === 0 || h === 0 || this.bounds.width === 0) return;
    let k = Math.min(w / this.bounds.width, h / this.bounds.height, 1);
    if (initial) k = Math.max(k, Math.min(READABLE_ZOOM, 1));
    const x = (w - this.bounds.width * k) / 2;
    const y = this.bounds.height * k <= h ? (h - this.bounds.height * k) / 2 : 0;
    this.setTransform(x, y, k);
  }

  /** Pans (keeping the zoom) so a node or cluster is centred; `onlyIfHidden` skips nodes already in view. */
  private centerOn(id: string, onlyIfHidden: boolean): void {
    const box = this.boxes.get(id);
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (box === undefined || w === 0) return;
    const { x, y, k } = this.transform;
    const left = box.x * k + x;
    const top = box.y * k + y;
    const inView = left >= 0 && top >= 0 && left + box.width * k <= w && top + box.height * k <= h;
    if (onlyIfHidden && inView) return;
    // A box bigger than the view (a freshly expanded group) is shown from its top-left, not its middle.
    const margin = 16;
    const tx = box.width * k > w ? margin - box.x * k : w / 2 - (box.x + box.width / 2) * k;
    const ty = box.height * k > h ? margin - box.y * k : h / 2 - (box.y + box.height / 2) * k;
    this.setTransform(tx, ty, k);
  }
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
