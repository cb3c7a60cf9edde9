/**
 * The graph's breadcrumb: zoomed into an expanded group, the path of groups around the view's
 * centre, outermost first, each relative to the one before; nothing when the whole graph is in view. Laid out
 * by the same layouter the Graph tab uses. A crumb shows its group alone (the other groups collapsed) and
 * fits the view on it.
 */
import { describe, expect, it } from "vitest";
import {
  clusterId,
  fitBox,
  graphBreadcrumb,
  GraphLayouter,
  GraphViewModel,
  type Box,
  type ViewRect,
  type ViewTransform,
} from "../../webview/viewModel";
import type { LayerRow } from "../../src/core/analysis/result";
import { layer, miniResNet, resetLayerIndex } from "./miniResNet";

function expanded() {
  const graph = new GraphViewModel(miniResNet());
  graph.expandAll();
  const view = graph.build();
  const layout = new GraphLayouter().layout(view);
  const box = (path: string): Box => {
    const b = layout.boxes.get(clusterId(path));
    if (b === undefined) throw new Error(`no cluster ${path}`);
    return b;
  };
  return { view, layout, box };
}

/** A small view (a tenth of the box's size) centred on the middle of `b`. */
const zoomedAt = (b: Box): ViewRect => ({
  x: b.x + b.width * 0.45,
  y: b.y + b.height * 0.45,
  width: b.width / 10,
  height: b.height / 10,
});

describe("graph breadcrumb", () => {
  it("zoomed into layer1.0: layer1 › 0, each crumb naming its cluster", () => {
    const { view, layout, box } = expanded();
    // miniResNet: layer1 holds the blocks layer1.0 and layer1.1, each with its convolutions.
    expect(view.clusters.map((c) => c.path)).toEqual(
      expect.arrayContaining(["layer1", "layer1.0", "layer1.1"]),
    );
    const crumbs = graphBreadcrumb(view.clusters, layout, zoomedAt(box("layer1.0")));
    expect(crumbs).toEqual([
      { label: "layer1", path: "layer1", clusterId: "c:layer1" },
      { label: "0", path: "layer1.0", clusterId: "c:layer1.0" },
    ]);
  });

  it("zoomed into layer1 between its blocks: layer1 alone", () => {
    const { view, layout, box } = expanded();
    const outer = box("layer1");
    const blocks = [box("layer1.0"), box("layer1.1")];
    // A point of layer1 outside both blocks (the layout leaves a margin around a cluster's children).
    const x = outer.x + 2;
    const y = outer.y + outer.height / 2;
    expect(blocks.some((b) => x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height)).toBe(false);
    const crumbs = graphBreadcrumb(view.clusters, layout, { x: x - 1, y: y - 1, width: 2, height: 2 });
    expect(crumbs.map((c) => c.label)).toEqual(["layer1"]);
  });

  it("a group shown whole but the graph in part still has its crumbs", () => {
    const { view, layout, box } = expanded();
    const b = box("layer1.0");
    const around = { x: b.x - 5, y: b.y - 5, width: b.width + 10, height: b.height + 10 };
    expect(around.width < layout.width || around.height < layout.height).toBe(true);
    expect(graphBreadcrumb(view.clusters, layout, around).map((c) => c.path)).toEqual(["layer1", "layer1.0"]);
  });

  it("nothing when the whole graph is in view, or the centre is over no group", () => {
    const { view, layout, box } = expanded();
    const whole = { x: -10, y: -10, width: layout.width + 20, height: layout.height + 20 };
    expect(graphBreadcrumb(view.clusters, layout, whole)).toEqual([]);
    const b = box("layer1.0");
    // Far outside every group.
    const away = { x: layout.width + 1000, y: layout.height + 1000, width: 10, height: 10 };
    expect(graphBreadcrumb(view.clusters, layout, away)).toEqual([]);
    // Collapsed groups draw no cluster: nothing to be inside.
    expect(graphBreadcrumb([], layout, zoomedAt(b))).toEqual([]);
  });
});

/** Two stages of two blocks, each block a conv and a relu: stage1.0 … stage2.1 inside stage1, stage2. */
function twoStages() {
  resetLayerIndex();
  const layers: LayerRow[] = [];
  for (const stage of ["stage1", "stage2"])
    for (const block of [`${stage}.0`, `${stage}.1`])
      for (const op of ["conv", "relu"]) {
        const name = `${block}.${op}`;
        layers.push(
          layer(
            name,
            op === "conv" ? "Conv" : "Relu",
            [stage, block, name],
            layers.length ? [layers.length - 1] : [],
          ),
        );
      }
  return { ...miniResNet(), layers };
}

/** Where a layout box lands on screen under a transform. */
const onScreen = (b: Box, t: ViewTransform) => ({
  left: b.x * t.k + t.x,
  top: b.y * t.k + t.y,
  right: (b.x + b.width) * t.k + t.x,
  bottom: (b.y + b.height) * t.k + t.y,
});

describe("a crumb shows its group alone", () => {
  it("collapses the expansions outside the group, keeps the groups around it and those inside it", () => {
    const graph = new GraphViewModel(twoStages());
    graph.expandAll();
    graph.focusGroup("stage2");
    for (const p of ["stage2", "stage2.0", "stage2.1"]) expect(graph.isExpanded(p), p).toBe(true);
    for (const p of ["stage1", "stage1.0", "stage1.1"]) expect(graph.isExpanded(p), p).toBe(false);
    const view = graph.build();
    expect(view.clusters.map((c) => c.path)).toEqual(["stage2", "stage2.0", "stage2.1"]);
    // stage1 is one node again; stage2's four layers are drawn.
    expect(view.nodes.filter((n) => n.kind === "group").map((n) => n.groupPath)).toEqual(["stage1"]);
    expect(view.nodes.filter((n) => n.kind === "layer")).toHaveLength(4);
  });

  it("a block inside a stage: its sibling blocks collapse, the stage around it stays open", () => {
    const graph = new GraphViewModel(miniResNet());
    graph.expandAll();
    graph.focusGroup("layer1.1");
    const view = graph.build();
    expect(view.clusters.map((c) => c.path)).toEqual(["layer1", "layer1.1"]);
    expect(view.nodes.filter((n) => n.kind === "group").map((n) => n.groupPath)).toEqual(["layer1.0"]);
    // A path that is no group changes nothing.
    graph.focusGroup("nowhere");
    expect(graph.build().clusters.map((c) => c.path)).toEqual(["layer1", "layer1.1"]);
  });

  it("the view fits the group after the relayout: its whole box in view, centred", () => {
    const graph = new GraphViewModel(twoStages());
    graph.expandAll();
    graph.focusGroup("stage2.1");
    const layout = new GraphLayouter().layout(graph.build());
    const box = layout.boxes.get(clusterId("stage2.1")) as Box;
    const screen = { width: 800, height: 600 };
    const t = fitBox(box, screen, { min: 0.6, max: 1 });
    const s = onScreen(box, t);
    expect(s.left).toBeGreaterThanOrEqual(16);
    expect(s.top).toBeGreaterThanOrEqual(16);
    expect(s.right).toBeLessThanOrEqual(screen.width - 16);
    expect(s.bottom).toBeLessThanOrEqual(screen.height - 16);
    expect((s.left + s.right) / 2).toBeCloseTo(screen.width / 2);
    expect((s.top + s.bottom) / 2).toBeCloseTo(screen.height / 2);
  });
});

describe("fitBox", () => {
  const screen = { width: 1000, height: 600 };
  const zoom = { min: 0.6, max: 1 };

  it("a small box: centred at zoom 1, not blown up", () => {
    const t = fitBox({ x: 100, y: 50, width: 400, height: 200 }, screen, zoom);
    expect(t).toEqual({ x: 200, y: 150, k: 1 });
  });

  it("a box a little too wide: zoomed out until it fits between the margins", () => {
    const t = fitBox({ x: 10, y: 20, width: 1500, height: 500 }, screen, zoom);
    expect(t.k).toBeCloseTo(968 / 1500);
    const s = onScreen({ x: 10, y: 20, width: 1500, height: 500 }, t);
    expect(s.left).toBeCloseTo(16);
    expect(s.right).toBeCloseTo(984);
    expect((s.top + s.bottom) / 2).toBeCloseTo(300);
  });

  it("a box too big at the readable zoom: that zoom, from its top-left corner", () => {
    const t = fitBox({ x: 40, y: 30, width: 2000, height: 1000 }, screen, zoom);
    expect(t.k).toBe(0.6);
    const s = onScreen({ x: 40, y: 30, width: 2000, height: 1000 }, t);
    expect([s.left, s.top]).toEqual([16, 16]);
  });
});
