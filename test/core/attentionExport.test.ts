/**
 * A 120-layer nn.TransformerEncoder exported by torch.onnx (tools/make_attention_export.py, 13,791
 * nodes): the Shape → Gather → Concat → Reshape arithmetic of every attention layer is folded, so
 * with the input shape every value is exact, and without it the sequence axis stays a symbol.
 */
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { generatedModel } from "../support/generatedModel";

const { bytes, ref } = generatedModel<{ input_shape: number[]; output_shape: number[]; nodes: number }>(
  "attention",
  "encoder120",
);

describe("attention-heavy export", () => {
  it("with the input shape: every value's shape is known, PyTorch's output shape, the layers' MACs", () => {
    const a = analyzeFile("encoder120.onnx", bytes, {}, { inputShapes: { "*": ref.input_shape } });
    expect(a.layers).toHaveLength(ref.nodes);
    const open = a.layers.filter((l) =>
      l.outputs.some((o) => !o.shape || o.shape.some((d) => typeof d !== "number")),
    );
    expect(open.map((l) => l.id)).toEqual([]);
    expect(a.outputs[0]?.shape).toEqual(ref.output_shape);
    // Per layer, tokens t = 2·16, d = 64, 4 heads of 16, feed-forward 128 (the generator's settings):
    // in-projection t·d·3d, out-projection t·d·d, Q·Kᵀ and weights·V 2·(2·4·16·16·16), two FF layers
    // 2·t·d·128.
    const t = 2 * 16;
    const perLayer = t * 64 * 192 + t * 64 * 64 + 2 * (2 * 4 * 16 * 16 * 16) + 2 * t * 64 * 128;
    expect(a.totals.macs).toBe(120 * perLayer);
  });

  it("without it: the sequence axis is a symbol through all 120 layers, nothing unknown or refused", () => {
    const a = analyzeFile("encoder120.onnx", bytes);
    expect(a.outputs[0]?.shape).toEqual([2, "T", 64]);
    expect(a.layers.filter((l) => l.outputs.some((o) => !o.shape)).map((l) => l.id)).toEqual([]);
    expect(a.layers.flatMap((l) => l.warnings).filter((w) => w.startsWith("shape error"))).toEqual([]);
  });
});
