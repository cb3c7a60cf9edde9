/**
 * PyTorch source → analysis, checked layer by layer against the PyTorch ground
 * truth of shared/fixtures (definitions/custom_models.py and expected/*.json):
 * every leaf module's type, output shape, MACs and receptive field, and total params.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonReport, type JsonLayer } from "../../../src/core/analysis/report";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const FIXTURES = resolve(__dirname, "../../../../shared/fixtures");
const SOURCE = readFileSync(resolve(FIXTURES, "definitions/custom_models.py"), "utf8");
const MODELS: Record<string, string> = {
  LeNet5: "lenet5",
  AlphaGoPolicy: "alphago_policy",
  TextCNN: "textcnn",
  UNetSmall: "unet_small",
  DilatedNet: "dilated",
  LSTMClassifier: "lstm_classifier",
  ShapesCNN: "shapes_cnn",
};

interface Expected {
  input_shape: number[];
  output_shape: number[];
  totals: { params: number; macs: number };
  layers: { name: string; type: string; output_shape: number[]; params: number; macs: number; rf: unknown }[];
}
const expected = Object.fromEntries(Object.entries(MODELS).map(([cls, file]) => [cls, JSON.parse(readFileSync(resolve(FIXTURES, `expected/${file}.json`), "utf8")) as Expected]));
const inputShapes = Object.fromEntries(Object.entries(expected).map(([cls, e]) => [cls, e.input_shape]));
const result = analyzePythonSource(SOURCE, { fileName: "custom_models.py", inputShapes });

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

describe("PyTorch source: custom_models.py", () => {
  it("finds every model class", () => {
    expect(result.classes.map((c) => c.name)).toEqual(Object.keys(MODELS));
    expect(result.parseErrors).toEqual([]);
  });

  for (const [cls, exp] of Object.entries(expected)) {
    describe(cls, () => {
      const traced = result.classes.find((c) => c.name === cls);
      const analysis = traced?.analysis;
      it("analyses without errors", () => {
        expect(traced?.error).toBeUndefined();
        expect(traced?.diagnostics).toEqual([]);
        expect(analysis).toBeDefined();
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
