/**
 * ResNet-18 quantized by onnxruntime's quantizer (tools/make_quantized_models.py), as QDQ pairs and
 * as QLinearConv: the same per-layer MACs as PyTorch's float model (shared/fixtures/expected), int8
 * weights, and the weight bytes of int8 storage.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";

const FIXTURES = resolve(__dirname, "../fixtures/quantized");
const EXPECTED = resolve(__dirname, "../../../shared/fixtures/expected/resnet18.json");

interface Expected {
  totals: { params: number; macs: number };
  onnx: { initializer_elements_incl_identity_aliases: number };
  layers: { type: string; macs: number; output_shape: number[] }[];
}

const analyse = (name: string) =>
  analyzeFile(`${name}.onnx`, readFileSync(resolve(FIXTURES, `${name}.onnx`)), {}, {});

describe.skipIf(!existsSync(EXPECTED))("quantized ResNet-18", () => {
  const expected = JSON.parse(readFileSync(EXPECTED, "utf8")) as Expected;
  const convs = expected.layers.filter((l) => l.type === "Conv2d");

  for (const [name, convOp] of [
    ["resnet18_qdq", "Conv"],
    ["resnet18_qlinear", "QLinearConv"],
  ] as const) {
    it(`${name}: every conv has PyTorch's MACs and output shape; the total MACs match`, () => {
      const a = analyse(name);
      const rows = a.layers.filter((l) => l.opType === convOp);
      // The graph's topological order may put a downsample conv before its block's: compare as multisets.
      const sig = (macs: number | null, shape: unknown) => `${JSON.stringify(shape)} ${macs}`;
      expect(rows.map((l) => sig(l.macs, l.outputs[0]?.shape)).sort()).toEqual(
        convs.map((l) => sig(l.macs, l.output_shape)).sort(),
      );
      expect(a.totals.macs).toBe(expected.totals.macs);
      expect(a.outputs[0]?.shape).toEqual([1, 1000]);
      expect(a.layers.flatMap((l) => l.warnings).filter((w) => /unknown|error/.test(w))).toEqual([]);
    });

    it(`${name}: counts every parameter once, stored as int8 (conv weights) / int32 (biases) / float (fc)`, () => {
      const a = analyse(name);
      // The export folds BatchNorm into the convs: the float file's initializers are the reference.
      const params = expected.onnx.initializer_elements_incl_identity_aliases;
      expect(a.totals.params).toBe(params);
      // fc stays float (4 bytes a param); conv weights are int8 (1 byte), their biases int32 (4 bytes).
      const fc = 512 * 1000 + 1000;
      const convBiases = convs.reduce((n, l) => n + (l.output_shape[1] ?? 0), 0);
      expect(a.totals.paramBytes).toBe(params - fc - convBiases + 4 * (fc + convBiases));
    });
  }

  it("QLinearConv outputs are uint8 and QDQ weights int8", () => {
    const q = analyse("resnet18_qlinear");
    expect(q.layers.find((l) => l.opType === "QLinearConv")?.outputs[0]?.dtype).toBe("uint8");
    const d = analyse("resnet18_qdq");
    const dq = d.layers.find((l) => l.opType === "DequantizeLinear" && l.params > 0);
    expect(dq?.inputs[0]?.dtype).toBe("int8");
    expect(dq?.outputs[0]?.dtype).toBe("float32");
  });
});
