/**
 * A PyTorch class in the inspector reads in the source's words (`Linear`, `F.relu`, `x`) while
 * its numbers and graph names stay those of the traced graph the Run tab runs. The corpus test
 * analyses every PyTorch fixture both ways — the named analysis, and the plain analysis of the
 * same traced graph — and requires the same rows, ids, ops, graph value names and numbers.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../../src/core/analysis/analyze";
import type { LayerRow, ModelAnalysis } from "../../../src/core/analysis/result";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const PY = resolve(__dirname, "../../fixtures/python");
const CORPUS = [
  resolve(__dirname, "../../../../shared/fixtures/definitions/custom_models.py"),
  ...["", "cases", "scripts", "pkg"].flatMap((dir) =>
    readdirSync(resolve(PY, dir))
      .filter((f) => f.endsWith(".py") && !f.startsWith("keras"))
      .map((f) => resolve(PY, dir, f)),
  ),
];
const files = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };

function analyse(source: string, fileName = "/work/models.py") {
  return analyzePythonSource(source, { fileName, files });
}

/** What must not change when names are added: everything but the names. */
function numbers(l: LayerRow) {
  return {
    index: l.index,
    id: l.id,
    opType: l.opType,
    layerType: l.layerType,
    params: l.params,
    macs: l.macs,
    flops: l.flops,
    outputBytes: l.outputBytes,
    rf: l.rf,
    attrs: l.attrs,
    weights: l.weights,
    predecessors: l.predecessors,
    // Graph value names: the runnable model's, which the Run tab maps layers by.
    inputs: l.inputs.map((v) => ({ name: v.name, shape: v.shape, dtype: v.dtype })),
    outputs: l.outputs.map((v) => ({ name: v.name, shape: v.shape, dtype: v.dtype })),
  };
}

describe("source names change no number (PyTorch fixture corpus)", () => {
  let compared = 0;
  for (const file of CORPUS) {
    it(file.slice(file.indexOf("fixtures")), () => {
      const result = analyse(readFileSync(file, "utf8"), file);
      for (const cls of result.classes) {
        if (!cls.analysis || !cls.model) continue;
        const plain: ModelAnalysis = analyzeModel(cls.model, { modelName: cls.analysis.model });
        expect(cls.analysis.layers.map(numbers), `${cls.name}`).toEqual(plain.layers.map(numbers));
        expect(cls.analysis.totals.macs).toBe(plain.totals.macs);
        expect(cls.analysis.totals.flops).toBe(plain.totals.flops);
        expect(cls.analysis.totals.activationBytes).toBe(plain.totals.activationBytes);
        expect(cls.analysis.finalRf).toEqual(plain.finalRf);
        expect(cls.analysis.inputs.map((v) => v.name)).toEqual(plain.inputs.map((v) => v.name));
        expect(cls.analysis.outputs.map((v) => v.name)).toEqual(plain.outputs.map((v) => v.name));
        compared++;
      }
    });
  }
  it("compared classes from every file", () => {
    expect(compared).toBeGreaterThan(40);
  });
});

const KERAS = readdirSync(PY)
  .filter((f) => f.startsWith("keras") && f.endsWith(".py"))
  .map((f) => resolve(PY, f));

describe("source names change no number (Keras fixtures)", () => {
  let compared = 0;
  for (const file of KERAS) {
    it(file.slice(file.indexOf("fixtures")), () => {
      for (const m of analyse(readFileSync(file, "utf8"), file).classes) {
        if (!m.analysis || !m.model) continue;
        const plain = analyzeModel(m.model, { modelName: m.analysis.model, layout: "channels_last" });
        expect(m.analysis.layers.map(numbers), m.name).toEqual(plain.layers.map(numbers));
        expect(
          m.analysis.layers.map((l) => l.name),
          m.name,
        ).toEqual(plain.layers.map((l) => l.name));
        expect(m.analysis.totals).toEqual(plain.totals);
        expect(m.analysis.finalRf).toEqual(plain.finalRf);
        expect(m.analysis.inputs.map((v) => v.name)).toEqual(plain.inputs.map((v) => v.name));
        expect(m.analysis.outputs.map((v) => v.name)).toEqual(plain.outputs.map((v) => v.name));
        compared++;
      }
    });
  }
  it("compared models from every file", () => {
    expect(KERAS.length).toBeGreaterThanOrEqual(4);
    expect(compared).toBeGreaterThanOrEqual(KERAS.length);
  });
});

describe("the source's names", () => {
  const lenet = () => {
    const file = CORPUS[0] as string;
    const cls = analyse(readFileSync(file, "utf8"), file).classes.find((c) => c.name === "LeNet5");
    return cls?.analysis as ModelAnalysis;
  };

  it("LeNet5: layer types as its __init__ writes them, module paths, variables and the file", () => {
    const a = lenet();
    // custom_models.py: self.c1 = nn.Conv2d(…), self.act1 = nn.Tanh(), self.s2 = nn.AvgPool2d(…), …
    expect(a.layers.map((l) => [l.name, l.sourceOp])).toEqual([
      ["c1", "Conv2d"],
      ["act1", "Tanh"],
      ["s2", "AvgPool2d"],
      ["c3", "Conv2d"],
      ["act3", "Tanh"],
      ["s4", "AvgPool2d"],
      ["c5", "Conv2d"],
      ["act5", "Tanh"],
      ["flatten", "Flatten"],
      ["f6", "Linear"],
      ["act6", "Tanh"],
      ["out", "Linear"],
    ]);
    expect(a.definedIn).toEqual({ file: "custom_models.py", className: "LeNet5" });
    // forward(self, x); x = self.s2(self.act1(self.c1(x))); … return self.out(x)
    expect(a.inputs.map((v) => v.label)).toEqual(["x"]);
    expect(a.outputs.map((v) => v.label)).toEqual(["output"]);
    const byName = new Map(a.layers.map((l) => [l.name, l] as const));
    expect(byName.get("c1")?.outputs[0]?.label).toBe("c1");
    expect(byName.get("s2")?.outputs[0]?.label).toBe("x");
    expect(byName.get("out")?.inputs[0]?.label).toBe("x");
    // The graph keeps the exporter's names for the runnable model.
    expect(byName.get("out")?.opType).toBe("Gemm");
    expect(byName.get("out")?.outputs[0]?.name).toBe("/out/Gemm_output_0");
  });

  it("functions, methods and operators as the source spells them; a multi-node layer says which node", () => {
    const source = `import torch
import torch.nn as nn
import torch.nn.functional as F

# convlens: input 1x3x8x8
class Net(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width)
        self.fc = nn.Linear(width * 64, 10)
        self.head = nn.Linear(10, 2)

    def forward(self, img):
        out = F.relu(self.bn(self.conv(img)))
        out = out + out
        feats = out.view(out.size(0), -1)
        flat = torch.flatten(out, 1)
        logits = self.fc(flat).unsqueeze(1)
        return self.head(logits), torch.cat([feats, flat], 1)
`;
    const a = analyse(source).classes.find((c) => c.name === "Net")?.analysis as ModelAnalysis;
    expect(a.layers.map((l) => [l.name, l.sourceOp, l.outputs[0]?.label])).toEqual([
      ["conv", "Conv2d", "conv"],
      ["bn", "BatchNorm2d", "bn"],
      ["relu", "F.relu", "out"],
      ["add", "+", "out"],
      ["view", "view", "feats"],
      ["flatten", "torch.flatten", "flat"],
      ["fc", "Linear", "fc"],
      ["unsqueeze", "unsqueeze", "logits"],
      // nn.Linear on a 3-D input: MatMul, then the bias Add.
      ["head", "Linear · MatMul", "head"],
      ["head", "Linear · Add", "output[0]"],
      ["cat", "torch.cat", "output[1]"],
    ]);
    expect(a.inputs.map((v) => v.label)).toEqual(["img"]);
    expect(a.definedIn).toEqual({ file: "models.py", className: "Net" });
  });
});

describe("a Keras model's names", () => {
  it("layer types as the source writes them, the layers' name=s, the model and its file", () => {
    const source = `import keras
from keras import layers

inputs = keras.Input(shape=(28, 28, 1), name="digits")
x = layers.Conv2D(8, 3, activation="relu", name="features")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, name="logits")(x)
model = keras.Model(inputs, outputs, name="digit_net")
`;
    const a = analyse(source, "/work/nets/digits.py").classes.find((c) => c.name === "digit_net")
      ?.analysis as ModelAnalysis;
    const rows = a.layers.map((l) => [l.name, l.sourceOp] as const);
    // Conv2D with activation="relu" on channels-last is four graph nodes (the convolution runs
    // channels-first between two transposes, then the activation): each says which one it is.
    expect(rows.filter(([n]) => n === "features")).toEqual([
      ["features", "Conv2D · Transpose"],
      ["features", "Conv2D · Conv"],
      ["features", "Conv2D · Transpose"],
      ["features", "Conv2D · Relu"],
    ]);
    // Unnamed layers keep Keras' own names (to_snake_case of the class).
    expect(rows.filter(([n]) => n === "max_pooling2d").map(([, op]) => op)).toContain(
      "MaxPooling2D · MaxPool",
    );
    expect(rows.filter(([n]) => n === "logits").every(([, op]) => op?.startsWith("Dense"))).toBe(true);
    expect(rows.every(([, op]) => op !== undefined)).toBe(true);
    expect(a.definedIn).toEqual({ file: "digits.py", className: "digit_net" });
    // Values by the variables the source binds them to; the graph keeps the input layer's name.
    expect(a.inputs.map((v) => [v.name, v.label])).toEqual([["digits", "inputs"]]);
    expect(a.outputs.map((v) => v.label)).toEqual(["outputs"]);
    const last = (name: string) => a.layers.filter((l) => l.name === name).pop()?.outputs[0]?.label;
    expect(["features", "max_pooling2d", "flatten", "logits"].map(last)).toEqual(["x", "x", "x", "outputs"]);
  });

  const functional = (file: string, model: string) => {
    const path = resolve(PY, file);
    return analyse(readFileSync(path, "utf8"), path).classes.find((c) => c.name === model)
      ?.analysis as ModelAnalysis;
  };
  /** What the last row of each Keras layer returns (the layer's output), by its label. */
  const outputLabels = (a: ModelAnalysis) => {
    const out = new Map<string, string | undefined>();
    for (const l of a.layers) out.set(l.name, l.outputs[0]?.label);
    return out;
  };

  it("functional API: each layer's output by the variable it is bound to, in functions too", () => {
    // keras_resnet.py: x = layers.Conv2D(…)(inputs) …; in residual_block, y = …, shortcut = …,
    // y = layers.add([shortcut, y]), and what it returns is bound to x by its caller.
    const a = functional("keras_resnet.py", "resnet_style");
    const labels = outputLabels(a);
    const want = {
      conv2d: "x",
      batch_normalization: "x",
      max_pooling2d: "x",
      conv2d_1: "y",
      batch_normalization_2: "y",
      add: "y",
      activation_2: "x",
      conv2d_5: "shortcut",
      batch_normalization_5: "shortcut",
      add_1: "y",
      global_average_pooling2d: "x",
      dense: "outputs",
    };
    expect(Object.fromEntries(Object.keys(want).map((k) => [k, labels.get(k)]))).toEqual(want);
    expect(a.inputs.map((v) => [v.name, v.label])).toEqual([["image", "inputs"]]);
    // A layer's inner nodes (the transposes around a channels-first Conv) are not the variable.
    expect(a.layers.find((l) => l.name === "conv2d")?.outputs[0]?.label).toBe("conv2d");
  });

  it("a layer with several outputs: each by its own variable (output, state_h, state_c = LSTM(…))", () => {
    const a = functional("keras_rnn.py", "functional_1");
    expect(a.inputs.map((v) => v.label)).toEqual(["encoder_input", "decoder_input"]);
    const labels = new Set(a.layers.flatMap((l) => l.outputs.map((o) => o.label)));
    for (const name of ["encoder_embedded", "state_h", "state_c", "decoder_embedded", "decoder_output"])
      expect(labels, name).toContain(name);
    expect(a.outputs.map((v) => v.label)).toEqual(["output"]);
  });
});
