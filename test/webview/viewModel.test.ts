import { describe, expect, it } from "vitest";
import {
  buildModuleTree,
  dataValueOf,
  detailsView,
  formatBytes,
  formatCount,
  formatExact,
  formatShape,
  groupCells,
  headerView,
  layerBarSeries,
  layerCells,
  receptiveFieldSeries,
  rfCells,
  TableViewModel,
  type TableRowView,
} from "../../webview/viewModel";
import { layer, miniResNet, resetLayerIndex, spatial } from "./miniResNet";

/** Rows as short strings: "G layer1" for a group header, "3" for a layer, indented by depth. */
function outline(rows: readonly TableRowView[]): string[] {
  return rows.map((r) => "  ".repeat(r.depth) + (r.kind === "group" ? `G ${r.path}` : String(r.index)));
}

describe("formatting", () => {
  it("formats counts as the CodeLens does: SI units, two decimals", () => {
    expect(formatCount(1814073344)).toBe("1.81 G");
    expect(formatCount(11689512)).toBe("11.69 M");
    expect(formatCount(2_000_000)).toBe("2.00 M");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(999_600)).toBe("999.60 k");
    // Rounding that reaches the next unit moves to it.
    expect(formatCount(999_999)).toBe("1.00 M");
    expect(formatCount(0)).toBe("0");
    expect(formatCount(null)).toBe("?");
    expect(formatExact(11689512)).toBe("11,689,512");
    expect(formatExact(-1234)).toBe("-1,234");
    expect(formatExact(999)).toBe("999");
  });

  it("formats bytes with binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3211264)).toBe("3.06 MiB");
    expect(formatBytes(46_800_000)).toBe("44.6 MiB");
    expect(formatBytes(null)).toBe("?");
  });

  it("formats shapes with ×, symbols as written and ? when unknown", () => {
    expect(formatShape([1, 64, 112, 112])).toBe("1×64×112×112");
    expect(formatShape(["N", 3, 224, 224])).toBe("N×3×224×224");
    expect(formatShape(null)).toBe("?");
  });

  it("formats receptive-field cells", () => {
    expect(rfCells(spatial(7, 2, -3))).toMatchObject({
      size: "7×7",
      stride: "2×2",
      start: "-3,-3",
      misaligned: false,
    });
    expect(
      rfCells({ kind: "spatial", axes: [{ size: 3, stride: 0.5, start: -1 }], misaligned: true }),
    ).toMatchObject({
      size: "3",
      stride: "0.5",
      misaligned: true,
    });
    expect(rfCells({ kind: "global" })).toMatchObject({ size: "global", stride: "—", start: "—" });
    expect(rfCells(null)).toMatchObject({ size: "—", stride: "—", start: "—" });
  });

  it("builds layer cells with raw values and a misalignment flag", () => {
    const a = miniResNet();
    const conv1 = layerCells(a.layers[0]!);
    expect(conv1.shape.text).toBe("1×64×112×112");
    expect(conv1.params.text).toBe("9.41 k");
    expect(dataValueOf("params", conv1.params)).toBe("9408");
    expect(dataValueOf("macs", conv1.macs)).toBe("118013952");
    expect(dataValueOf("shape", conv1.shape)).toBeUndefined();
    expect(conv1["rf-size"].text).toBe("7×7");
    expect(conv1["rf-start"].flag).toBeUndefined();

    const unknown = layerCells(a.layers[7]!);
    expect(unknown.macs.text).toBe("?");
    expect(dataValueOf("macs", unknown.macs)).toBe("");
    expect(unknown.shape.text).toBe("N×64×56×56");
    expect(layerCells(a.layers[6]!)["rf-start"].flag).toBe("⚠");
    expect(layerCells(a.layers[10]!)["rf-size"].text).toBe("global");
  });
});

describe("module tree", () => {
  it("groups layers by module, skipping single-layer modules", () => {
    const tree = buildModuleTree(miniResNet().layers);
    expect([...tree.groups.keys()]).toEqual(["layer1", "layer1.0", "layer1.1"]);
    expect(tree.roots.map((c) => (c.kind === "group" ? c.group.path : c.index))).toEqual([
      0,
      1,
      2,
      "layer1",
      9,
      10,
    ]);
    const layer1 = tree.groups.get("layer1")!;
    expect(layer1.layerIndexes).toEqual([3, 4, 5, 6, 7, 8]);
    expect(layer1.params).toBe(36864 * 3);
    expect(layer1.macs).toBeNull(); // layer1.1.conv1 is unknown
    expect(tree.groups.get("layer1.0")!.macs).toBe(115605504 * 2);
    expect(tree.groups.get("layer1.1")!.parent?.path).toBe("layer1");
  });

  it("does not group a leaf module called twice, keeping execution order", () => {
    resetLayerIndex();
    const layers = [
      layer("block.conv1", "Conv", ["block", "block.conv1"], []),
      layer("block.relu", "Relu", ["block", "block.relu"], [0]),
      layer("block.conv2", "Conv", ["block", "block.conv2"], [1]),
      layer("block.relu", "Relu", ["block", "block.relu"], [2]),
    ];
    const tree = buildModuleTree(layers);
    expect([...tree.groups.keys()]).toEqual(["block"]);
    expect(
      tree.groups.get("block")!.children.map((c) => (c.kind === "layer" ? c.index : c.group.path)),
    ).toEqual([0, 1, 2, 3]);
  });

  it("gives one framework layer made of consecutive nodes a header with its totals", () => {
    resetLayerIndex();
    const keras = (name: string, op: string, type: string, params: number, preds: number[]) => ({
      ...layer(name, op, [name], preds, { params }),
      layerType: type,
    });
    const layers = [
      keras("embedding", "Gather", "Embedding", 2_560_000, []),
      keras("bidirectional", "Transpose", "Bidirectional", 0, [0]),
      keras("bidirectional", "Concat", "Bidirectional", 512, [1]),
      keras("bidirectional", "LSTM", "Bidirectional", 98_304, [2]),
      keras("dense", "MatMul", "Dense", 128, [3]),
      keras("dense", "Add", "Dense", 1, [4]),
    ];
    const tree = buildModuleTree(layers);
    expect([...tree.groups.keys()]).toEqual(["bidirectional", "dense"]);
    expect(tree.groups.get("bidirectional")!.params).toBe(98_816); // keras.io's published count
    expect(tree.groups.get("dense")!.params).toBe(129);
    expect(groupCells(tree.groups.get("bidirectional")!).op.text).toBe("Bidirectional · 3 nodes");
    // A module called twice is still no group: its calls are not consecutive.
    resetLayerIndex();
    const twice = [
      keras("conv1", "Conv", "Conv2d", 10, []),
      { ...keras("relu", "Relu", "ReLU", 0, [0]), groups: ["relu"] },
      keras("conv2", "Conv", "Conv2d", 10, [1]),
      { ...keras("relu", "Relu", "ReLU", 0, [2]), groups: ["relu"] },
    ];
    expect([...buildModuleTree(twice).groups.keys()]).toEqual([]);
  });

  it("skips a wrapper module holding the same layers as its parent", () => {
    resetLayerIndex();
    const layers = [
      layer("net.body.a", "Conv", ["net", "net.body", "net.body.a"], []),
      layer("net.body.b", "Relu", ["net", "net.body", "net.body.b"], [0]),
      layer("net.head", "Gemm", ["net", "net.head"], [1]),
    ];
    const tree = buildModuleTree(layers);
    expect([...tree.groups.keys()]).toEqual(["net", "net.body"]);
    const withWrapper = [layers[0]!, layers[1]!].map((l) => ({ ...l, groups: ["outer", ...l.groups] }));
    expect([...buildModuleTree(withWrapper).groups.keys()]).toEqual(["outer"]);
  });
});

describe("table view model", () => {
  it("lists rows in execution order inside expanded groups", () => {
    const table = new TableViewModel(miniResNet());
    expect(outline(table.rows())).toEqual([
      "0",
      "1",
      "2",
      "G layer1",
      "  G layer1.0",
      "    3",
      "    4",
      "    5",
      "    6",
      "  G layer1.1",
      "    7",
      "    8",
      "9",
      "10",
    ]);
    const header = table.rows()[3];
    expect(header).toMatchObject({ kind: "group", path: "layer1", expanded: true, layerCount: 6 });
    expect(header?.kind === "group" && header.cells.params.value).toBe(36864 * 3);
  });

  it("collapses and expands groups", () => {
    const table = new TableViewModel(miniResNet());
    table.toggleGroup("layer1.0");
    expect(outline(table.rows())).toEqual([
      "0",
      "1",
      "2",
      "G layer1",
      "  G layer1.0",
      "  G layer1.1",
      "    7",
      "    8",
      "9",
      "10",
    ]);
    table.toggleGroup("layer1");
    expect(outline(table.rows())).toEqual(["0", "1", "2", "G layer1", "9", "10"]);
    table.revealLayer(4);
    expect(outline(table.rows())).toContain("    4");
  });

  it("filters by name, op type and shape, keeping headers of groups with matches", () => {
    const table = new TableViewModel(miniResNet());
    table.setFilter("conv");
    expect(outline(table.rows())).toEqual([
      "0",
      "G layer1",
      "  G layer1.0",
      "    3",
      "    5",
      "  G layer1.1",
      "    7",
    ]);
    table.setFilter("GEMM");
    expect(outline(table.rows())).toEqual(["10"]);
    table.setFilter("112x112");
    expect(outline(table.rows())).toEqual(["0", "1"]);
    table.setFilter("layer1.1 add");
    expect(outline(table.rows())).toEqual(["G layer1", "  G layer1.1", "    8"]);
    table.setFilter("   ");
    expect(table.rows()).toHaveLength(14);
  });

  it("sorts flat by any column, unknowns last, and cycles back to execution order", () => {
    const table = new TableViewModel(miniResNet());
    table.cycleSort("macs");
    expect(table.sort).toEqual({ column: "macs", direction: "desc" });
    const desc = table.rows().map((r) => (r.kind === "layer" ? r.index : -1));
    expect(desc.slice(0, 4)).toEqual([0, 3, 5, 10]);
    expect(desc[desc.length - 1]).toBe(7); // null MACs
    expect(desc).not.toContain(-1); // no group rows while sorted

    table.cycleSort("macs");
    const asc = table.rows().map((r) => (r.kind === "layer" ? r.index : -1));
    expect(asc.slice(-2)).toEqual([0, 7]);

    table.cycleSort("macs");
    expect(table.sort).toBeNull();
    expect(outline(table.rows())[3]).toBe("G layer1");

    table.cycleSort("name");
    expect(table.rows().map((r) => (r.kind === "layer" ? r.layer.name : ""))[0]).toBe("avgpool");
    table.setSort({ column: "rf-size", direction: "desc" });
    expect(
      table
        .rows()
        .slice(0, 2)
        .map((r) => (r.kind === "layer" ? r.index : -1)),
    ).toEqual([9, 10]); // global first
  });

  it("combines sort and filter", () => {
    const table = new TableViewModel(miniResNet());
    table.setFilter("conv");
    table.setSort({ column: "params", direction: "asc" });
    expect(table.rows().map((r) => (r.kind === "layer" ? r.index : -1))).toEqual([0, 3, 5, 7]);
  });
});

describe("charts, header and details", () => {
  it("keeps the top N nonzero layers in execution order", () => {
    const a = miniResNet();
    const all = layerBarSeries(a.layers, "params");
    expect(all.layerIndexes).toEqual([0, 3, 5, 7, 10]);
    const top = layerBarSeries(a.layers, "macs", 2);
    expect(top).toMatchObject({ layerIndexes: [0, 3], values: [118013952, 115605504], total: 4 });
  });

  it("plots the first-axis receptive field of spatial layers", () => {
    const points = receptiveFieldSeries(miniResNet().layers);
    expect(points.map((p) => p.layerIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(points[2]).toMatchObject({ size: 11, stride: 4 });
    expect(receptiveFieldSeries(miniResNet().layers, 3).map((p) => p.layerIndex)).toEqual([0, 2, 6]);
  });

  it("summarises the model with raw totals", () => {
    const h = headerView(miniResNet());
    expect(h.meta).toBe("ONNX · pytorch 2.5 · opset 17 · IR 8");
    // A Caffe file has no opset or IR version of its own.
    expect(
      headerView({ ...miniResNet(), format: "caffe", producer: "Caffe prototxt", irVersion: 0 }).meta,
    ).toBe("caffe · Caffe prototxt");
    expect(h.inputs).toEqual(["input: 1×3×224×224 float32"]);
    const byId = new Map(h.totals.map((t) => [t.testId, t]));
    expect(byId.get("total-params")).toMatchObject({ text: "185.00 k", dataValue: "185000" });
    expect(byId.get("total-macs")).toMatchObject({ text: "?", dataValue: "" });
    expect(byId.get("total-activation")).toMatchObject({ text: "118 MiB", dataValue: "123456789" });
    expect(byId.get("final-rf")?.text).toBe("27×27");
  });

  it("describes a layer with its neighbours and receptive field", () => {
    const a = miniResNet();
    const d = detailsView(a.layers[6]!, a);
    expect(d.opType).toBe("Add");
    expect(d.predecessors.map((p) => p.label)).toEqual(["layer1.0.conv2", "maxpool"]);
    expect(d.successors.map((s) => s.index)).toEqual([7, 8]);
    expect(d.rf).toEqual([
      { axis: "H", size: "27", stride: "4", start: "-13" },
      { axis: "W", size: "27", stride: "4", start: "-13" },
    ]);
    expect(d.rfMisaligned).toBe(true);
  });
});
