/**
 * The graph's breadcrumb: zoomed into an expanded group, the path of groups around the view's
 * centre, outermost first, each relative to the one before; nothing when the whole graph is in view. Laid out
 * by the same layouter the Graph tab uses.
 */
import { describe, expect, it } from "vitest";
import {
  clusterId,
  graphBreadcrumb,
  GraphLayouter,
  GraphViewModel,
  type Box,
  type ViewRect,
} from "../../webview/viewModel";
import { miniResNet } from "./miniResNet";

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
