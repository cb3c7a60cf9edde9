/**
 * Keras layers ConvLens has no rule for are kept in their place with an unknown output
 * named after the layer, never dropped (a dropped layer gave wrong params and shapes with
 * no warning), and the aliases Keras exports (`MaxPool2D` is `MaxPooling2D`) are known.
 * Expected values are Keras's own: model.summary() of the issue-14 model gives 13,610 params.
 */
import { describe, expect, it } from "vitest";
import { moduleReport } from "../../../src/core/analysis/report";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

function analyzed(source: string, name: string) {
  const model = analyzePythonSource(source, { fileName: "m.py" }).classes.find((c) => c.name === name);
  expect(model?.error).toBeUndefined();
  const analysis = model?.analysis;
  if (!analysis) throw new Error(`no analysis for ${name}`);
  return { analysis, report: moduleReport(analysis) };
}

describe("Keras aliases", () => {
  it("Sequential([Input((28,28,1)), Conv2D(8,3), MaxPool2D(2), Flatten(), Dense(10)]) has 13,610 params as Keras says", () => {
    const { report } = analyzed(
      [
        "from tensorflow import keras",
        "from tensorflow.keras import layers",
        "model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.MaxPool2D(2),",
        "    layers.Flatten(), layers.Dense(10)])",
      ].join("\n"),
      "sequential",
    );
    expect(report.totals.params).toBe(13_610);
    const rows = report.layers.map((l) => [l.name, l.type, l.output_shape]);
    expect(rows).toContainEqual(["max_pooling2d", "MaxPooling2D", [1, 13, 13, 8]]);
    expect(rows).toContainEqual(["dense", "Dense", [1, 10]]);
  });
  it("reads AvgPool2D, GlobalAvgPool2D and Convolution2D as their classes", () => {
    const { report } = analyzed(
      [
        "import keras",
        "from keras.layers import AvgPool2D, Convolution2D, GlobalAvgPool2D",
        "m = keras.Sequential([keras.Input((8, 8, 3)), Convolution2D(4, 3, padding='same'), AvgPool2D(2),",
        "    GlobalAvgPool2D()])",
      ].join("\n"),
      "sequential",
    );
    const shapes = Object.fromEntries(report.layers.map((l) => [l.name, l.output_shape]));
    expect(shapes["conv2d"]).toEqual([1, 8, 8, 4]);
    expect(shapes["average_pooling2d"]).toEqual([1, 4, 4, 4]);
    expect(shapes["global_average_pooling2d"]).toEqual([1, 4]);
    expect(report.totals.params).toBe(3 * 3 * 3 * 4 + 4);
  });
});

describe("Keras layers with no rule are unknown, never dropped", () => {
  it("a Lambda inside Sequential makes its output and the later parameters unknown, with the layer's name", () => {
    const { analysis, report } = analyzed(
      [
        "import keras",
        "from keras import layers",
        "model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3),",
        "    layers.Lambda(lambda t: t[:, ::2, ::2, :]), layers.Flatten(), layers.Dense(10)])",
      ].join("\n"),
      "sequential",
    );
    const lambda = report.layers.find((l) => l.name === "lambda");
    expect(lambda?.type).toBe("Lambda");
    expect(lambda?.output_shape).toBeNull();
    expect(analysis.warnings.join("\n")).toMatch(/Lambda "lambda": ConvLens has no rule for Lambda/);
    // The convolution's 80 params are known; the Dense after the Lambda is not a confident guess.
    expect(report.layers.find((l) => l.name === "dense")?.output_shape).toBeNull();
    expect(analysis.totals.paramsUnknown?.map((u) => u.path)).toEqual(["lambda", "dense"]);
    expect(analysis.totals.params).toBe(80);
  });
  it("a value that is not a layer keeps its place in Sequential", () => {
    const { analysis } = analyzed(
      [
        "import keras",
        "from keras import layers",
        "from mylib import Block",
        "model = keras.Sequential([keras.Input((4,)), Block(3), layers.Dense(2)])",
      ].join("\n"),
      "sequential",
    );
    expect(analysis.totals.paramsUnknown?.map((u) => u.path)).toEqual(["unknown", "dense"]);
    expect(analysis.warnings.join("\n")).toMatch(/Unknown "unknown": module mylib is not available/);
  });
  it("in the functional API the unknown layer is named instead of 'the model has no outputs'", () => {
    const { analysis, report } = analyzed(
      [
        "import keras",
        "from keras import layers",
        "inputs = keras.Input((16,))",
        "x = layers.Dense(8)(inputs)",
        "x = layers.UnitNormalization()(x)",
        "outputs = layers.Dense(2)(x)",
        "model = keras.Model(inputs, outputs)",
      ].join("\n"),
      "functional",
    );
    expect(report.layers.find((l) => l.name === "dense")?.params).toBe(16 * 8 + 8);
    expect(analysis.totals.paramsUnknown?.map((u) => u.path)).toEqual(["unit_normalization", "dense_1"]);
  });
});

describe("a Keras file whose model-building line stops", () => {
  it("says which line stopped and why, instead of no model at all (NASNetMobile's torch check)", () => {
    const source = [
      "import keras",
      "from keras import backend, layers",
      "def build():",
      "    if backend.not_a_backend_function() == 'torch':",
      "        raise ValueError('not with torch')",
      "    inputs = keras.Input(shape=(8, 8, 3))",
      "    return keras.Model(inputs, layers.Conv2D(4, 3)(inputs))",
      "model = build()",
    ].join("\n");
    const classes = analyzePythonSource(source, { fileName: "m.py" }).classes;
    expect(classes.map((c) => [c.name, c.analysis])).toEqual([["model", undefined]]);
    expect(classes[0]?.error).toMatch(
      /^cannot build model \(line 8\): cannot decide `if backend\.not_a_backend/,
    );
  });
  it("names the sibling application module it cannot find (resnet_v2.py alone)", () => {
    const source = [
      "import keras",
      "from keras.src.applications import resnet",
      "model = resnet.ResNet(lambda x: x, True, True, 'resnet50v2')",
    ].join("\n");
    const [model, ...rest] = analyzePythonSource(source, { fileName: "/x/resnet_v2.py" }).classes;
    expect(rest).toEqual([]);
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toMatch(/^cannot build model \(line 3\): .*keras\.src\.applications\.resnet/);
  });
});
