/**
 * The Graph tab: GraphViewModel laid out per expanded group (GraphLayouter)
 * and drawn as SVG (graphDraw.ts), with a toolbar (expand / collapse all, search, plumbing
 * toggle, op-kind legend) and a minimap.
 *
 * Layout runs only when the tab is visible and again after groups open or
 * close; layouts of unchanged groups come from the layouter's cache. Wheel
 * zooms around the pointer, dragging pans; a click that ends a drag is ignored.
 */
import { h, svg } from "./dom";
import { drawGraph, graphCanvas } from "./graphDraw";
import { GraphBreadcrumbBar } from "./graphBreadcrumb";
import { GraphMinimap } from "./graphMinimap";
import { renderGraphToolbar, type GraphToolbar } from "./graphToolbar";
import {
  clusterId,
  fitBox,
  GraphLayouter,
  GraphSearch,
  groupNodeId,
  type GraphLayout,
  type GraphView,
  type GraphViewModel,
} from "./viewModel";

/** Above this many nodes the view is cut (in execution order) and says so. */
const MAX_NODES = 1500;
const DRAG_THRESHOLD = 4;
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 3;
/** Fit never zooms out below this: a readable column to scroll beats an unreadable whole. */
const READABLE_ZOOM = 0.6;

export interface GraphCallbacks {
  onSelect(index: number): void;
  /** The plumbing toggle changed (the app remembers it). */
  onShowPlumbingChange(show: boolean): void;
}

export class GraphPanel {
  readonly element: HTMLElement;
  private readonly canvas: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly toolbar: GraphToolbar;
  private readonly minimap: GraphMinimap;
  private readonly breadcrumb: GraphBreadcrumbBar;
  private readonly layouter = new GraphLayouter();
  private readonly search: GraphSearch;
  private readonly nodeEls = new Map<string, SVGGElement>();
  private layoutResult: GraphLayout | null = null;
  private viewResult: GraphView | null = null;
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
    this.search = new GraphSearch(model);
    this.toolbar = renderGraphToolbar(model.plumbing.size, model.showPlumbing, {
      fit: () => this.fitToView(),
      expandAll: () => {
        this.model.expandAll();
        this.relayout(null);
        this.fitToView();
      },
      collapseAll: () => {
        this.model.collapseAll();
        this.relayout(null);
        this.fitToView();
      },
      showPlumbing: (show) => {
        this.model.setShowPlumbing(show);
        this.search.setQuery(this.search.text);
        this.relayout(null);
        this.callbacks.onShowPlumbingChange(show);
      },
      search: (query) => {
        this.search.setQuery(query);
        this.markMatches();
      },
      nextMatch: (step) => this.nextMatch(step),
    });
    this.viewport = svg("g", { class: "viewport" });
    this.canvas = graphCanvas(this.viewport);
    this.minimap = new GraphMinimap((x, y) => this.centerOnPoint(x, y));
    this.breadcrumb = new GraphBreadcrumbBar((path) =>
      path === null ? this.fitToView() : this.focusGroup(path),
    );
    this.element = h(
      "div",
      { class: "graph", "data-testid": "graph" },
      this.toolbar.element,
      h("div", { class: "graph-frame" }, this.canvas, this.breadcrumb.element, this.minimap.element),
    );
    this.bindPanZoom();
  }

  /** Called when the tab becomes visible; lays out on first show. */
  show(): void {
    this.visible = true;
    if (!this.laidOut) {
      this.relayout(null);
      this.fitToView();
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

  private nextMatch(step: 1 | -1): void {
    const index = this.search.next(step);
    if (index !== null) {
      this.relayout(null);
      this.centerOn(this.model.nodeIdForLayer(index), false);
    }
    this.markMatches();
  }

  private markMatches(): void {
    const marked = this.search.markedNodes();
    const current = this.search.current;
    const currentId = current === null ? null : this.model.nodeIdForLayer(current);
    for (const [id, el] of this.nodeEls) {
      el.classList.toggle("match", marked.has(id));
      el.classList.toggle("current-match", id === currentId);
    }
    this.toolbar.setSearchStatus(this.search.status());
  }

  private relayout(focus: string | null): void {
    const view = this.model.build(MAX_NODES);
    this.toolbar.setNotice(
      view.truncatedFrom === null
        ? ""
        : `Showing the first ${view.nodes.length} of ${view.truncatedFrom} nodes: collapse groups to see the rest.`,
    );
    const layout = this.layouter.layout(view);
    this.layoutResult = layout;
    this.viewResult = view;
    this.draw(view, layout);
    this.minimap.draw(view, layout);
    this.laidOut = true;
    this.setSelected(this.selected, false);
    this.markMatches();
    if (focus !== null) this.centerOn(focus, false);
    else this.updateMinimap();
  }

  private draw(view: GraphView, layout: GraphLayout): void {
    const drawn = drawGraph(view, layout);
    this.nodeEls.clear();
    for (const [id, el] of drawn.nodes) this.nodeEls.set(id, el);
    this.viewport.replaceChildren(...drawn.layers);
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
    this.updateMinimap();
  }

  private updateMinimap(): void {
    const { clientWidth: w, clientHeight: h } = this.canvas;
    const { x, y, k } = this.transform;
    const rect = { x: -x / k, y: -y / k, width: w / k, height: h / k };
    this.minimap.showViewport(rect);
    this.breadcrumb.update(this.viewResult, this.layoutResult, rect);
  }

  /**
   * Fits the graph's short axis (its width, for a top-down graph) and shows the start of the long one to
   * scroll along; never below READABLE_ZOOM, never above 1.
   */
  private fitToView(): void {
    const layout = this.layoutResult;
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (layout === null || w === 0 || h === 0 || layout.width === 0) return;
    const shortAxis = layout.height >= layout.width ? w / layout.width : h / layout.height;
    const k = Math.min(1, Math.max(shortAxis, READABLE_ZOOM));
    const x = layout.width * k <= w ? (w - layout.width * k) / 2 : 0;
    const y = layout.height * k <= h ? (h - layout.height * k) / 2 : 0;
    this.setTransform(x, y, k);
  }

  /** A breadcrumb's group: the other groups collapsed, the view fitted on it. */
  private focusGroup(path: string): void {
    this.model.focusGroup(path);
    this.relayout(null);
    const box = this.layoutResult?.boxes.get(clusterId(path));
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (box === undefined || w === 0 || h === 0) return;
    const t = fitBox(box, { width: w, height: h }, { min: READABLE_ZOOM, max: 1 });
    this.setTransform(t.x, t.y, t.k);
  }

  private centerOnPoint(px: number, py: number): void {
    const { clientWidth: w, clientHeight: h } = this.canvas;
    const { k } = this.transform;
    this.setTransform(w / 2 - px * k, h / 2 - py * k, k);
  }

  /** Pans (keeping the zoom) so a node or cluster is centred; `onlyIfHidden` skips nodes already in view. */
  private centerOn(id: string, onlyIfHidden: boolean): void {
    const box = this.layoutResult?.boxes.get(id);
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
