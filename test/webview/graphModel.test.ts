import { describe, expect, it } from "vitest";
import type { LayerRow } from "../../src/core/analysis/result";
import { GraphViewModel } from "../../webview/viewModel";
import { layer, miniResNet, resetLayerIndex } from "./miniResNet";

describe("graph view model", () => {
  it("collapses top-level groups into one node with deduplicated edges", () => {
    const graph = new GraphViewModel(miniResNet());
    const view = graph.build();
    expect(view.nodes.map((n) => n.id)).toEqual(["l:0", "l:1", "l:2", "g:layer1", "l:9", "l:10"]);
    expect(view.edges).toEqual([
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
    expect(view.edges).toContainEqual({ from: "l:2", to: "g:layer1.0" });
    expect(view.edges).toContainEqual({ from: "g:layer1.0", to: "g:layer1.1" });
    expect(view.edges.filter((e) => e.from === "g:layer1.0" && e.to === "g:layer1.1")).toHaveLength(1);
    expect(view.clusters).toEqual([{ id: "c:layer1", path: "layer1", parent: null }]);

    graph.expand("layer1.0");
    view = graph.build();
    expect(view.nodes.find((n) => n.id === "l:4")).toMatchObject({
      kind: "layer",
      title: "Relu",
      cluster: "layer1.0",
    });
    expect(view.clusters).toContainEqual({ id: "c:layer1.0", path: "layer1.0", parent: "c:layer1" });
    expect(view.edges).toContainEqual({ from: "l:2", to: "l:6" }); // the residual
    expect(view.edges).toContainEqual({ from: "l:6", to: "g:layer1.1" });

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
    expect(collapsed.edges).toHaveLength(2);
  });

  it("hides layers computed only from weights unless asked", () => {
    const a = miniResNet();
    const weightFeed: LayerRow = {
      ...a.layers[0]!,
      index: 11,
      id: "Identity_0",
      name: "Identity_0",
      groups: [],
      opType: "Identity",
      inputs: [{ name: "onnx::Conv_5", dtype: "float32", shape: [64] }],
      predecessors: [],
    };
    const withConstant = {
      ...a,
      layers: [...a.layers.map((l) => (l.index === 3 ? { ...l, predecessors: [2, 11] } : l)), weightFeed],
    };
    const graph = new GraphViewModel(withConstant);
    expect([...graph.constants]).toEqual([11]);
    expect(graph.build().nodes.map((n) => n.id)).not.toContain("l:11");
    graph.setShowConstants(true);
    const view = graph.build();
    expect(view.nodes.map((n) => n.id)).toContain("l:11");
    expect(view.edges).toContainEqual({ from: "l:11", to: "g:layer1" });
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
});
