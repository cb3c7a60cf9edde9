/**
 * The inspector of a PyTorch class speaks PyTorch: the op column, the details pane, the graph
 * and the header read the source's words (`Conv2d`, `Linear`, `x`, the class and its file),
 * and the graph's names stay one hover away. A model file keeps its own ops and header.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { ModelAnalysis } from "../../src/core/analysis/result";
import { analyzePythonSource } from "../../src/core/formats/python/pythonModel";
import { GraphViewModel } from "../../webview/model/graphModel";
import { detailsView, headerView, layerCells, TableViewModel } from "../../webview/viewModel";
import { miniResNet } from "./miniResNet";

const CUSTOM = resolve(__dirname, "../../../shared/fixtures/definitions/custom_models.py");

function classAnalysis(name: string): ModelAnalysis {
  const result = analyzePythonSource(readFileSync(CUSTOM, "utf8"), { fileName: CUSTOM });
  const analysis = result.classes.find((c) => c.name === name)?.analysis;
  if (!analysis) throw new Error(`${name} was not analysed`);
  return analysis;
}

describe("a PyTorch class in the inspector", () => {
  const lenet = classAnalysis("LeNet5");
  const table = new TableViewModel(lenet);
  const row = (name: string) => {
    const l = lenet.layers.find((x) => x.name === name);
    if (!l) throw new Error(`no row ${name}`);
    return l;
  };

  it("the op column names layers as __init__ builds them, the graph's op in the tooltip", () => {
    // custom_models.py: self.c1 = nn.Conv2d(1, 6, kernel_size=5) … self.out = nn.Linear(84, num_classes)
    const ops = table
      .rows()
      .map((r) => (r.kind === "layer" ? [r.layer.name, table.cells(r.index)?.op.text] : []));
    expect(ops).toContainEqual(["c1", "Conv2d"]);
    expect(ops).toContainEqual(["s2", "AvgPool2d"]);
    expect(ops).toContainEqual(["f6", "Linear"]);
    expect(ops).toContainEqual(["out", "Linear"]);
    expect(layerCells(row("out")).op).toEqual({ text: "Linear", title: "graph op Gemm" });
  });

  it("searching finds a layer by the source's type and by the graph's op", () => {
    table.setFilter("linear");
    expect(table.rows().map((r) => (r.kind === "layer" ? r.layer.name : r.path))).toEqual(["f6", "out"]);
    table.setFilter("gemm");
    expect(table.rows().map((r) => (r.kind === "layer" ? r.layer.name : r.path))).toEqual(["f6", "out"]);
    table.setFilter("");
  });

  it("the header names the class and its file instead of the graph's opset and IR", () => {
    const h = headerView(lenet);
    expect(h.model).toBe("LeNet5");
    expect(h.meta).toBe("— custom_models.py · PyTorch");
    expect(h.meta).not.toMatch(/IR|opset/);
    // forward(self, x): … return self.out(x)
    expect(h.inputs).toEqual(["x: 1×1×32×32 float32"]);
    expect(h.outputs).toEqual(["output: 1×10 float32"]);
  });

  it("details show the source's type and value names, the graph's beside them", () => {
    const d = detailsView(row("out"), lenet);
    expect(d.opType).toBe("Linear");
    expect(d.graphOp).toBe("Gemm");
    // x = self.act6(self.f6(x)); return self.out(x)
    expect(d.inputs[0]).toMatchObject({ key: "x", value: "1×84 float32" });
    expect(d.inputs[0]?.title).toBe("graph value /act6/Tanh_output_0");
    expect(d.outputs[0]).toMatchObject({ key: "output", value: "1×10 float32" });
    expect(d.weights.map((w) => w.key)).toEqual(["out.weight", "out.bias"]);
    expect(d.id).toBe("/out/Gemm");
    expect(d.idOrigin).toMatch(/traced from the source/);
  });

  it("graph nodes carry the source's type", () => {
    const graph = new GraphViewModel(lenet);
    const titles = graph.build().nodes.map((n) => n.title);
    expect(titles.filter((t) => t === "Conv2d")).toHaveLength(3);
    expect(titles.filter((t) => t === "Linear")).toHaveLength(2);
    expect(titles).not.toContain("Gemm");
  });
});

describe("a model file in the inspector", () => {
  it("keeps the file's op types and its format line", () => {
    const a = miniResNet();
    const first = a.layers[0];
    if (!first) throw new Error("no layers");
    expect(layerCells(first).op).toEqual({ text: first.opType });
    expect(detailsView(first, a).graphOp).toBeUndefined();
    expect(detailsView(first, a).idOrigin).toBe("Node name in the file");
    expect(headerView(a).meta).toBe("ONNX · pytorch 2.5 · opset 17 · IR 8");
  });
});

describe("a Keras model in the inspector", () => {
  // keras_mnist.py: the Simple MNIST convnet of keras.io, a keras.Sequential of Conv2D, MaxPooling2D, Dense.
  const file = resolve(__dirname, "../fixtures/python/keras_mnist.py");
  const model = analyzePythonSource(readFileSync(file, "utf8"), { fileName: file }).classes.find(
    (c) => c.name === "sequential",
  )?.analysis as ModelAnalysis;

  it("the op column and the graph speak Keras; the header names the model's file and Keras", () => {
    const table = new TableViewModel(model);
    const ops = table.rows().map((r) => (r.kind === "layer" ? table.cells(r.index)?.op.text : undefined));
    expect(ops).toContain("Conv2D · Conv");
    expect(ops).toContain("MaxPooling2D · MaxPool");
    expect(ops.some((op) => op?.startsWith("Dense"))).toBe(true);
    expect(ops).not.toContain("Conv");
    const conv = model.layers.find((l) => l.name === "conv2d" && l.opType === "Conv");
    expect(conv && layerCells(conv).op).toEqual({ text: "Conv2D · Conv", title: "graph op Conv" });
    const graph = new GraphViewModel(model).build().nodes.map((n) => n.title);
    expect(graph).not.toContain("MaxPool");
    expect(headerView(model).model).toBe("sequential");
    expect(headerView(model).meta).toBe("— keras_mnist.py · Keras");
  });
});
