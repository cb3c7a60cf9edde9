/**
 * The graph's minimap: every drawn node as a small block (coloured by op kind),
 * with a frame for the part of the graph in view. A click or drag on it moves
 * the view there, so a 1,000-node graph read at a legible zoom stays navigable.
 */
import { svg } from "./dom";
import type { GraphLayout, GraphView } from "./viewModel";

const MAX_WIDTH = 140;
const MAX_HEIGHT = 220;

export interface Viewport {
  /** The graph rectangle in view, in layout coordinates. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export class GraphMinimap {
  readonly element: SVGSVGElement;
  private readonly frame: SVGRectElement;
  private readonly blocks: SVGGElement;
  private scale = 1;
  private dragging = false;

  /** `onNavigate` receives the layout point to centre the view on. */
  constructor(onNavigate: (x: number, y: number) => void) {
    this.blocks = svg("g", {});
    this.frame = svg("rect", { class: "minimap-frame" });
    this.element = svg(
      "svg",
      { class: "graph-minimap", "data-testid": "graph-minimap", "aria-label": "Graph overview" },
      this.blocks,
      this.frame,
    );
    const go = (e: PointerEvent): void => {
      const rect = this.element.getBoundingClientRect();
      onNavigate((e.clientX - rect.left) / this.scale, (e.clientY - rect.top) / this.scale);
    };
    this.element.addEventListener("pointerdown", (e) => {
      e.stopPropagation();
      this.dragging = true;
      this.element.setPointerCapture(e.pointerId);
      go(e);
    });
    this.element.addEventListener("pointermove", (e) => {
      if (this.dragging) go(e);
    });
    const end = (): void => {
      this.dragging = false;
    };
    this.element.addEventListener("pointerup", end);
    this.element.addEventListener("pointercancel", end);
    // Keep wheel and clicks on the minimap from reaching the graph canvas.
    this.element.addEventListener("click", (e) => e.stopPropagation());
  }

  draw(view: GraphView, layout: GraphLayout): void {
    this.scale = Math.min(MAX_WIDTH / Math.max(layout.width, 1), MAX_HEIGHT / Math.max(layout.height, 1));
    this.element.setAttribute("width", String(Math.max(layout.width * this.scale, 8)));
    this.element.setAttribute("height", String(Math.max(layout.height * this.scale, 8)));
    const s = this.scale;
    this.blocks.replaceChildren(
      ...view.nodes.flatMap((n) => {
        const box = layout.boxes.get(n.id);
        if (box === undefined) return [];
        return [
          svg("rect", {
            class: `minimap-node ${n.opKind === null ? "group" : `kind-${n.opKind}`}`,
            x: String(box.x * s),
            y: String(box.y * s),
            width: String(Math.max(box.width * s, 1)),
            height: String(Math.max(box.height * s, 1)),
          }),
        ];
      }),
    );
  }

  showViewport(view: Viewport): void {
    const s = this.scale;
    this.frame.setAttribute("x", String(view.x * s));
    this.frame.setAttribute("y", String(view.y * s));
    this.frame.setAttribute("width", String(view.width * s));
    this.frame.setAttribute("height", String(view.height * s));
  }
}
