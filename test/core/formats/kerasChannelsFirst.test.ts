/**
 * Keras models whose layers say data_format="channels_first" (kerasBuild.kerasLayout): the model's layout is
 * its layers', so the Run tab feeds a channels-first model's image as it is and draws its maps as they are,
 * and a model mixing both formats is followed value by value from each input's own layout. Each graph runs
 * on onnxruntime-node with an image whose every element names its own (c, h, w); the value-keeping layers
 * (1×1 pools, zero padding, Permute) let each drawn map be compared with planes built here directly.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { moduleReport } from "../../../src/core/analysis/report";
import { analyzeFile, analyzeModel } from "../../../src/core/index";
import {
  EXPLAIN_METHODS,
  explainGraph,
  explainWhyNot,
  type GraphMethod,
} from "../../../src/core/explain/methods";
import { readModel } from "../../../src/core/formats/registry";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import type { Model } from "../../../src/core/ir/types";
import {
  channelsFirstView,
  fedInput,
  isChannelsLast,
  outputViewsOf,
  valueLayouts,
} from "../../../src/core/onnx/channelsFirst";
import { buildRunnable } from "../../../src/core/onnx/runnable";
import { layoutOf } from "../../../webview/run/tensorLayout";

const [C, H, W] = [2, 3, 4];
const code = (c: number, h: number, w: number) => 100 * c + 10 * h + w;

const layer = (cls: string, config: Record<string, unknown>) => ({ class_name: cls, config });
const input = (shape: (number | null)[]) =>
  layer("InputLayer", { batch_input_shape: shape, dtype: "float32", name: "x" });
const sequential = (...layers: unknown[]) =>
  JSON.stringify({ class_name: "Sequential", config: { name: "s", layers }, keras_version: "2.15.0" });
const pool1 = (name: string, data_format: string) =>
  layer("MaxPooling2D", { name, pool_size: [1, 1], strides: [1, 1], padding: "valid", data_format });
const FIRST = "channels_first";
const LAST = "channels_last";

/** All channels_first: Conv2D, MaxPooling2D, ZeroPadding2D, Cropping2D, UpSampling2D, global pooling. */
const ALL_FIRST = sequential(
  input([null, C, H, W]),
  pool1("same", FIRST),
  layer("ZeroPadding2D", {
    name: "pad",
    padding: [
      [1, 1],
      [2, 2],
    ],
    data_format: FIRST,
  }),
  layer("Cropping2D", {
    name: "crop",
    cropping: [
      [1, 0],
      [0, 1],
    ],
    data_format: FIRST,
  }),
  layer("Conv2D", { name: "conv", filters: 5, kernel_size: [3, 3], data_format: FIRST, padding: "valid" }),
  layer("UpSampling2D", { name: "up", size: [2, 3], data_format: FIRST }),
  layer("MaxPooling2D", { name: "pool", pool_size: [2, 2], data_format: FIRST }),
  layer("GlobalAveragePooling2D", { name: "gap", data_format: FIRST }),
);

const text = (s: string) => new TextEncoder().encode(s);
/** A legacy .h5 as the reader finds its model_config: the HDF5 signature, then the JSON attribute. */
const h5 = (json: string) =>
  new Uint8Array([...[0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], ...text(json), 0]);

/** The NCHW image the Run tab feeds: plane c holds code(c, h, w). */
function image(): ort.Tensor {
  const fed = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++)
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) fed[(c * H + h) * W + w] = code(c, h, w);
  return new ort.Tensor("float32", fed, [1, C, H, W]);
}

/** Runs the view of `model` that draws `values` and returns each drawn value's planes (c → h·w values). */
async function drawn(model: Model, values: string[]): Promise<Record<string, number[][]>> {
  const view = channelsFirstView(
    model,
    values.map((name) => ({ name, rank: 4 })),
  );
  expect([...view.notDrawn.keys()]).toEqual([]);
  const fetched = values.map((v) => view.copies.get(v) ?? v);
  const session = await ort.InferenceSession.create(
    buildRunnable(view.model, { extraOutputs: fetched, seed: 1 }).bytes,
  );
  const x = view.model.graph.inputs[0]!;
  expect(x.shape?.slice(1)).toEqual([C, H, W]);
  const out = await session.run({ [x.name]: image() }, fetched);
  return Object.fromEntries(
    values.map((v, i) => {
      const t = out[fetched[i]!]!;
      const l = layoutOf(t.dims.map(Number));
      if (l.kind !== "maps") throw new Error(`${v} is not drawn as maps`);
      const data = Array.from(t.data as Float32Array);
      const planes = Array.from({ length: l.channels }, (_, c) =>
        data.slice(c * l.channelStride, c * l.channelStride + l.height * l.width),
      );
      return [v, planes];
    }),
  );
}

/** The value a layer's last row gives, by the layer's name. */
function valueOf(model: Model): (layer: string) => string {
  const rows = analyzeModel(model, { modelName: "m" }).layers;
  return (layer) => rows.filter((r) => r.name === layer).at(-1)!.outputs[0]!.name;
}

const codePlanes = () =>
  Array.from({ length: C }, (_, c) =>
    Array.from({ length: H * W }, (_, i) => code(c, Math.floor(i / W), i % W)),
  );

describe("a Keras model whose layers are all channels_first", () => {
  it.each([
    ["JSON", "m.json", text(ALL_FIRST)],
    ["HDF5", "m.h5", h5(ALL_FIRST)],
  ])("%s: is a plain channels-first model, its shapes and receptive fields on (h, w)", (_, file, bytes) => {
    const model = readModel(file, bytes);
    expect(model.layout).toBe("channels_first");
    expect(isChannelsLast(model)).toBe(false);
    const x = model.graph.inputs[0]!;
    expect(fedInput(model, x)).toBe(x);
    const rows = moduleReport(analyzeFile(file, bytes)).layers;
    const row = (name: string) => rows.find((r) => r.name === name);
    expect(row("pad")?.output_shape).toEqual([1, C, H + 2, W + 4]);
    expect(row("crop")?.output_shape).toEqual([1, C, H + 1, W + 3]);
    expect(row("conv")?.output_shape).toEqual([1, 5, H - 1, W + 1]);
    expect(row("conv")?.params).toBe(C * 9 * 5 + 5);
    expect(row("up")?.output_shape).toEqual([1, 5, 2 * (H - 1), 3 * (W + 1)]);
    expect(row("gap")?.output_shape).toEqual([1, 5]);
    // Before, the input was taken as NHWC: the "spatial" axes were C and H.
    expect(row("conv")?.rf).toMatchObject({ size: [3, 3], stride: [1, 1] });
  });

  it("is fed its image as it is and draws its maps as they are (no wrapper)", async () => {
    const model = readModel("m.json", text(ALL_FIRST));
    const value = valueOf(model);
    const view = channelsFirstView(model, [{ name: value("same"), rank: 4 }]);
    expect(view.model).toBe(model);
    const got = await drawn(model, [value("same"), value("pad")]);
    expect(got[value("same")]).toEqual(codePlanes());
    // Padded by 1 row and 2 columns on each side: the interior is the image.
    const pad = got[value("pad")]!;
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        expect(pad[c]!.slice((h + 1) * (W + 4) + 2, (h + 1) * (W + 4) + 2 + W)).toEqual(
          codePlanes()[c]!.slice(h * W, (h + 1) * W),
        );
  });

  it("is explained as any channels-first model: every method builds, the saliency is the image's NCHW", async () => {
    const json = sequential(
      input([null, C, 8, 8]),
      layer("Conv2D", {
        name: "conv",
        filters: 4,
        kernel_size: [3, 3],
        data_format: FIRST,
        activation: "relu",
      }),
      layer("MaxPooling2D", { name: "pool", pool_size: [2, 2], data_format: FIRST }),
      layer("Flatten", { name: "flat", data_format: FIRST }),
      layer("Dense", { name: "dense", units: 3, activation: "softmax" }),
    );
    const model = readModel("m.json", text(json));
    expect(explainWhyNot(model)).toBeNull();
    const layers = analyzeModel(model, { modelName: "m" }).layers;
    for (const { id } of EXPLAIN_METHODS.filter((m) => m.post !== "guidedTimesGradcam"))
      expect(explainGraph(model, layers, { method: id as GraphMethod, classIndex: 1 }).output).not.toBe("");
    const g = explainGraph(model, layers, { method: "saliency", classIndex: 1 });
    const session = await ort.InferenceSession.create(buildRunnable(g.model, { seed: 3 }).bytes);
    const dims = [1, C, 8, 8];
    const x = Float32Array.from({ length: C * 64 }, (_, i) => Math.sin(i));
    const out = await session.run({ x: new ort.Tensor("float32", x, dims) }, [g.output]);
    expect(out[g.output]?.dims).toEqual(dims);
  });

  it("from Python source: data_format='channels_first' layers give a channels-first model", () => {
    const source = [
      "import keras",
      "from keras import layers",
      "model = keras.Sequential([keras.Input((3, 8, 8)),",
      "    layers.Conv2D(4, 3, data_format='channels_first'),",
      "    layers.MaxPooling2D(2, data_format='channels_first')])",
    ].join("\n");
    const m = analyzePythonSource(source, { fileName: "m.py" }).classes.find((c) => c.name === "sequential");
    expect(m?.model?.layout).toBe("channels_first");
    expect(m?.analysis?.layers.map((l) => l.outputs[0]?.shape)).toContainEqual([1, 4, 3, 3]);
  });
});

describe("a Keras model mixing channels_last and channels_first layers", () => {
  // NHWC in: a channels_last pool, Permute to NCHW, a channels_first pool, and a channels_first conv.
  const MIXED = sequential(
    input([null, H, W, C]),
    pool1("last", LAST),
    layer("Permute", { name: "to_first", dims: [3, 1, 2] }),
    pool1("first", FIRST),
    layer("Conv2D", { name: "conv", filters: 3, kernel_size: [1, 1], data_format: FIRST }),
  );

  it("takes each input's layout from the layers that read it and follows every value from there", async () => {
    const model = readModel("m.json", text(MIXED));
    expect(model.layout).toBe("mixed");
    expect(Object.fromEntries(model.inputLayouts!)).toEqual({ x: LAST });
    expect(isChannelsLast(model)).toBe(true);
    expect(fedInput(model, model.graph.inputs[0]!).shape).toEqual(["None", C, H, W]);
    const value = valueOf(model);
    const layouts = valueLayouts(model);
    expect(layouts.get(value("last"))).toBe("last");
    expect(layouts.get(value("to_first"))).toBe("first");
    expect(layouts.get(value("conv"))).toBe("first");
    const got = await drawn(model, [value("last"), value("to_first"), value("first")]);
    for (const planes of Object.values(got)) expect(planes).toEqual(codePlanes());
    const report = moduleReport(analyzeModel(model, { modelName: "m" })).layers;
    expect(report.find((r) => r.name === "conv")?.rf).toMatchObject({ size: [1, 1], stride: [1, 1] });
  });

  it("says an input its layers read both ways has no known channel axis, and draws nothing from it", () => {
    const branch = (name: string, format: string) => ({
      ...pool1(name, format),
      name,
      inbound_nodes: [[["x", 0, 0, {}]]],
    });
    const json = JSON.stringify({
      class_name: "Functional",
      config: {
        name: "f",
        layers: [
          { ...input([null, 4, 4, 4]), name: "x", inbound_nodes: [] },
          branch("a", FIRST),
          branch("b", LAST),
        ],
        input_layers: [["x", 0, 0]],
        output_layers: [
          ["a", 0, 0],
          ["b", 0, 0],
        ],
      },
    });
    const model = readModel("m.json", text(json));
    expect(model.layout).toBe("mixed");
    expect(model.inputLayouts?.size).toBe(0);
    expect(model.notes).toContainEqual(expect.stringMatching(/input "x": its layers mix channels_first and/));
    const x = model.graph.inputs[0]!;
    expect(fedInput(model, x)).toBe(x);
    const outputs = model.graph.outputs.map((o) => ({ name: o.name, rank: 4 }));
    const view = channelsFirstView(model, outputs);
    expect([...view.notDrawn.keys()].sort()).toEqual(outputs.map((o) => o.name).sort());
    expect(Object.values(outputViewsOf(model, view)).every((v) => "notDrawn" in v)).toBe(true);
    expect(moduleReport(analyzeModel(model, { modelName: "m" })).layers.map((l) => l.rf)).toEqual([
      null,
      null,
    ]);
  });
});

describe("channels-last Keras models are unchanged", () => {
  it.each([
    "mnist_convnet.json",
    "mnist_convnet.h5",
    "toy_resnet.json",
    "autoencoder.keras",
    "imdb_bilstm.json",
  ])("%s stays channels_last", (file) => {
    const model = readModel(file, readFileSync(resolve(__dirname, "../../fixtures/keras", file)));
    expect(model.layout).toBe("channels_last");
    expect(model.inputLayouts).toBeUndefined();
  });
});
