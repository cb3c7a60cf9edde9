/**
 * The runnable model (the file's weights, or generated ones, plus extra outputs)
 * run with onnxruntime-web's wasm backend in Node, against PyTorch's logits.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ort.env.wasm.numThreads = 1;

interface Predictions {
  samples: { file: string; label: number; logits: number[] }[];
}

async function logitsOf(bytes: Uint8Array, input: Float32Array, dims: number[], extra: string[] = []) {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor("float32", input, dims) }, ["output", ...extra]);
  return out;
}

describe.each([
  ["lenet5_digits", 1, 32],
  ["shapes_cnn", 3, 64],
])("%s runs and matches PyTorch", (name, channels, size) => {
  const bytes = readFileSync(resolve(FIXTURES, `models/${name}.onnx`));
  const preds = JSON.parse(
    readFileSync(resolve(FIXTURES, `expected/${name}_predictions.json`), "utf8"),
  ) as Predictions;
  const model = readOnnx(bytes);
  const firstConvOut = model.graph.nodes.find((n) => n.opType === "Conv")?.outputs[0] ?? "";
  const runnable = buildRunnable(model, { extraOutputs: [firstConvOut] });

  it("keeps the file's weights", () => {
    expect(runnable.randomWeights).toBe(false);
    expect(runnable.outputs).toEqual(["output", firstConvOut]);
  });

  it.each(preds.samples.map((s) => [s.file, s] as const))(
    "%s: logits within 1e-4 and the feature map exposed",
    async (_f, sample) => {
      const img = decodePng(readFileSync(resolve(FIXTURES, sample.file)));
      const out = await logitsOf(
        runnable.bytes,
        toChw(img, channels),
        [1, channels, size, size],
        [firstConvOut],
      );
      const logits = Array.from(out["output"]?.data as Float32Array);
      logits.forEach((v, i) => expect(Math.abs(v - (sample.logits[i] ?? NaN))).toBeLessThan(1e-4));
      expect(logits.indexOf(Math.max(...logits))).toBe(sample.label);
      expect(out[firstConvOut]?.dims[0]).toBe(1);
    },
  );
});

describe("weightless models run on generated weights", () => {
  it("resnet18 (weightless) runs with deterministic He-init weights", async () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/resnet18.onnx")), {
      externalExists: () => false,
    });
    const a = buildRunnable(model, { seed: 7 });
    const b = buildRunnable(model, { seed: 7 });
    expect(a.randomWeights).toBe(true);
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes))).toBe(0);
    const out = await logitsOf(a.bytes, new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
    const logits = out["output"]?.data as Float32Array;
    expect(logits).toHaveLength(1000);
    expect(Array.from(logits).every(Number.isFinite)).toBe(true);
  });
});
