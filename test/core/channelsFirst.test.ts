/**
 * The Run tab's channels-first wrapper (core/onnx/channelsFirst.ts) around a channels-last TFLite
 * model: run by onnxruntime-node (the oracle), the wrapped graph fed the NCHW image gives the same
 * output as the original fed the NHWC image, and each drawn rank-4 map is the NHWC map transposed.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { readModel } from "../../src/core/formats/registry";
import { channelsFirstView, valueLayouts } from "../../src/core/onnx/channelsFirst";
import { buildRunnable, withGeneratedWeights } from "../../src/core/onnx/runnable";

const file = "lenet.tflite";

/** x[n][h][w][c] laid out as x[n][c][h][w]. */
function nhwcToNchw(x: Float32Array, [n = 1, h = 1, w = 1, c = 1]: number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let a = 0; a < n; a++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++) y[((a * c + k) * h + i) * w + j] = x[((a * h + i) * w + j) * c + k] ?? 0;
  return y;
}

describe("channels-first Run wrapper", () => {
  it("runs the NHWC model on the NCHW image with the same outputs, maps transposed", async () => {
    const read = readModel(file, readFileSync(resolve(__dirname, "../fixtures/tflite", file)));
    expect(read.layout).toBe("channels_last");
    const { model } = withGeneratedWeights(read, 7);
    const input = model.graph.inputs[0];
    const shape = (input?.shape ?? []).map(Number);
    expect(shape).toHaveLength(4);
    // The first channels-last value a node makes: a feature map the Run tab would draw (a conv's
    // own output is channels first and drawn as it is).
    const layouts = valueLayouts(model);
    const map = model.graph.nodes.map((n) => n.outputs[0] ?? "").find((v) => layouts.get(v) === "last");
    expect(map).toBeDefined();
    const drawn = [{ name: map ?? "", rank: 4 }];
    const wrapped = channelsFirstView(model, drawn);
    const copy = wrapped.copies.get(map ?? "") ?? "";
    expect(copy).not.toBe("");

    const nhwc = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
    const [n = 1, h = 1, w = 1, c = 1] = shape;
    const original = await ort.InferenceSession.create(
      buildRunnable(model, { extraOutputs: [map ?? ""] }).bytes,
    );
    const mine = await ort.InferenceSession.create(
      buildRunnable(wrapped.model, { extraOutputs: [copy] }).bytes,
    );
    const a = await original.run({ [input?.name ?? ""]: new ort.Tensor("float32", nhwc, shape) });
    const wIn = wrapped.model.graph.inputs[0];
    const b = await mine.run({
      [wIn?.name ?? ""]: new ort.Tensor("float32", nhwcToNchw(nhwc, shape), [n, c, h, w]),
    });
    const out = model.graph.outputs[0]?.name ?? "";
    const expected = Array.from(a[out]?.data as Float32Array);
    expect(expected.length).toBeGreaterThan(0);
    expect(Array.from(b[out]?.data as Float32Array)).toEqual(expected);
    const m = a[map ?? ""];
    expect(m?.dims).toHaveLength(4);
    const dims = (m?.dims ?? []).map(Number);
    expect(Array.from(b[copy]?.data as Float32Array)).toEqual(
      Array.from(nhwcToNchw(m?.data as Float32Array, dims)),
    );
    expect(b[copy]?.dims).toEqual([dims[0], dims[3], dims[1], dims[2]]);
  });
});
