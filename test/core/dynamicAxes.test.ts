/**
 * torchvision's ResNet-18 exported with dynamic_axes on batch, height and width
 * (tools/make_dynamic_axes_model.py): symbolic spatial shapes and no number that is not known;
 * given an input shape, PyTorch's per-layer MACs and output shapes exactly.
 */
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
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
