/**
 * Explain on channels-last models (TFLite, Keras: N, H, W, C) is refused with one clear line:
 * the Run tab feeds the backward graph the NCHW image of its channels-first wrapper, and
 * Grad-CAM, deconvnet and the maps read channels on axis 1. Before, a TFLite or Keras conv net
 * failed with a backward-rule error ("no backward rule for Transpose"), and a graph without the
 * readers' Transposes was built as if channels first: the CLI fed it an image laid out NCHW
 * (silently wrong). A channels-last model whose inputs are vectors is still explained.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { explain } from "../../src/cli/explain";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { EXPLAIN_METHODS, explainGraph, type GraphMethod } from "../../src/core/explain/methods";
import { defaultSpatialLayer, hostLayer } from "../../src/core/explain/layers";
import { readModel } from "../../src/core/formats/registry";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Model } from "../../src/core/ir/types";
import { buildRunnable } from "../../src/core/onnx/runnable";

const LENET = resolve(__dirname, "../../../shared/fixtures/models/lenet5_digits.onnx");
const REFUSED = "Explain is not available yet for channels-last (TFLite/Keras) models";
const METHODS = EXPLAIN_METHODS.filter((m) => m.post !== "guidedTimesGradcam").map(
  (m) => m.id as GraphMethod,
);

function refusesEveryMethod(model: Model): void {
  const layers = analyzeModel(model, { modelName: "m" }).layers;
  const layer = hostLayer(defaultSpatialLayer(layers)!, layers);
  for (const method of METHODS)
    for (const at of [{}, { layerIndex: layer.index }])
      expect(() => explainGraph(model, layers, { method, classIndex: 0, fedSeed: true, ...at })).toThrow(
        REFUSED,
      );
}

describe("Explain on channels-last models", () => {
  it.each([
    ["tflite", "lenet.tflite"],
    ["tflite", "mobilenet_block.tflite"],
    ["keras", "mnist_convnet.h5"],
  ])("refuses every method on %s %s", (dir, file) => {
    const model = readModel(file, readFileSync(resolve(__dirname, "../fixtures", dir, file)));
    expect(model.layout).toBe("channels_last");
    refusesEveryMethod(model);
  });

  it("convlens explain refuses a TFLite model rather than feed it an image laid out NCHW", async () => {
    const model = resolve(__dirname, "../fixtures/tflite/lenet.tflite");
    const args = { model, json: true, normalize: "unit", backend: "native" } as const;
    for (const method of ["saliency", "gradcam", "deconvnet", "erf"] as const)
      await expect(explain({ ...args, method })).rejects.toThrow(REFUSED);
  });

  it("refuses a channels-last graph that the backward builder would build as channels first", () => {
    // The same graph, channels first: every method builds (the builder never reads the layout).
    const nchw = readOnnx(readFileSync(LENET));
    const layers = analyzeModel(nchw, { modelName: "m" }).layers;
    const layer = hostLayer(defaultSpatialLayer(layers)!, layers);
    for (const method of METHODS)
      expect(explainGraph(nchw, layers, { method, layerIndex: layer.index, classIndex: 0 }).output).not.toBe(
        "",
      );
    refusesEveryMethod({ ...nchw, layout: "channels_last" });
  });

  it("explains a channels-last model whose input is a vector at its input, not at a layer", async () => {
    const nchw = readOnnx(readFileSync(LENET));
    // A channels-last MLP: the classifier head of LeNet-5 fed its flattened features.
    const at = nchw.graph.nodes.findIndex((n) => n.opType === "Flatten");
    const x = nchw.graph.nodes[at]!.outputs[0]!;
    const width = analyzeModel(nchw, { modelName: "m" }).layers.find((l) => l.opType === "Flatten")!
      .outputs[0]!.shape!;
    const dims = width.map(Number);
    const mlp: Model = {
      ...nchw,
      layout: "channels_last",
      graph: {
        ...nchw.graph,
        inputs: [{ name: x, dtype: "float32", shape: width }],
        nodes: nchw.graph.nodes.slice(at + 1),
      },
    };
    const layers = analyzeModel(mlp, { modelName: "m" }).layers;
    const g = explainGraph(mlp, layers, { method: "saliency", classIndex: 3 });
    const session = await ort.InferenceSession.create(buildRunnable(g.model, { seed: 7 }).bytes);
    const v = Float32Array.from({ length: dims[1]! }, (_, i) => Math.sin(i));
    const out = await session.run({ [x]: new ort.Tensor("float32", v, dims) }, [g.output]);
    expect(out[g.output]?.dims).toEqual(dims);
    const layer = layers.find((l) => l.opType === "Gemm")!;
    const dream = { method: "deepDream", layerIndex: layer.index, classIndex: 0 } as const;
    expect(() => explainGraph(mlp, layers, dream)).toThrow(REFUSED);
  });
});
