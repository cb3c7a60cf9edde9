/**
 * Explain on channels-last models (TFLite, Keras: N, H, W, C): the backward graphs are built on the Run
 * tab's channels-first wrapper (core/onnx/channelsFirst), so the image is fed NCHW and a layer is read at
 * its channels-first copy. Checked on LeNet-5 and its NHWC twin — the same weights in the graph the
 * TFLite/Keras readers emit (Transpose → NCHW op → Transpose, elementwise ops on NHWC values) —: every
 * method's map agrees. What is still not known (an input read both ways, a layer after a reshape) is
 * refused with its reason. Before, every channels-last model was refused with one line.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { explain } from "../../src/cli/explain";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { seedValues } from "../../src/core/onnx/backward";
import {
  EXPLAIN_METHODS,
  explainGraph,
  explainWhyNot,
  type GraphMethod,
} from "../../src/core/explain/methods";
import { readModel } from "../../src/core/formats/registry";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Model, Node } from "../../src/core/ir/types";
import { fedInput, toFirstPerm, toLastPerm } from "../../src/core/onnx/channelsFirst";
import { buildRunnable } from "../../src/core/onnx/runnable";

const LENET = resolve(__dirname, "../../../shared/fixtures/models/lenet5_digits.onnx");
const METHODS = EXPLAIN_METHODS.filter((m) => m.post !== "guidedTimesGradcam").map(
  (m) => m.id as GraphMethod,
);

const transpose = (name: string, input: string, output: string, perm: number[]): Node => ({
  name,
  opType: "Transpose",
  domain: "",
  inputs: [input],
  outputs: [output],
  attrs: { perm },
});

/**
 * LeNet-5 as a channels-last file holds it: an NHWC input, each windowed op between transposes (its output
 * NHWC under its own name), Tanh on NHWC values, and the NCHW order restored before Flatten.
 */
function nhwcTwin(nchw: Model): Model {
  const windowed = new Set(["Conv", "AveragePool", "MaxPool"]);
  const nodes: Node[] = [];
  for (const n of nchw.graph.nodes) {
    const x = n.inputs[0] ?? "";
    const y = n.outputs[0] ?? "";
    if (windowed.has(n.opType)) {
      nodes.push(transpose(`${n.name}/in`, x, `${x}/nchw_for_${n.name}`, toFirstPerm(4)));
      nodes.push({ ...n, inputs: [`${x}/nchw_for_${n.name}`, ...n.inputs.slice(1)], outputs: [`${y}/nchw`] });
      nodes.push(transpose(`${n.name}/out`, `${y}/nchw`, y, toLastPerm(4)));
    } else if (n.opType === "Flatten") {
      nodes.push(transpose(`${n.name}/in`, x, `${x}/nchw`, toFirstPerm(4)));
      nodes.push({ ...n, inputs: [`${x}/nchw`] });
    } else nodes.push(n);
  }
  const [input] = nchw.graph.inputs;
  const s = input!.shape!;
  return {
    ...nchw,
    layout: "channels_last",
    graph: { ...nchw.graph, inputs: [{ ...input!, shape: toLastPerm(4).map((i) => s[i]!) }], nodes },
  };
}

/** The image both are fed (NCHW, as the Run tab feeds it) and each graph's map for it. */
async function mapOf(model: Model, method: GraphMethod, layer: string): Promise<Float32Array> {
  const layers = analyzeModel(model, { modelName: "m" }).layers;
  const layerIndex = layers.filter((l) => l.outputs[0]?.name === layer).at(-1)!.index;
  const g = explainGraph(model, layers, { method, layerIndex, classIndex: 3, channel: 2 });
  const session = await ort.InferenceSession.create(buildRunnable(g.model, { seed: 7 }).bytes);
  const x = fedInput(model, model.graph.inputs[0]!);
  const dims = x.shape!.map(Number);
  const image = Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i / 7) * Math.cos(i / 31));
  const feeds: Record<string, ort.Tensor> = { [x.name]: new ort.Tensor("float32", image, dims) };
  if (g.seedInput)
    feeds[g.seedInput.name] = new ort.Tensor("float32", seedValues(g.seedInput, 3), [...g.seedInput.dims]);
  const out = await session.run(feeds, [g.output]);
  return out[g.output]!.data as Float32Array;
}

describe("Explain on a channels-last model agrees with the same model channels first", () => {
  const nchw = readOnnx(readFileSync(LENET));
  const nhwc = nhwcTwin(nchw);
  // The second conv's Tanh: an NHWC value in the twin, drawn and read at its channels-first copy.
  const tanh = nchw.graph.nodes.filter((n) => n.opType === "Tanh")[1]!.outputs[0]!;

  it.each(METHODS)("%s", async (method) => {
    expect(explainWhyNot(nhwc)).toBeNull();
    const [want, got] = [await mapOf(nchw, method, tanh), await mapOf(nhwc, method, tanh)];
    expect(got.length).toBe(want.length);
    const scale = Math.max(...want.map(Math.abs), 1e-12);
    expect(want.some((v) => v !== 0)).toBe(true);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!) / scale).toBeLessThan(1e-4);
  });
});

describe("channels-last files explained", () => {
  const read = (dir: string, file: string) =>
    readModel(file, readFileSync(resolve(__dirname, "../fixtures", dir, file)));

  it.each([
    ["tflite", "lenet.tflite"],
    ["tflite", "mobilenet_block.tflite"],
    ["keras", "mnist_convnet.h5"],
  ])("every method builds on %s %s", (dir, file) => {
    const model = read(dir, file);
    expect(model.layout).toBe("channels_last");
    const layers = analyzeModel(model, { modelName: "m" }).layers;
    for (const method of METHODS) {
      const g = explainGraph(model, layers, { method, classIndex: 0, fedSeed: true });
      // The graph takes the image channels first, as the Run tab feeds it.
      expect(g.model.graph.inputs[0]?.shape?.[1]).toBe(fedInput(model, model.graph.inputs[0]!).shape?.[1]);
      expect(g.model.graph.inputs[0]?.name).toMatch(/::nchw$/);
    }
  });

  it("convlens explain gives a TFLite model's maps channels first", async () => {
    const model = resolve(__dirname, "../fixtures/tflite/lenet.tflite");
    const args = { model, json: true, normalize: "unit", backend: "native" } as const;
    for (const method of ["saliency", "gradcam", "deconvnet"] as const) {
      const r = await explain({ ...args, method });
      expect(r.data.every(Number.isFinite)).toBe(true);
      if (method !== "gradcam") expect(r.shape).toEqual([1, 1, 28, 28]);
    }
  });
});

describe("what is not known is refused, with why", () => {
  it("a layer after a reshape has no known channel axis", () => {
    const nchw = readOnnx(readFileSync(LENET));
    const nhwc = nhwcTwin(nchw);
    // NHWC Tanh output reshaped to another rank-4 shape: its channels are lost.
    const tanh = nchw.graph.nodes.filter((n) => n.opType === "Tanh")[0]!.outputs[0]!;
    const shape = {
      name: "shape4",
      dtype: "int64" as const,
      dims: [4],
      storage: {
        kind: "inline" as const,
        bytes: new Uint8Array(BigInt64Array.from([1n, 6n, 28n, 28n]).buffer),
      },
    };
    const reshape: Node = {
      name: "r",
      opType: "Reshape",
      domain: "",
      inputs: [tanh, "shape4"],
      outputs: ["lost"],
      attrs: {},
    };
    const model: Model = {
      ...nhwc,
      graph: {
        ...nhwc.graph,
        nodes: [...nhwc.graph.nodes, reshape],
        initializers: new Map([...nhwc.graph.initializers, ["shape4", shape]]),
        outputs: [...nhwc.graph.outputs, { name: "lost", dtype: "float32", shape: [1, 6, 28, 28] }],
      },
    };
    const layers = analyzeModel(model, { modelName: "m" }).layers;
    const layerIndex = layers.find((l) => l.outputs[0]?.name === "lost")!.index;
    expect(() => explainGraph(model, layers, { method: "gradcam", layerIndex, classIndex: 0 })).toThrow(
      /Explain is not available at this layer: .*no known channel axis/,
    );
  });

  it("an input whose layers read it both ways is refused", async () => {
    const nhwc = nhwcTwin(readOnnx(readFileSync(LENET)));
    const mixed: Model = { ...nhwc, layout: "mixed", inputLayouts: new Map() };
    const why = /Explain is not available: input "input" has no known channel axis/;
    expect(explainWhyNot(mixed)).toMatch(why);
    const layers = analyzeModel(mixed, { modelName: "m" }).layers;
    expect(() => explainGraph(mixed, layers, { method: "saliency", classIndex: 0 })).toThrow(why);
  });
});
