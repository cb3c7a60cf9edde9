/**
 * The host engine (onnxruntime-node) against PyTorch's logits, against the webview's
 * engine (onnxruntime-web wasm) on the same inputs, and over 1,000 consecutive passes
 * (memory must stay flat: sessions and output tensors are released).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { loadNative, NativeEngine, toFeed } from "../../src/runtime/nativeEngine";
import { runtimeErrorText } from "../../src/runtime/shared/runtimeErrors";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ortWeb.env.wasm.numThreads = 1;

interface Predictions {
  samples: { file: string; label: number; logits: number[] }[];
}

const native = loadNative();
if (!native.ok) throw new Error(native.why);
const engine = new NativeEngine(native.ort);

describe.each([
  ["lenet5_digits", 1, 32],
  ["shapes_cnn", 3, 64],
])("%s on the host engine", (name, channels, size) => {
  const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
  const firstConv = model.graph.nodes.find((n) => n.opType === "Conv")?.outputs[0] ?? "";
  const runnable = buildRunnable(model, { extraOutputs: [firstConv] });
  const preds = JSON.parse(
    readFileSync(resolve(FIXTURES, `expected/${name}_predictions.json`), "utf8"),
  ) as Predictions;

  it.each(preds.samples.map((s) => [s.file, s] as const))(
    "%s: logits within 1e-4 of PyTorch, same as wasm",
    async (_f, sample) => {
      const input = toChw(decodePng(readFileSync(resolve(FIXTURES, sample.file))), channels);
      const dims = [1, channels, size, size];
      const r = await engine.run(
        name,
        () => runnable.bytes,
        { input: { dtype: "float32", dims, data: input } },
        ["output", firstConv],
      );
      const logits = Array.from(r.outputs.get("output")?.data ?? []);
      expect(logits).toHaveLength(sample.logits.length);
      logits.forEach((v, i) => expect(Math.abs(v - sample.logits[i]!)).toBeLessThan(1e-4));
      expect(logits.indexOf(Math.max(...logits))).toBe(sample.label);
      // The feature map the views draw, identical in shape and within 1e-4 of wasm's.
      const session = await ortWeb.InferenceSession.create(runnable.bytes);
      const web = await session.run({ input: new ortWeb.Tensor("float32", input, dims) }, [
        "output",
        firstConv,
      ]);
      const a = web[firstConv]!.data as Float32Array;
      const b = r.outputs.get(firstConv)!;
      expect(b.dims).toEqual([...web[firstConv]!.dims]);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b.data[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
      await session.release();
    },
  );
});

describe("host engine", () => {
  it("random weights: the same seed gives the same logits twice, on both engines alike", async () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/mobilenet_v2.onnx")), {
      externalExists: () => false,
    });
    const [a, b] = [buildRunnable(model, { seed: 3 }), buildRunnable(model, { seed: 3 })];
    const data = new Float32Array(3 * 224 * 224).map((_, i) => ((i * 7919) % 255) / 255);
    const feeds = { input: { dtype: "float32" as const, dims: [1, 3, 224, 224], data } };
    const ra = await engine.run("mnv2-a", () => a.bytes, feeds, ["output"]);
    const rb = await engine.run("mnv2-b", () => b.bytes, feeds, ["output"]);
    const la = ra.outputs.get("output")!.data;
    expect(Array.from(rb.outputs.get("output")!.data)).toEqual(Array.from(la));
    const session = await ortWeb.InferenceSession.create(a.bytes);
    const web = (
      await session.run({ input: new ortWeb.Tensor("float32", data, [1, 3, 224, 224]) }, ["output"])
    )["output"]!.data as Float32Array;
    const scale = Math.max(...Array.from(web, Math.abs));
    for (let i = 0; i < web.length; i++) expect(Math.abs(web[i]! - la[i]!)).toBeLessThan(1e-3 * scale);
    await session.release();
    engine.drop("mnv2-a");
    engine.drop("mnv2-b");
  });

  it("reports bad inputs as one line: wrong rank, wrong byte count", async () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/lenet5_digits.onnx")));
    const bytes = buildRunnable(model).bytes;
    const bad = { input: { dtype: "float32" as const, dims: [1, 32, 32], data: new Float32Array(32 * 32) } };
    await expect(engine.run("lenet-bad", () => bytes, bad, ["output"])).rejects.toThrow(
      /^[^\n]*(rank|dimension)[^\n]*$/i,
    );
    expect(() =>
      toFeed({ name: "input", dtype: "float32", dims: [1, 1, 32, 32], bytes: new Uint8Array(12) }),
    ).toThrow('input "input": 3 values for shape [1, 1, 32, 32]');
    const ids = toFeed({
      name: "ids",
      dtype: "int64",
      dims: [2],
      bytes: new Uint8Array(new BigInt64Array([5n, 7n]).buffer),
    });
    expect(Array.from(ids.data as BigInt64Array)).toEqual([5n, 7n]);
  });

  it("keeps at most 3 sessions", async () => {
    const bytes = buildRunnable(readOnnx(readFileSync(resolve(FIXTURES, "models/lenet5_digits.onnx")))).bytes;
    const feeds = {
      input: { dtype: "float32" as const, dims: [1, 1, 32, 32], data: new Float32Array(1024) },
    };
    const e = new NativeEngine(native.ort);
    for (const k of ["a", "b", "c", "d", "e"]) await e.run(k, () => bytes, feeds, ["output"]);
    expect(e.sessionCount).toBe(3);
    e.dispose();
    expect(e.sessionCount).toBe(0);
  });

  it("1,000 consecutive passes keep memory flat (feature maps fetched each time)", async () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/shapes_cnn.onnx")));
    const conv = model.graph.nodes.find((n) => n.opType === "Conv")?.outputs[0] ?? "";
    const bytes = buildRunnable(model, { extraOutputs: [conv] }).bytes;
    const feeds = {
      input: {
        dtype: "float32" as const,
        dims: [1, 3, 64, 64],
        data: new Float32Array(3 * 64 * 64).fill(0.5),
      },
    };
    const e = new NativeEngine(native.ort);
    const pass = async (): Promise<number> =>
      (await e.run("m", () => bytes, feeds, ["output", conv])).outputs.get(conv)!.data.length;
    for (let i = 0; i < 50; i++) await pass(); // warm-up: allocator arenas reach their size
    global.gc?.();
    const before = process.memoryUsage();
    let fetched = 0;
    for (let i = 0; i < 1000; i++) fetched += await pass();
    global.gc?.();
    const after = process.memoryUsage();
    // Each pass fetches a 16×64×64 map (256 KiB): a leak of it would add 250 MiB.
    expect(fetched * 4).toBeGreaterThan(200 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(40 * 1024 * 1024);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(20 * 1024 * 1024);
    e.dispose();
  }, 60_000);
});

describe("onnxruntime's errors in one line", () => {
  it.each([
    ["native", "unknown-op.onnx", "op Frobnicate (opset 17) is not an operator onnxruntime implements"],
  ])("%s: %s", async (_b, file, message) => {
    const bytes = readFileSync(resolve(__dirname, "../fixtures/bad", file));
    const feeds = { input: { dtype: "float32" as const, dims: [1, 3, 16, 16], data: new Float32Array(768) } };
    await expect(engine.run(file, () => bytes, feeds, ["y"])).rejects.toThrow(message);
  });

  it.each([
    [
      "[E:onnxruntime:, sequential_executor.cc:572] Invalid rank for input: input Got: 3 Expected: 4 Please fix either the inputs/outputs or the model.",
      'input "input" has rank 3, but the model expects rank 4',
    ],
    [
      "Got invalid dimensions for input: input for the following indices\n index: 2 Got: 28 Expected: 32\n Please fix either the inputs/outputs or the model.",
      'input "input": dimension 2 is 28, but the model expects 32',
    ],
    [
      "Unexpected input data type. Actual: (tensor(double)) , expected: (tensor(float))",
      "an input is double, but the model expects float",
    ],
    ["Error: Error: something odd\nat line 2", "something odd"],
  ])("%s", (raw, said) => {
    expect(runtimeErrorText(new Error(raw))).toBe(said);
  });

  it("a wrong-rank input fed to the host engine says so", async () => {
    const bytes = buildRunnable(readOnnx(readFileSync(resolve(FIXTURES, "models/lenet5_digits.onnx")))).bytes;
    const feeds = { input: { dtype: "float32" as const, dims: [1, 32, 32], data: new Float32Array(1024) } };
    await expect(engine.run("lenet-rank", () => bytes, feeds, ["output"])).rejects.toThrow(
      'input "input" has rank 3, but the model expects rank 4',
    );
  });
});
