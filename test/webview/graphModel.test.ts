import { describe, expect, it } from "vitest";
import type { LayerRow } from "../../src/core/analysis/result";
import {
  compactShape,
  findPlumbingRows,
  GraphLayouter,
  GraphViewModel,
  MAX_ROUTED_SPAN,
  type GraphView,
} from "../../webview/viewModel";
import { layer, miniResNet, resetLayerIndex } from "./miniResNet";

/** Layer 11 of miniResNet: reads only a weight (no model input reaches it). */
function weightOnlyLayer(base: LayerRow, name: string, opType: string, params: number): LayerRow {
  const input = { name: `${name}_weight`, dtype: "float32" as const, shape: [64] };
  return {
    ...base,
    index: 11,
    id: name,
    name,
    groups: [],
    opType,
    params,
    inputs: [input],
    predecessors: [],
  };
}

/** Which nodes the edges join (labels are checked in graphScale.test.ts). */
const links = (view: GraphView) => view.edges.map(({ from, to }) => ({ from, to }));

describe("graph view model", () => {
  it("collapses top-level groups into one node with deduplicated edges", () => {
    const graph = new GraphViewModel(miniResNet());
    const view = graph.build();
    expect(view.nodes.map((n) => n.id)).toEqual(["l:0", "l:1", "l:2", "g:layer1", "l:9", "l:10"]);
    expect(links(view)).toEqual([
      { from: "l:0", to: "l:1" },
      { from: "l:1", to: "l:2" },
      { from: "l:2", to: "g:layer1" },
      { from: "g:layer1", to: "l:9" },
      { from: "l:9", to: "l:10" },
    ]);
    expect(view.clusters).toEqual([]);
    expect(graph.nodeIdForLayer(4)).toBe("g:layer1");
  });

  it("expanding a group shows its children inside a cluster", () => {
    const graph = new GraphViewModel(miniResNet());
    graph.toggle("layer1");
    let view = graph.build();
    expect(view.nodes.map((n) => n.id)).toEqual([
      "l:0",
      "l:1",
      "l:2",
      "g:layer1.0",
      "g:layer1.1",
      "l:9",
      "l:10",
    ]);
    expect(links(view)).toContainEqual({ from: "l:2", to: "g:layer1.0" });
    expect(links(view)).toContainEqual({ from: "g:layer1.0", to: "g:layer1.1" });
    expect(links(view).filter((e) => e.from === "g:layer1.0" && e.to === "g:layer1.1")).toHaveLength(1);
    expect(view.clusters).toEqual([{ id: "c:layer1", path: "layer1", parent: null }]);

    graph.expand("layer1.0");
    view = graph.build();
    expect(view.nodes.find((n) => n.id === "l:4")).toMatchObject({
      kind: "layer",
      title: "Relu",
      cluster: "layer1.0",
    });
    expect(view.clusters).toContainEqual({ id: "c:layer1.0", path: "layer1.0", parent: "c:layer1" });
    expect(links(view)).toContainEqual({ from: "l:2", to: "l:6" }); // the residual
    expect(links(view)).toContainEqual({ from: "l:6", to: "g:layer1.1" });

    graph.collapse("layer1"); // also closes layer1.0
    expect(graph.isExpanded("layer1.0")).toBe(false);
    expect(graph.build().nodes).toHaveLength(6);
  });

  it("reveals a layer and truncates big graphs in execution order", () => {
    const graph = new GraphViewModel(miniResNet());
    graph.revealLayer(7);
    expect(graph.nodeIdForLayer(7)).toBe("l:7");
    const collapsed = new GraphViewModel(miniResNet()).build(3);
    expect(collapsed.truncatedFrom).toBe(6);
    expect(collapsed.nodes.map((n) => n.id)).toEqual(["l:0", "l:1", "l:2"]);
    expect(links(collapsed)).toHaveLength(2);
  });

  it("hides the table's exporter plumbing unless asked", () => {
    const a = miniResNet();
    const weightFeed = weightOnlyLayer(a.layers[0]!, "Identity_0", "Identity", 0);
    const withConstant = {
      ...a,
      layers: [...a.layers.map((l) => (l.index === 3 ? { ...l, predecessors: [2, 11] } : l)), weightFeed],
    };
    const graph = new GraphViewModel(withConstant);
    expect([...graph.plumbing]).toEqual([11]);
    expect(graph.build().nodes.map((n) => n.id)).not.toContain("l:11");
    graph.setShowPlumbing(true);
    const view = graph.build();
    expect(view.nodes.map((n) => n.id)).toContain("l:11");
    expect(links(view)).toContainEqual({ from: "l:11", to: "g:layer1" });
  });

  it("opens the biggest groups until the graph shows a few nodes", () => {
    resetLayerIndex();
    const layers = [
      layer("stem", "Conv", [], []),
      ...Array.from({ length: 5 }, (_, i) =>
        layer(`body.block${i}.conv`, "Conv", ["body", `body.block${i}`], [i]),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        layer(`body.block${i}.relu`, "Relu", ["body", `body.block${i}`], [i + 1]),
      ),
    ];
    const a = { ...miniResNet(), layers };
    // "stem" + "body" is too few: "body" opens, showing its five blocks (still collapsed).
    const ids = new GraphViewModel(a).build().nodes.map((n) => n.id);
    expect(ids).toEqual([
      "l:0",
      "g:body.block0",
      "g:body.block1",
      "g:body.block2",
      "g:body.block3",
      "g:body.block4",
    ]);
  });

  it("opens a wrapper group that holds every layer", () => {
    const a = miniResNet();
    const wrapped = {
      ...a,
      layers: a.layers.map((l) => ({ ...l, groups: ["model", ...l.groups.map((g) => `model.${g}`)] })),
    };
    const ids = new GraphViewModel(wrapped).build().nodes.map((n) => n.id);
    expect(ids).toContain("g:model.layer1");
    expect(ids).not.toContain("g:model");
  });

  it("hides exactly the table's plumbing rows: a weight-only layer that owns parameters stays drawn", () => {
    const a = miniResNet();
    const bias = weightOnlyLayer(a.layers[0]!, "bias_add", "Add", 512);
    const analysis = { ...a, layers: [...a.layers, bias] };
    const graph = new GraphViewModel(analysis);
    expect(graph.plumbing).toEqual(findPlumbingRows(analysis));
    expect(graph.build().nodes.map((n) => n.id)).toContain("l:11");
  });

  it("expands every group at once and back", () => {
    const graph = new GraphViewModel(miniResNet());
    graph.expandAll();
    expect(graph.build().nodes.every((n) => n.kind === "layer")).toBe(true);
    expect(graph.build().nodes).toHaveLength(11);
    graph.collapseAll();
    expect(graph.build().nodes.map((n) => n.id)).toContain("g:layer1");
  });

  it("leaves out only a leading dim equal to the input's batch dim", () => {
    expect(compactShape([1, 64, 56, 56], 1)).toBe("64×56×56");
    expect(compactShape(["N", 512], "N")).toBe("512");
    expect(compactShape([16, 64], 1)).toBe("16×64");
    expect(compactShape([1], 1)).toBe("1");
    expect(compactShape([1, 64], undefined)).toBe("1×64");
  });

  it("draws edges spanning more than a few ranks as arcs beside the column", () => {
    resetLayerIndex();
    // A chain of five layers with a skip from the first to the last (four ranks down).
    const layers = [
      layer("a", "Conv", [], []),
      layer("b", "Relu", [], [0]),
      layer("c", "Conv", [], [1]),
      layer("d", "Relu", [], [2]),
      layer("e", "Add", [], [3, 0]),
    ];
    const view = new GraphViewModel({ ...miniResNet(), layers }).build();
    const layout = new GraphLayouter().layout(view);
    const residual = view.edges.findIndex((e) => e.from === "l:0" && e.to === "l:4");
    expect(layout.arcs[residual]).toBe(true);
    const [start, c1, c2, end] = layout.edgePoints[residual]!;
    const from = layout.boxes.get("l:0")!;
    const to = layout.boxes.get("l:4")!;
    expect(start).toEqual({ x: from.x + from.width / 2, y: from.y + from.height });
    expect(end).toEqual({ x: to.x + to.width / 2, y: to.y });
    // Both control points lie right of both boxes, so the arc does not cut through the column.
    for (const c of [c1!, c2!]) expect(c.x).toBeGreaterThan(Math.max(from.x + from.width, to.x + to.width));
    // Edges between consecutive ranks are routed by dagre.
    expect(layout.arcs.filter((arc) => !arc)).toHaveLength(4);
    expect(4).toBeGreaterThan(MAX_ROUTED_SPAN);
  });
});
