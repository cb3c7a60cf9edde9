/**
 * Saved Keras models (model.to_json() .json, .keras archives, legacy .h5) as a table of
 * files: each is checked against an independent PyTorch build of its config
 * (tools/make_keras_refs.py → <stem>.expected.json: every layer's output shape, Keras
 * params, MACs) and, where keras.io publishes the model's summary, against that
 * (<stem>.published.json, with the page address). A new fixture with its references is
 * checked by adding one row.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { moduleReport } from "../../../src/core/analysis/report";
import { analyzeFile, analyzeModel, ModelError } from "../../../src/core/index";
import { looksLikeKeras, looksLikeKerasJson } from "../../../src/core/formats/keras/kerasFile";
import { readModel, readerFor } from "../../../src/core/formats/registry";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import { buildRunnable } from "../../../src/core/onnx/runnable";

const DIR = resolve(__dirname, "../../fixtures/keras");
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(DIR, file)));
const text = (s: string) => new TextEncoder().encode(s);

interface Expected {
  inputs: Record<string, number[]>;
  totals: { params: number; macs: number };
  layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
}
interface Published {
  url: string;
  totals: { params: number };
  layers: { name: string; type: string; output_shape: (number | null)[]; params: number }[];
}

/** Every model file, with what it is asserted to be beyond its references. */
const FILES: Readonly<Record<string, { producer: RegExp; notes?: RegExp }>> = {
  "imdb_bilstm.json": { producer: /^Keras JSON \(Keras 3 layout\)$/ },
  "imdb_bilstm.keras": {
    producer: /^Keras 3\.3\.3 \.keras$/,
    notes: /Weights in model\.weights\.h5 are not read/,
  },
  "autoencoder.json": { producer: /Keras 3 layout/ },
  // Deflated entries, as zip tools re-pack archives.
  "autoencoder.keras": { producer: /\.keras$/, notes: /model\.weights\.h5 are not read/ },
  "mnist_convnet.json": { producer: /^Keras 2\.6\.0 JSON \(Keras 2 layout\)$/ },
  "mnist_convnet.h5": {
    producer: /^Keras 2\.6\.0 HDF5$/,
    notes: /model_config attribute .* weights are not read/,
  },
  "rnn_guide_gru.json": { producer: /Keras 2\.4\.0 JSON \(Keras 2 layout\)/ },
  // Keras ≤ 2.2: no InputLayer entry, batch_input_shape on the first layer.
  "rnn_guide_bidirectional.json": { producer: /Keras 2\.2\.4 JSON/ },
  "rnn_guide_encoder_decoder.json": { producer: /Keras 2 layout/ },
  "toy_resnet.json": { producer: /Keras 2 layout/ },
  "video_lstm.json": { producer: /Keras 3 layout/ },
};

const modelFiles = readdirSync(DIR).filter(
  (f) => /\.(json|keras|h5)$/.test(f) && !/\.(expected|published)\.json$/.test(f),
);

describe("Keras model files", () => {
  it("every fixture is in the table", () => expect(modelFiles.sort()).toEqual(Object.keys(FILES).sort()));
});

for (const file of modelFiles) {
  const stem = file.replace(/\.[^.]+$/, "");
  const exp = JSON.parse(readFileSync(join(DIR, `${stem}.expected.json`), "utf8")) as Expected;
  const pubFile = join(DIR, `${stem}.published.json`);
  const pub = existsSync(pubFile) ? (JSON.parse(readFileSync(pubFile, "utf8")) as Published) : undefined;
  const row = FILES[file];

  describe(`keras ${file}`, () => {
    it("is read as Keras (a .json by its content, under any name)", () => {
      expect(readerFor(file, bytesOf(file)).id).toBe("keras");
      if (file.endsWith(".json")) expect(readerFor("model.json", bytesOf(file)).id).toBe("keras");
      const model = readModel(file, bytesOf(file));
      expect(model.format).toBe("keras");
      expect(model.producer).toMatch(row?.producer ?? /^$/);
      if (row?.notes) expect(model.notes?.join(" ")).toMatch(row.notes);
      else expect(model.notes ?? []).toEqual([]);
    });

    it(`matches PyTorch: output shapes, Keras params and MACs (input ${JSON.stringify(exp.inputs)})`, () => {
      const analysis = analyzeFile(file, bytesOf(file), {}, { inputShapes: exp.inputs });
      const report = moduleReport(analysis);
      expect(analysis.layers.flatMap((l) => l.warnings)).toEqual([]);
      expect(
        report.layers.map((l) => ({
          name: l.name,
          type: l.type,
          output_shape: l.output_shape,
          params: l.params,
          macs: l.macs,
        })),
      ).toEqual(exp.layers);
      expect(report.totals.params).toBe(exp.totals.params);
      expect(report.totals.macs).toBe(exp.totals.macs);
    });

    if (pub)
      it(`matches the published model.summary() (${pub.url})`, () => {
        const report = moduleReport(analyzeFile(file, bytesOf(file)));
        expect(report.totals.params).toBe(pub.totals.params);
        // Keras's None: the batch is counted as 1, other unknown axes (time) stay symbols.
        const shape = (s: (number | null)[]) => s.map((d, i) => (d === null ? (i === 0 ? 1 : "None") : d));
        expect(
          report.layers.map((l) => ({
            name: l.name,
            type: l.type,
            output_shape: l.output_shape,
            params: l.params,
          })),
        ).toEqual(
          pub.layers
            .filter((l) => l.type !== "InputLayer")
            .map((l) => ({ ...l, output_shape: shape(l.output_shape) })),
        );
      });
  });
}

describe("receptive fields of Keras files, on the channels-last axes", () => {
  it.each([
    // 3×3, 3×3, pool 3/3, four 3×3 "same" (with the skip paths), 3×3.
    ["toy_resnet.json", "conv2d_14", { size: [37, 37], stride: [3, 3] }],
    // A frame-wise conv: one time step, 3×3 pixels.
    ["video_lstm.json", "time_distributed", { size: [1, 3, 3], stride: [1, 1, 1] }],
  ] as const)("%s: %s", (file, layerName, rf) => {
    const l = moduleReport(analyzeFile(file, bytesOf(file))).layers.find((r) => r.name === layerName);
    expect(l?.rf).toMatchObject(rf);
  });
});

describe("one builder for Keras source and Keras files", () => {
  it("the MNIST convnet as Python source and as a saved config give the same table", () => {
    const src = analyzePythonSource(
      readFileSync(resolve(__dirname, "../../fixtures/python/keras_mnist.py"), "utf8"),
      { fileName: "keras_mnist.py" },
    );
    const fromSource = moduleReport(
      src.classes.find((c) => c.name === "sequential")?.analysis as NonNullable<
        (typeof src.classes)[number]["analysis"]
      >,
    );
    const fromFile = moduleReport(analyzeFile("mnist_convnet.h5", bytesOf("mnist_convnet.h5")));
    const rows = (r: typeof fromFile) =>
      r.layers.map((l) => ({
        name: l.name,
        type: l.type,
        output_shape: l.output_shape,
        params: l.params,
        macs: l.macs,
      }));
    expect(rows(fromFile)).toEqual(rows(fromSource));
  });
});

describe("Keras models run (generated weights, onnxruntime wasm)", () => {
  ort.env.wasm.numThreads = 1;
  // [file, input name → shape and dtype, output shape]: recurrent layers, states, casts and transposed convs
  // are valid ONNX.
  const RUNS: [string, Record<string, [number[], "int64" | "float32"]>, number[]][] = [
    ["imdb_bilstm.keras", { input_layer: [[1, 9], "int64"] }, [1, 1]],
    [
      "rnn_guide_encoder_decoder.json",
      { input_1: [[1, 5], "float32"], input_2: [[1, 4], "float32"] },
      [1, 10],
    ],
    ["video_lstm.json", { input_layer: [[1, 8, 32, 32, 3], "float32"] }, [1, 5]],
    ["autoencoder.keras", { img: [[1, 28, 28, 1], "float32"] }, [1, 28, 28, 1]],
  ];
  it.each(RUNS)("%s", async (file, inputs, outShape) => {
    const model = readModel(file, bytesOf(file));
    const session = await ort.InferenceSession.create(buildRunnable(model).bytes);
    const feeds = Object.fromEntries(
      Object.entries(inputs).map(([name, [dims, dtype]]) => {
        const n = dims.reduce((a, b) => a * b, 1);
        return [
          name,
          dtype === "int64"
            ? new ort.Tensor(
                "int64",
                BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 7)),
                dims,
              )
            : new ort.Tensor(
                "float32",
                Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
                dims,
              ),
        ];
      }),
    );
    const out = Object.values(await session.run(feeds))[0];
    expect(out?.dims).toEqual(outShape);
    expect(Array.from(out?.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});

/** Keras 2 layer entries and models, to state small cases in a line. */
const layer = (cls: string, config: Record<string, unknown>) => ({ class_name: cls, config });
const sequential = (...layers: unknown[]) =>
  JSON.stringify({ class_name: "Sequential", config: { name: "s", layers }, keras_version: "2.15.0" });
const input = (shape: (number | null)[], dtype = "float32") =>
  layer("InputLayer", { batch_input_shape: shape, dtype, name: "in" });

/** [case, model JSON, expected rows by layer name (shape at batch 1, params)]. */
const CASES: [string, string, Record<string, { shape: (number | string)[]; params?: number }>][] = [
  [
    "Bidirectional merge_mode sum, go_backwards, GRU reset_after=False",
    sequential(
      input([null, 7, 5]),
      layer("Bidirectional", {
        name: "bi",
        merge_mode: "sum",
        layer: layer("GRU", { name: "g", units: 6, return_sequences: true, reset_after: false }),
      }),
      layer("SimpleRNN", { name: "back", units: 4, go_backwards: true }),
    ),
    {
      bi: { shape: [1, 7, 6], params: 2 * 3 * (6 * (5 + 6) + 6) },
      back: { shape: [1, 4], params: 4 * (6 + 4) + 4 },
    },
  ],
  [
    "Bidirectional merge_mode ave and mul on the last step",
    sequential(
      input([null, 3, 2]),
      layer("Bidirectional", {
        name: "ave",
        merge_mode: "ave",
        layer: layer("LSTM", { name: "l", units: 4, return_sequences: true }),
      }),
      layer("Bidirectional", {
        name: "mul",
        merge_mode: "mul",
        layer: layer("LSTM", { name: "l2", units: 3 }),
      }),
    ),
    {
      ave: { shape: [1, 3, 4], params: 2 * 4 * (4 * 6 + 4) },
      mul: { shape: [1, 3], params: 2 * 4 * (3 * 7 + 3) },
    },
  ],
  [
    "Conv1D causal and dilated, SeparableConv1D",
    sequential(
      input([null, 20, 3]),
      layer("Conv1D", { name: "c", filters: 8, kernel_size: [3], padding: "causal", dilation_rate: [2] }),
      layer("SeparableConv1D", { name: "s", filters: 5, kernel_size: [3], depth_multiplier: 2 }),
    ),
    {
      c: { shape: [1, 20, 8], params: 3 * 3 * 8 + 8 },
      s: { shape: [1, 18, 5], params: 3 * 8 * 2 + 16 * 5 + 5 },
    },
  ],
  [
    "DepthwiseConv2D, SeparableConv2D, strided 'same', BatchNormalization without scale",
    sequential(
      input([null, 15, 15, 4]),
      layer("DepthwiseConv2D", {
        name: "dw",
        kernel_size: [3, 3],
        strides: [2, 2],
        padding: "same",
        depth_multiplier: 2,
        use_bias: false,
      }),
      layer("SeparableConv2D", { name: "sep", filters: 6, kernel_size: [3, 3], padding: "same" }),
      layer("BatchNormalization", { name: "bn", axis: [3], scale: false }),
    ),
    {
      dw: { shape: [1, 8, 8, 8], params: 3 * 3 * 8 },
      sep: { shape: [1, 8, 8, 6], params: 9 * 8 + 8 * 6 + 6 },
      bn: { shape: [1, 8, 8, 6], params: 3 * 6 },
    },
  ],
  [
    "Conv2DTranspose with a kernel smaller than its stride, and 'same'",
    sequential(
      input([null, 5, 5, 2]),
      layer("Conv2DTranspose", { name: "t", filters: 3, kernel_size: [1, 1], strides: [2, 2] }),
      layer("Conv2DTranspose", {
        name: "s",
        filters: 3,
        kernel_size: [3, 3],
        strides: [2, 2],
        padding: "same",
      }),
    ),
    { t: { shape: [1, 10, 10, 3], params: 2 * 3 + 3 }, s: { shape: [1, 20, 20, 3], params: 9 * 3 * 3 + 3 } },
  ],
  [
    "ZeroPadding2D and Cropping2D as Keras writes them, UpSampling1D, RepeatVector, Permute",
    sequential(
      input([null, 8, 8, 1]),
      layer("ZeroPadding2D", {
        name: "zp",
        padding: [
          [1, 2],
          [0, 3],
        ],
      }),
      layer("Cropping2D", {
        name: "cr",
        cropping: [
          [2, 1],
          [1, 0],
        ],
      }),
      layer("Reshape", { name: "r", target_shape: [80, 1] }),
      layer("UpSampling1D", { name: "up", size: 2 }),
      layer("Permute", { name: "p", dims: [2, 1] }),
      layer("Flatten", { name: "f" }),
      layer("RepeatVector", { name: "rv", n: 3 }),
    ),
    {
      zp: { shape: [1, 11, 11, 1] },
      cr: { shape: [1, 8, 10, 1] },
      up: { shape: [1, 160, 1] },
      p: { shape: [1, 1, 160] },
      rv: { shape: [1, 3, 160] },
    },
  ],
  [
    "TimeDistributed(Dense), LayerNormalization, Embedding with input_length (Keras 2)",
    sequential(
      layer("Embedding", {
        name: "e",
        input_dim: 50,
        output_dim: 8,
        input_length: 6,
        batch_input_shape: [null, 6],
      }),
      layer("TimeDistributed", {
        name: "td",
        layer: layer("Dense", { name: "d", units: 4, activation: "relu" }),
      }),
      layer("LayerNormalization", { name: "ln", axis: [2] }),
    ),
    {
      e: { shape: [1, 6, 8], params: 400 },
      td: { shape: [1, 6, 4], params: 36 },
      ln: { shape: [1, 6, 4], params: 8 },
    },
  ],
  [
    "activations as layers and in layers",
    sequential(
      input([null, 4]),
      layer("Dense", { name: "d", units: 4, activation: "relu6" }),
      layer("LeakyReLU", { name: "lr", alpha: 0.1 }),
      layer("ReLU", { name: "r", max_value: 6 }),
      layer("PReLU", { name: "pr" }),
      layer("Activation", { name: "a", activation: "swish" }),
      layer("Softmax", { name: "sm" }),
    ),
    { d: { shape: [1, 4], params: 20 }, pr: { shape: [1, 4], params: 4 }, sm: { shape: [1, 4] } },
  ],
  [
    "legacy Sequential config written as a list of layers (Keras ≤ 2.2)",
    JSON.stringify({
      class_name: "Sequential",
      config: [layer("Dense", { name: "d", units: 3, batch_input_shape: [null, 5] })],
    }),
    { d: { shape: [1, 3], params: 18 } },
  ],
  [
    "TensorFlow.js model.json (modelTopology.model_config)",
    JSON.stringify({
      format: "layers-model",
      modelTopology: {
        keras_version: "tfjs-layers 4.0.0",
        model_config: JSON.parse(sequential(input([null, 3]), layer("Dense", { name: "d", units: 2 }))),
      },
      weightsManifest: [],
    }),
    { d: { shape: [1, 2], params: 8 } },
  ],
  [
    "Keras 2 functional: a nested Sequential (its calls counted after its own node), a layer shared and applied to its own output",
    JSON.stringify({
      class_name: "Functional",
      config: {
        name: "f",
        layers: [
          { ...input([null, 4]), name: "in", inbound_nodes: [] },
          {
            class_name: "Sequential",
            config: { name: "block", layers: [input([null, 4]), layer("Dense", { name: "d1", units: 4 })] },
            name: "block",
            inbound_nodes: [[["in", 0, 0, {}]]],
          },
          {
            ...layer("Dense", { name: "shared", units: 4 }),
            name: "shared",
            inbound_nodes: [[["block", 1, 0, {}]], [["shared", 0, 0, {}]]],
          },
          {
            ...layer("Concatenate", { name: "cat", axis: -1 }),
            name: "cat",
            inbound_nodes: [
              [
                ["shared", 0, 0, {}],
                ["shared", 1, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [["in", 0, 0]],
        output_layers: [["cat", 0, 0]],
      },
    }),
    {
      "block/d1": { shape: [1, 4], params: 20 },
      shared: { shape: [1, 4], params: 20 },
      cat: { shape: [1, 8] },
    },
  ],
  [
    "Keras 3 functional: Concatenate's list argument, a kwargs mask, a nested Sequential (no extra node), outputs as a list",
    JSON.stringify({
      module: "keras.src.models.functional",
      class_name: "Functional",
      config: {
        name: "f",
        layers: [
          {
            module: "keras.layers",
            class_name: "InputLayer",
            config: { batch_shape: [null, 6], dtype: "float32", name: "x" },
            name: "x",
            inbound_nodes: [],
          },
          {
            module: "keras",
            class_name: "Sequential",
            config: {
              name: "seq",
              layers: [
                {
                  module: "keras.layers",
                  class_name: "InputLayer",
                  config: { batch_shape: [null, 6], name: "i" },
                },
                { module: "keras.layers", class_name: "Dense", config: { name: "d", units: 2 } },
              ],
            },
            name: "seq",
            inbound_nodes: [
              {
                args: [
                  {
                    class_name: "__keras_tensor__",
                    config: { shape: [null, 6], keras_history: ["x", 0, 0] },
                  },
                ],
                kwargs: { mask: null },
              },
            ],
          },
          {
            module: "keras.layers",
            class_name: "Concatenate",
            config: { name: "cat", axis: -1 },
            name: "cat",
            inbound_nodes: [
              {
                args: [
                  [
                    { class_name: "__keras_tensor__", config: { keras_history: ["x", 0, 0] } },
                    { class_name: "__keras_tensor__", config: { keras_history: ["seq", 0, 0] } },
                  ],
                ],
                kwargs: {},
              },
            ],
          },
        ],
        input_layers: [["x", 0, 0]],
        output_layers: [
          ["cat", 0, 0],
          ["seq", 0, 0],
        ],
      },
    }),
    { "seq/d": { shape: [1, 2], params: 14 }, cat: { shape: [1, 8] } },
  ],
];

describe("Keras layers and layouts", () => {
  it.each(CASES)("%s", (_name, json, rows) => {
    const analysis = analyzeFile("case.json", text(json));
    expect(analysis.layers.flatMap((l) => l.warnings)).toEqual([]);
    const report = moduleReport(analysis);
    for (const [name, e] of Object.entries(rows)) {
      const l = report.layers.find((r) => r.name === name);
      expect(l, name).toBeDefined();
      expect(l?.output_shape, name).toEqual(e.shape);
      if (e.params !== undefined) expect(l?.params, name).toBe(e.params);
    }
  });
});

/** [file or case, bytes, expected error]. */
const ERRORS: [string, Uint8Array, RegExp][] = [
  [
    "bad/subclassed.keras",
    bytesOf("bad/subclassed.keras"),
    /"my_model" is a subclassed MyModel: its architecture is Python code, not in the file/,
  ],
  [
    "bad/weights_only.h5",
    bytesOf("bad/weights_only.h5"),
    /No model_config found in this HDF5 file \(this looks like a weights-only file from save_weights\)\. HDF5 \.h5 models are not supported: save with model\.save\('x\.keras'\) or model\.to_json\(\)/,
  ],
  ["bad/truncated.keras", bytesOf("bad/truncated.keras"), /zip: /],
  [
    "not_hdf5.h5",
    text("hello"),
    /neither a \.keras archive \(zip\), an HDF5 file nor Keras JSON\. HDF5 \.h5 models are not supported/,
  ],
  ["no_input.json", text(sequential(layer("Dense", { name: "d", units: 3 }))), /no input shape/],
  [
    "bad_units.json",
    text(sequential(input([null, 3, 4]), layer("LSTM", { name: "l", units: "many" }))),
    /LSTM "l": units is not a number/,
  ],
  [
    "time_major.json",
    text(sequential(input([null, 3, 4]), layer("LSTM", { name: "l", units: 2, time_major: true }))),
    /time_major=True .* is not supported/,
  ],
  [
    "rank.json",
    text(sequential(input([null, 4]), layer("GRU", { name: "g", units: 2 }))),
    /GRU "g": expects an input \[batch, time, features\], got rank 2/,
  ],
  [
    "cycle.json",
    text(
      JSON.stringify({
        class_name: "Functional",
        config: {
          name: "f",
          layers: [
            { ...layer("Dense", { name: "a", units: 2 }), name: "a", inbound_nodes: [[["a", 0, 0, {}]]] },
          ],
          input_layers: [],
          output_layers: [["a", 0, 0]],
        },
      }),
    ),
    /layer "a" has no call #0/,
  ],
];

describe("Keras errors", () => {
  it.each(ERRORS)("%s", (file, bytes, message) => {
    expect(() => readModel(file, bytes)).toThrow(ModelError);
    expect(() => readModel(file, bytes)).toThrow(message);
  });
});

describe("Keras layers the file cannot define are unknown, with the layer's name", () => {
  const custom = JSON.stringify({
    module: "keras",
    class_name: "Sequential",
    config: {
      name: "s",
      layers: [
        layer("InputLayer", { name: "in", batch_shape: [null, 3] }),
        {
          module: "my_pkg",
          class_name: "Dense",
          config: { name: "swoosh", units: 2 },
          registered_name: "my_pkg>Dense",
        },
        layer("Dense", { name: "d", units: 2 }),
      ],
    },
  });
  it.each([
    [
      "lambda.json",
      sequential(input([null, 3]), layer("Lambda", { name: "lambda", function: "..." })),
      "lambda",
      /Lambda "lambda": ConvLens has no rule for Lambda/,
    ],
    [
      "custom.json",
      custom,
      "swoosh",
      /Dense "swoosh": custom layer my_pkg>Dense: its code is not in the file/,
    ],
  ])("%s", (file, json, name, why) => {
    const analysis = analyzeModel(readModel(file, text(json)), { modelName: "m" });
    expect(analysis.warnings.join("\n")).toMatch(why);
    const row = analysis.layers.find((l) => l.name === name);
    expect(row).toBeDefined();
    expect(row?.outputs[0]?.shape).toBeNull();
  });
});

describe("Keras detection is strict for .json", () => {
  const notKeras: [string, string][] = [
    ["package.json", JSON.stringify({ name: "x", version: "1.0.0", scripts: { test: "vitest" } })],
    ["a layer config", JSON.stringify(layer("Dense", { name: "d", units: 2 }))],
    ["a list", "[1, 2, 3]"],
    ["class_name too late or not a model", JSON.stringify({ class_name: "Sequential", config: "nope" })],
    ["broken JSON", '{"class_name": "Sequential", "config": {'],
    ["a reference file", readFileSync(join(DIR, "imdb_bilstm.expected.json"), "utf8")],
  ];
  it.each(notKeras)("does not claim %s", (_n, s) => {
    expect(looksLikeKerasJson(text(s))).toBe(false);
    expect(looksLikeKeras(text(s))).toBe(false);
  });
  it("a .json that is not Keras gets a message about Keras JSON", () => {
    expect(() => readModel("package.json", text(notKeras[0]?.[1] ?? ""))).toThrow(
      /"package\.json" is not a Keras model/,
    );
  });
  it("claims .keras archives by content", () => {
    expect(looksLikeKeras(bytesOf("imdb_bilstm.keras"))).toBe(true);
    expect(readerFor("no-extension", bytesOf("imdb_bilstm.keras")).id).toBe("keras");
  });
});
