/**
 * PyTorch source → analysis, checked layer by layer against the PyTorch ground
 * truth of shared/fixtures/expected: every leaf module's type, output shape, MACs
 * and receptive field, and total params. Model tests are data: a table of files
 * and the expected file each class must match.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonReport, type JsonLayer } from "../../../src/core/analysis/report";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const FIXTURES = resolve(__dirname, "../../../../shared/fixtures");

const TABLE: readonly {
  file: string;
  classes: Record<string, string>;
  shapesFromExpected: boolean;
  notModels?: string[];
}[] = [
  {
    file: resolve(FIXTURES, "definitions/custom_models.py"),
    classes: {
      LeNet5: "lenet5",
      AlphaGoPolicy: "alphago_policy",
      TextCNN: "textcnn",
      UNetSmall: "unet_small",
      DilatedNet: "dilated",
      LSTMClassifier: "lstm_classifier",
      ShapesCNN: "shapes_cnn",
    },
    shapesFromExpected: true,
  },
  {
    // Written in torchvision's style; the input comes from `# convlens: input` or the assumed default.
    file: resolve(__dirname, "../../fixtures/python/torchvision_style.py"),
    classes: { ResNet18: "resnet18", VGG16: "vgg16", MobileNetV2: "mobilenet_v2" },
    shapesFromExpected: false,
    notModels: ["BasicBlock", "ResNet", "VGG", "Conv2dNormActivation", "InvertedResidual"],
  },
  {
    // torchvision's AlexNet, SqueezeNet and GoogLeNet (checked with PyTorch: tools/check_python_sources.py).
    file: resolve(__dirname, "../../fixtures/python/torchvision_more.py"),
    classes: { AlexNet: "alexnet", SqueezeNet1_1: "squeezenet1_1", GoogLeNetNoAux: "googlenet" },
    shapesFromExpected: false,
    notModels: ["Fire", "BasicConv2d", "Inception", "InceptionAux"],
  },
  {
    // torchvision's DenseNet and video ResNet (checked with PyTorch: tools/check_python_sources.py).
    file: resolve(__dirname, "../../fixtures/python/torchvision_more2.py"),
    classes: { DenseNet121: "densenet121", R3D18: "r3d_18" },
    shapesFromExpected: false,
    notModels: ["_DenseLayer", "_DenseBlock", "_Transition", "Conv3DSimple", "BasicBlock", "VideoResNet"],
  },
];

interface Expected {
  input_shape: number[];
  output_shape: number[];
  totals: { params: number; macs: number };
  layers: { name: string; type: string; output_shape: number[]; macs: number; rf: unknown }[];
}

/** A layer that emits several nodes (LSTM) is represented by the last node of its first run. */
function layersByName(layers: readonly JsonLayer[]): Map<string, JsonLayer> {
  const out = new Map<string, JsonLayer>();
  const closed = new Set<string>();
  let prev = "";
  for (const l of layers) {
    if (prev !== l.name && out.has(prev)) closed.add(prev);
    if (!closed.has(l.name)) out.set(l.name, l);
    prev = l.name;
  }
  return out;
}

for (const entry of TABLE) {
  const name = entry.file.split("/").pop() ?? "";
  const expected = Object.fromEntries(
    Object.entries(entry.classes).map(([cls, file]) => [
      cls,
      JSON.parse(readFileSync(resolve(FIXTURES, `expected/${file}.json`), "utf8")) as Expected,
    ]),
  );
  const inputShapes = entry.shapesFromExpected
    ? Object.fromEntries(Object.entries(expected).map(([cls, e]) => [cls, e.input_shape]))
    : {};
  const result = analyzePythonSource(readFileSync(entry.file, "utf8"), { fileName: name, inputShapes });

  describe(`PyTorch source: ${name}`, () => {
    it("finds every model class and parses cleanly", () => {
      expect(result.classes.map((c) => c.name)).toEqual(expect.arrayContaining(Object.keys(entry.classes)));
      expect(result.parseErrors).toEqual([]);
    });

    it.each(entry.notModels ?? [])("%s needs constructor arguments and says so", (cls) => {
      expect(result.classes.find((c) => c.name === cls)?.error).toMatch(/needs constructor arguments/);
    });

    for (const [cls, exp] of Object.entries(expected)) {
      describe(cls, () => {
        const traced = result.classes.find((c) => c.name === cls);
        const analysis = traced?.analysis;
        it("analyses without errors, on the expected input", () => {
          expect(traced?.error).toBeUndefined();
          expect(traced?.diagnostics).toEqual([]);
          expect(traced?.input?.shape).toEqual(exp.input_shape);
        });
        if (!analysis) return;
        const report = jsonReport(analysis);
        const byName = layersByName(report.layers);
        it("matches PyTorch's totals (params exclude BatchNorm running statistics)", () => {
          expect(report.totals.params).toBe(exp.totals.params);
          expect(report.totals.macs).toBe(exp.totals.macs);
          expect(analysis.outputs[0]?.shape).toEqual(exp.output_shape);
        });
        it.each(exp.layers.map((l) => [l.name, l] as const))("layer %s", (_n, e) => {
          const got = byName.get(e.name);
          expect(got, `no layer ${e.name}`).toBeDefined();
          expect(got?.type).toBe(e.type);
          expect(got?.output_shape).toEqual(e.output_shape);
          if (e.type !== "LSTM") expect(got?.macs).toBe(e.macs);
          if (e.rf) expect(got?.rf).toEqual(e.rf);
        });
      });
    }
  });
}
