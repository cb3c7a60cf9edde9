/**
 * torchvision's ResNet-18 exported with dynamic_axes on batch, height and width
 * (tools/make_dynamic_axes_model.py): symbolic spatial shapes and no number that is not known;
 * given an input shape, PyTorch's per-layer MACs and output shapes exactly.
 */
import { describe, expect, it } from "vitest";
import { jsonReport, tableReport } from "../../src/core/analysis/report";
import { PER_SAMPLE } from "../../src/core/analysis/result";
import { analyzeFile } from "../../src/core/index";
import { headerView } from "../../webview/viewModel";
import { generatedModel } from "../support/generatedModel";

interface TorchReference {
  input_shape: number[];
  output_shape: number[];
  macs: number;
  layers: { type: string; output_shape: number[]; macs: number }[];
}
const { bytes, ref: refs } = generatedModel<TorchReference[]>("dynamic", "resnet18_dynamic");

describe("an export with dynamic batch and spatial axes", () => {
  it("has symbolic spatial dims and unknown MACs without an input shape, never a guessed number", () => {
    const a = analyzeFile("resnet18_dynamic.onnx", bytes);
    const conv1 = a.layers.find((l) => l.opType === "Conv");
    expect(conv1?.outputs[0]?.shape?.slice(2).every((d) => typeof d === "string")).toBe(true);
    expect(conv1?.macs).toBeNull();
    expect(a.totals.macs).toBeNull();
    expect(a.warnings.join("\n")).toContain('Batch dimension "N"');
    // After global pooling the spatial symbols are gone: the classifier's shapes are exact again.
    expect(a.outputs[0]?.shape).toEqual([1, 1000]);
    expect(a.layers.flatMap((l) => l.warnings).filter((w) => w.startsWith("shape error"))).toEqual([]);
  });

  it.each(refs.map((r) => [r.input_shape.join("x"), r] as const))(
    "given %s: PyTorch's output shapes and MACs for every conv and linear layer",
    (_, ref) => {
      const a = analyzeFile("resnet18_dynamic.onnx", bytes, {}, { inputShapes: { "*": ref.input_shape } });
      const sig = (shape: unknown, macs: number | null) => `${JSON.stringify(shape)} ${macs}`;
      const rows = a.layers.filter((l) => l.opType === "Conv" || l.opType === "Gemm");
      expect(rows.map((l) => sig(l.outputs[0]?.shape, l.macs)).sort()).toEqual(
        ref.layers.map((l) => sig(l.output_shape, l.macs)).sort(),
      );
      expect(a.totals.macs).toBe(ref.macs);
      expect(a.outputs[0]?.shape).toEqual(ref.output_shape);
    },
  );
});

describe("a symbolic batch counted as 1", () => {
  // PyTorch ran batch 2 at 160×192 (the second reference): one sample is half of it.
  const ref = refs[1] as TorchReference;
  const perSampleShape = ["N", ...ref.input_shape.slice(1)];
  const a = analyzeFile("resnet18_dynamic.onnx", bytes, {}, { inputShapes: { "*": perSampleShape } });

  it("gives the MACs of one sample, and says the batch was assumed", () => {
    expect(ref.input_shape[0]).toBe(2);
    expect(a.totals.macs).toBe(ref.macs / 2);
    expect(a.batchAssumed).toEqual([{ input: a.inputs[0]?.name, symbol: "N" }]);
  });

  it("labels every count that depends on it, in the CLI, the JSON and the inspector header", () => {
    const table = tableReport(a);
    expect(table).toContain(`${PER_SAMPLE}: MACs ${ref.macs / 2} `);
    expect(table).toMatch(/MACs per sample +FLOPs per sample +bytes per sample/);
    expect(jsonReport(a).per_sample).toEqual({ note: PER_SAMPLE, batch: a.batchAssumed });
    const header = headerView(a);
    expect(header.perSample?.text).toBe("per sample (batch assumed 1)");
    const labels = header.totals.map((t) => t.label);
    for (const l of [
      "MACs per sample",
      "FLOPs per sample",
      "Activations per sample",
      "Peak memory per sample",
    ])
      expect(labels).toContain(l);
  });

  it("labels nothing when the batch is given", () => {
    const given = analyzeFile("resnet18_dynamic.onnx", bytes, {}, { inputShapes: { "*": ref.input_shape } });
    expect(given.batchAssumed).toBeUndefined();
    expect(tableReport(given)).not.toContain("per sample");
    expect(headerView(given).perSample).toBeNull();
  });
});
