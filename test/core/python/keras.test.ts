/**
 * Keras in Python source: the Keras MNIST example against its published model.summary()
 * (a None batch counts as 1), a functional-API model's structure, and larger models
 * against their PyTorch builds (tools/make_keras_source_refs.py).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { moduleReport } from "../../../src/core/analysis/report";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const DIR = resolve(__dirname, "../../fixtures/python");
const result = analyzePythonSource(readFileSync(resolve(DIR, "keras_mnist.py"), "utf8"), {
  fileName: "keras_mnist.py",
});

describe("Keras Sequential: the MNIST convnet example", () => {
  const exp = JSON.parse(readFileSync(resolve(DIR, "keras_mnist.expected.json"), "utf8")) as {
    totals: { params: number };
    layers: { name: string; type: string; output_shape: (number | null)[]; params: number }[];
  };
  const model = result.classes.find((c) => c.name === "sequential");
  it("matches model.summary(): names, types, channels-last shapes, params", () => {
    expect(model?.error).toBeUndefined();
    const report = moduleReport(model?.analysis as NonNullable<NonNullable<typeof model>["analysis"]>);
    expect(report.totals.params).toBe(exp.totals.params);
    expect(
      report.layers.map((l) => ({
        name: l.name,
        type: l.type,
        output_shape: l.output_shape,
        params: l.params,
      })),
    ).toEqual(exp.layers.map((l) => ({ ...l, output_shape: l.output_shape.map((d) => d ?? 1) })));
  });
  it("measures receptive fields on the channels-last spatial axes", () => {
    const report = moduleReport(model?.analysis as NonNullable<NonNullable<typeof model>["analysis"]>);
    expect(report.layers.find((l) => l.name === "conv2d_1")?.rf).toEqual({
      size: [8, 8],
      stride: [2, 2],
      start: [0, 0],
    });
  });
});

describe("Keras functional API", () => {
  const model = result.classes.find((c) => c.name === "tiny_functional");
  it("builds the graph from Input to outputs", () => {
    expect(model?.error).toBeUndefined();
    const report = moduleReport(model?.analysis as NonNullable<NonNullable<typeof model>["analysis"]>);
    const byName = new Map(report.layers.map((l) => [l.name, l]));
    expect(byName.get("conv2d_2")?.output_shape).toEqual([1, 32, 32, 16]); // "same" padding keeps 32×32
    expect(byName.get("conv2d_2")?.params).toBe(3 * 3 * 3 * 16); // no bias
    expect(byName.get("batch_normalization")?.params).toBe(4 * 16); // gamma, beta, moving mean and variance
    expect(byName.get("concatenate")?.output_shape).toEqual([1, 32, 32, 24]);
    expect(byName.get("max_pooling2d_2")?.output_shape).toEqual([1, 16, 16, 24]);
    expect(byName.get("global_average_pooling2d")?.output_shape).toEqual([1, 24]);
    expect(byName.get("dense_1")?.params).toBe(24 * 5 + 5);
  });
});

describe("Keras recurrent layers in source: the RNN guide's models against their published summaries", () => {
  const rnn = analyzePythonSource(readFileSync(resolve(DIR, "keras_rnn.py"), "utf8"), {
    fileName: "keras_rnn.py",
  });
  it.each([
    ["sequential_1", "rnn_guide_gru"],
    ["sequential_2", "rnn_guide_bidirectional"],
    ["functional_1", "rnn_guide_encoder_decoder"],
  ])("%s (%s.published.json)", (name, stem) => {
    const pub = JSON.parse(readFileSync(resolve(DIR, "../keras", `${stem}.published.json`), "utf8")) as {
      totals: { params: number };
      layers: { name: string; type: string; output_shape: (number | null)[]; params: number }[];
    };
    const model = rnn.classes.find((c) => c.name === name);
    expect(model?.error).toBeUndefined();
    const report = moduleReport(model?.analysis as NonNullable<NonNullable<typeof model>["analysis"]>);
    expect(report.totals.params).toBe(pub.totals.params);
    const rows = new Map(report.layers.map((l) => [l.name, l]));
    for (const l of pub.layers.filter((x) => x.type !== "InputLayer")) {
      expect(rows.get(l.name)?.params, l.name).toBe(l.params);
      expect(rows.get(l.name)?.type, l.name).toBe(l.type);
      expect(rows.get(l.name)?.output_shape, l.name).toEqual(
        l.output_shape.map((d, i) => (d === null ? (i === 0 ? 1 : "None") : d)),
      );
    }
  });
});

interface SourceRef {
  model: string;
  input_shape: number[];
  totals: { params: number; macs: number };
  layers: {
    name: string;
    type: string;
    output_shape: number[];
    params: number;
    macs: number;
    rf: { size: number[]; stride: number[]; start: number[] } | null;
  }[];
}

const within = (got: number | null | undefined, want: number): boolean =>
  got !== null && got !== undefined && Math.abs(got - want) <= 0.005 * Math.max(1, want);

// A table of fixtures: each <stem>.py holds one Keras model, <stem>.expected.json its PyTorch build
// (channels-last, Keras parameter counts, TensorFlow's "same" padding). Shapes, params and receptive
// fields exact, MACs within 0.5 %.
describe.each(["keras_vgg", "keras_resnet"])("Keras in source against its PyTorch build: %s.py", (stem) => {
  const exp = JSON.parse(readFileSync(resolve(DIR, `${stem}.expected.json`), "utf8")) as SourceRef;
  const found = analyzePythonSource(readFileSync(resolve(DIR, `${stem}.py`), "utf8"), {
    fileName: `${stem}.py`,
  });
  const model = found.classes.find((c) => c.name === exp.model);
  const report = model?.analysis ? moduleReport(model.analysis) : undefined;
  it("analyses the model on its keras.Input shape, totals as PyTorch's", () => {
    expect(found.parseErrors).toEqual([]);
    expect(model?.error).toBeUndefined();
    expect(model?.diagnostics ?? []).toEqual([]);
    expect(model?.analysis?.inputs[0]?.shape).toEqual(exp.input_shape);
    expect(report?.totals.params).toBe(exp.totals.params);
    expect(
      within(report?.totals.macs, exp.totals.macs),
      `MACs ${report?.totals.macs} vs ${exp.totals.macs}`,
    ).toBe(true);
  });
  it("lists the layers in Keras's order with Keras's names", () => {
    expect(report?.layers.map((l) => l.name)).toEqual(exp.layers.map((l) => l.name));
  });
  it.each(exp.layers.map((l) => [l.name, l] as const))("layer %s", (_n, e) => {
    const got = report?.layers.find((l) => l.name === e.name);
    expect(got?.type).toBe(e.type);
    expect(got?.output_shape).toEqual(e.output_shape);
    expect(got?.params).toBe(e.params);
    expect(within(got?.macs, e.macs), `MACs ${got?.macs} vs ${e.macs}`).toBe(true);
    expect(got?.rf).toEqual(e.rf);
  });
});

describe("Keras merge functions in source", () => {
  it("layers.add / layers.concatenate build Add / Concatenate layers named as Keras names them", () => {
    const src = [
      "import keras",
      "from keras import layers",
      "a = keras.Input(shape=(8, 8, 4))",
      "b = layers.Conv2D(4, 3, padding='same')(a)",
      "s = layers.add([a, b])",
      "c = layers.concatenate([s, b], axis=-1)",
      "m = keras.Model(a, layers.multiply([c, c]), name='merges')",
    ].join("\n");
    const model = analyzePythonSource(src, { fileName: "merges.py" }).classes.find(
      (c) => c.name === "merges",
    );
    expect(model?.error).toBeUndefined();
    const rows = moduleReport(model?.analysis as NonNullable<NonNullable<typeof model>["analysis"]>).layers;
    expect(rows.map((l) => [l.name, l.type, l.output_shape])).toEqual([
      ["conv2d", "Conv2D", [1, 8, 8, 4]],
      ["add", "Add", [1, 8, 8, 4]],
      ["concatenate", "Concatenate", [1, 8, 8, 8]],
      ["multiply", "Multiply", [1, 8, 8, 8]],
    ]);
  });
});
