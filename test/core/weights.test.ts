/**
 * A source-defined model (LeNet5 from custom_models.py, traced from source) with
 * weights loaded from a .safetensors state_dict, run by onnxruntime-web, against
 * PyTorch's own output for the same weights and input (tools/make_safetensors_ref.py).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../src/core/formats/python/pythonModel";
import { applyWeights, readSafetensors } from "../../src/core/formats/weights/safetensors";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
import { applyDarknetWeights } from "../../src/core/formats/darknet/darknetWeights";

ort.env.wasm.numThreads = 1;
const PY = resolve(__dirname, "../fixtures/python");
const source = readFileSync(
  resolve(__dirname, "../../../shared/fixtures/definitions/custom_models.py"),
  "utf8",
);
const lenet = analyzePythonSource(source, { fileName: "custom_models.py" }).classes.find(
  (c) => c.name === "LeNet5",
);

describe("weights from a .safetensors state_dict", () => {
  const stored = readSafetensors(readFileSync(resolve(PY, "lenet5.safetensors")));

  it("matches every parameter by its PyTorch name", () => {
    expect(lenet?.model).toBeDefined();
    const { report } = applyWeights(lenet?.model as NonNullable<typeof lenet>["model"] & object, stored);
    expect(report).toEqual({ loaded: 10, missing: [], unexpected: [], misshaped: [] });
  });

  it("then runs to PyTorch's logits", async () => {
    const { model } = applyWeights(lenet?.model as NonNullable<typeof lenet>["model"] & object, stored);
    const runnable = buildRunnable(model);
    expect(runnable.randomWeights).toBe(false);
    const session = await ort.InferenceSession.create(runnable.bytes);
    const x = Float32Array.from({ length: 1024 }, (_, i) => i / 1023);
    const out = await session.run({ input: new ort.Tensor("float32", x, [1, 1, 32, 32]) });
    const got = Array.from(out[session.outputNames[0] ?? ""]?.data as Float32Array);
    const want = (
      JSON.parse(readFileSync(resolve(PY, "lenet5.safetensors.logits.json"), "utf8")) as { logits: number[] }
    ).logits;
    want.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-5));
  });

  it("reports missing, unexpected and mis-shaped keys", () => {
    const partial = new Map(stored);
    partial.delete("c1.weight");
    const c3 = stored.get("c3.bias");
    if (c3) partial.set("c3.bias", { ...c3, shape: [4, 4] });
    partial.set("extra.weight", { dtype: "F32", shape: [1], bytes: new Uint8Array(4) });
    const { report } = applyWeights(lenet?.model as NonNullable<typeof lenet>["model"] & object, partial);
    expect(report.missing).toEqual(["c1.weight"]);
    expect(report.unexpected).toEqual(["extra.weight"]);
    expect(report.misshaped).toEqual(["c3.bias: file has F32[4, 4], the model needs float32[16]"]);
  });

  it("rejects a file that is not safetensors", () => {
    expect(() => readSafetensors(new Uint8Array([1, 2, 3]))).toThrow(/Not a safetensors file/);
  });
});

describe("Darknet .weights", () => {
  const DN = resolve(__dirname, "../fixtures/darknet");
  it("loads in cfg order and runs to PyTorch's output (tools/make_darknet_weights.py)", async () => {
    const model = readDarknet(readFileSync(resolve(DN, "weights-net.cfg")));
    const { model: loaded, loaded: count } = applyDarknetWeights(
      model,
      readFileSync(resolve(DN, "weights-net.weights")),
    );
    // Two BN convs (5 tensors each), one plain conv and the connected layer (2 each).
    expect(count).toBe(2 * 5 + 2 + 2);
    const runnable = buildRunnable(loaded);
    expect(runnable.randomWeights).toBe(false);
    const session = await ort.InferenceSession.create(runnable.bytes);
    const n = 3 * 32 * 32;
    const x = Float32Array.from({ length: n }, (_, i) => i / (n - 1));
    const out = await session.run({ input: new ort.Tensor("float32", x, [1, 3, 32, 32]) });
    const got = Array.from(out[session.outputNames[0] ?? ""]?.data as Float32Array);
    const want = (
      JSON.parse(readFileSync(resolve(DN, "weights-net.weights.output.json"), "utf8")) as { output: number[] }
    ).output;
    want.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-4));
  });

  it("rejects a .weights file of another cfg", () => {
    const model = readDarknet(readFileSync(resolve(DN, "yolov3-tiny.cfg")));
    expect(() => applyDarknetWeights(model, readFileSync(resolve(DN, "weights-net.weights")))).toThrow(
      /ends before layer|bytes more/,
    );
  });
});
