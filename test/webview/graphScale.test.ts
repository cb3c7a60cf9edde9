/**
 * The graph at scale on a real export (GoogLeNet): expand all, edge shapes,
 * op kinds, search and the per-group layout. Expected counts and shapes come
 * from the fixture's expected/ file (written from PyTorch and the onnx package)
 * and from the GoogLeNet paper (Szegedy et al. 2015, Table 1).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import {
  GraphLayouter,
  GraphSearch,
  GraphViewModel,
  opKindOf,
  type Box,
  type GraphView,
} from "../../webview/viewModel";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

interface Expected {
  onnx: { op_counts: Record<string, number>; identity_nodes_aliasing_initializers: number };
  layers: { name: string; type: string; output_shape: number[] }[];
}

const file = resolve(FIXTURES, "models/googlenet.onnx");
const analysis = analyzeFile(file, readFileSync(file));
const expected = JSON.parse(readFileSync(resolve(FIXTURES, "expected/googlenet.json"), "utf8")) as Expected;
const nodeCount = Object.values(expected.onnx.op_counts).reduce((a, b) => a + b, 0);

function expandedView(): { graph: GraphViewModel; view: GraphView } {
  const graph = new GraphViewModel(analysis);
  graph.expandAll();
  return { graph, view: graph.build() };
}

const overlaps = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, outer: Box): boolean =>
  a.x >= outer.x &&
  a.y >= outer.y &&
  a.x + a.width <= outer.x + outer.width &&
  a.y + a.height <= outer.y + outer.height;

describe("GoogLeNet graph, every group expanded", () => {
  it("draws every ONNX node but the Identity aliases of weights, each as its own layer node", () => {
    const { view } = expandedView();
    expect(view.nodes).toHaveLength(nodeCount - expected.onnx.identity_nodes_aliasing_initializers);
    expect(view.nodes.every((n) => n.kind === "layer")).toBe(true);
    expect(view.truncatedFrom).toBeNull();
    // inception4a's 14 nodes sit in its four branch clusters and its own (the Concat).
    const inception = view.nodes.filter((n) => n.subtitle.startsWith("inception4a"));
    expect(inception).toHaveLength(14);
    expect(new Set(inception.map((n) => n.cluster?.split(".").slice(0, 2).join(".")))).toEqual(
      new Set([
        "inception4a",
        "inception4a.branch1",
        "inception4a.branch2",
        "inception4a.branch3",
        "inception4a.branch4",
      ]),
    );
  });

  it("labels edges with the tensor they carry, batch dim left out", () => {
    const { view } = expandedView();
    const byName = new Map(view.nodes.map((n) => [n.subtitle + ":" + n.title, n.id]));
    let checked = 0;
    for (const layer of expected.layers.filter((l) => l.type === "Conv2d")) {
      const from = byName.get(`${layer.name}:Conv`);
      const edges = view.edges.filter((e) => e.from === from);
      expect(edges.length).toBeGreaterThan(0);
      for (const e of edges) expect(e.label).toBe(layer.output_shape.slice(1).join("×"));
      expect(edges[0]?.tooltip).toBe(layer.output_shape.join("×"));
      checked++;
    }
    expect(checked).toBe(57);
    // Paper, Table 1: inception (4a) outputs 14×14×512.
    const concat = byName.get("inception4a:Concat");
    expect(view.edges.filter((e) => e.from === concat).map((e) => e.label)).toContain("512×14×14");
  });

  it("colours nodes by op kind", () => {
    const { view } = expandedView();
    const kinds = new Map(view.nodes.map((n) => [n.title, n.opKind]));
    expect(Object.fromEntries(kinds)).toEqual({
      Conv: "conv",
      Relu: "activation",
      MaxPool: "pool",
      Concat: "reshape",
      GlobalAveragePool: "pool",
      Flatten: "reshape",
      Gemm: "linear",
    });
    // Source-defined models show the framework's type, which decides first.
    expect(opKindOf("Gemm", "Linear")).toBe("linear");
    expect(opKindOf("BatchNormalization", "BatchNorm2d")).toBe("norm");
    expect(opKindOf("Add")).toBe("elementwise");
    expect(opKindOf("MyCustomOp")).toBe("other");
  });

  it("lays out every node once, without overlaps, each inside its group's box", () => {
    const { view } = expandedView();
    const layout = new GraphLayouter().layout(view);
    const boxes = view.nodes.map((n) => layout.boxes.get(n.id)!);
    expect(boxes.every((b) => b !== undefined)).toBe(true);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i]!, boxes[j]!)).toBe(false);
    for (const n of view.nodes) {
      if (n.cluster !== null)
        expect(inside(layout.boxes.get(n.id)!, layout.boxes.get(`c:${n.cluster}`)!)).toBe(true);
    }
    for (const c of view.clusters) {
      if (c.parent !== null) expect(inside(layout.boxes.get(c.id)!, layout.boxes.get(c.parent)!)).toBe(true);
    }
    expect(layout.edgePoints.every((p) => p.length >= 2)).toBe(true);
    // Every node fits in the reported size: Fit and the minimap rely on it.
    expect(Math.max(...boxes.map((b) => b.x + b.width))).toBeLessThanOrEqual(layout.width);
    expect(Math.max(...boxes.map((b) => b.y + b.height))).toBeLessThanOrEqual(layout.height);
    // Every edge starts on its source's box and ends on its target's (dagre ends routes at the border).
    const near = (p: { x: number; y: number }, b: Box): boolean =>
      p.x >= b.x - 1 && p.x <= b.x + b.width + 1 && p.y >= b.y - 1 && p.y <= b.y + b.height + 1;
    view.edges.forEach((e, i) => {
      const points = layout.edgePoints[i]!;
      expect(near(points[0]!, layout.boxes.get(e.from)!)).toBe(true);
      expect(near(points[points.length - 1]!, layout.boxes.get(e.to)!)).toBe(true);
    });
  });

  it("re-lays out only the groups around the one that changed", () => {
    const { graph, view } = expandedView();
    const layouter = new GraphLayouter();
    layouter.layout(view);
    const groups = layouter.computed;
    expect(groups).toBe(view.clusters.length + 1);
    graph.collapse("inception4a");
    layouter.layout(graph.build());
    expect(layouter.computed).toBe(1); // the top level, where inception4a is now one node
    graph.expandAll();
    layouter.layout(graph.build());
    expect(layouter.computed).toBe(0);
  });
});

describe("graph search", () => {
  it("finds layers by name, marks collapsed groups holding them, and opens them on Enter", () => {
    const graph = new GraphViewModel(analysis);
    const search = new GraphSearch(graph);
    search.setQuery("Inception4A");
    expect(search.matches).toHaveLength(14);
    expect(search.status()).toBe("14 matches");
    expect([...search.markedNodes()]).toEqual(["g:inception4a"]);
    expect(search.next()).toBe(search.matches[0]);
    expect(search.status()).toBe("1 of 14");
    expect(graph.build().nodes.map((n) => n.id)).toContain(`l:${search.matches[0]}`);
    expect(search.markedNodes().has(`l:${search.matches[0]}`)).toBe(true);
    for (let i = 1; i < 14; i++) search.next();
    expect(search.next()).toBe(search.matches[0]); // wraps
    expect(search.next(-1)).toBe(search.matches[13]);
  });

  it("searches op types and skips the hidden plumbing", () => {
    const graph = new GraphViewModel(analysis);
    const search = new GraphSearch(graph);
    search.setQuery("maxpool");
    expect(search.matches).toHaveLength(expected.onnx.op_counts["MaxPool"]!);
    search.setQuery("identity");
    expect(search.status()).toBe("no match");
    graph.setShowPlumbing(true);
    search.setQuery("identity");
    expect(search.matches).toHaveLength(expected.onnx.identity_nodes_aliasing_initializers);
    search.setQuery("  ");
    expect(search.status()).toBe("");
  });
});
