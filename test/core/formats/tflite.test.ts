/**
 * TensorFlow Lite specifics beyond the per-format corpus (textFormats.test.ts): quantized tensors
 * keep their dtype, scale and zero point; what the reader cannot follow is unknown with its name,
 * never dropped; a stored shape that disagrees with the op is a warning; the converted float graph
 * runs on onnxruntime and gives PyTorch's output (tools/make_tflite_models.py wrote both).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../../src/core/index";
import { readerFor } from "../../../src/core/formats/registry";
import { readTflite } from "../../../src/core/formats/tflite/tfliteReader";
import { tensorValues } from "../../../src/core/ir/tensorData";
import { ModelError } from "../../../src/core/ir/types";
import { buildRunnable } from "../../../src/core/onnx/runnable";
import { loadNative, NativeEngine } from "../../../src/runtime/nativeEngine";

const DIR = resolve(__dirname, "../../fixtures/tflite");
const bytesOf = (name: string) => new Uint8Array(readFileSync(resolve(DIR, name)));

describe("TFLite detection", () => {
  it("is found by extension and by its TFL3 identifier", () => {
    expect(readerFor("m.tflite", bytesOf("lenet.tflite")).id).toBe("tflite");
    expect(readerFor("model.bin", bytesOf("lenet.tflite")).id).toBe("tflite");
  });
  it("says in one line what is wrong with a damaged or foreign file", () => {
    const cut = bytesOf("lenet.tflite").subarray(0, 200);
    expect(() => readTflite(cut)).toThrow(ModelError);
    expect(() => readTflite(cut)).toThrow(/^This \.tflite file [^\n]+$/);
    expect(() => readTflite(new TextEncoder().encode("name: 'x'\nlayer {}"))).toThrow(
      /no "TFL3" file identifier/,
    );
  });
});

describe("quantized int8 model", () => {
  const model = readTflite(bytesOf("int8_convnet.tflite"));
  const a = analyzeFile("int8_convnet.tflite", bytesOf("int8_convnet.tflite"));
  const rows = (layer: string) => a.layers.filter((l) => l.name === layer);

  it("keeps int8 activations with the file's scale and zero point", () => {
    const conv = rows("conv1");
    expect(conv[conv.length - 1]?.outputs[0]).toMatchObject({
      name: "conv1",
      dtype: "int8",
      shape: [1, 16, 16, 8],
    });
    const q = model.graph.nodes.find((n) => n.layer === "conv1" && n.opType === "QuantizeLinear");
    const [, scale = "", zero = ""] = q?.inputs ?? [];
    // tools/make_tflite_models.py wrote conv1's output with scale 0.1 and zero point −128.
    const s = model.graph.initializers.get(scale);
    expect(s && tensorValues(s)?.[0]).toBeCloseTo(0.1, 6);
    const z = model.graph.initializers.get(zero);
    expect(z && { dtype: z.dtype, v: tensorValues(z) }).toEqual({ dtype: "int8", v: [-128] });
  });
  it("dequantizes per-channel weights along the file's quantized dimension", () => {
    const dq = model.graph.nodes.find((n) => n.layer === "dw" && n.inputs[0] === "dw/weights");
    expect(dq?.opType).toBe("DequantizeLinear");
    expect(dq?.attrs["axis"]).toBe(3); // depthwise weights [1, 3, 3, 8], one scale per output channel
  });
  it("counts int8 weights and int32 biases as parameters, in their own bytes", () => {
    // conv1 3·3·3·8 + dw 3·3·8 + fc 128·10 int8 weights; 8 + 8 + 10 int32 biases.
    const weights = 3 * 3 * 3 * 8 + 3 * 3 * 8 + 128 * 10;
    const biases = 8 + 8 + 10;
    expect(a.totals.params).toBe(weights + biases);
    expect(a.totals.paramBytes).toBe(weights + 4 * biases);
  });
});

describe("what the reader cannot follow", () => {
  it("keeps a custom op as unknown, named, with everything after it unknown", () => {
    const a = analyzeFile("custom_op.tflite", bytesOf("edge/custom_op.tflite"));
    const custom = a.layers.find((l) => l.name === "detections");
    expect(custom?.layerType).toBe("CUSTOM TFLite_Detection_PostProcess");
    expect(custom?.outputs[0]?.shape).toBeNull();
    expect(custom?.warnings.join()).toMatch(/no rule for op tflite\.TFLite_Detection_PostProcess/);
    expect(a.layers.find((l) => l.name === "boxes")?.outputs[0]?.shape).toBeNull();
    expect(a.totals.macs).toBeNull();
    expect(a.warnings.join("\n")).toMatch(
      /TFLite_Detection_PostProcess is kept as an unknown op \(a custom operator\)/,
    );
    // The conv before it is known, with its dynamic batch (shape_signature −1) counted as 1 and said so.
    expect(a.layers.filter((l) => l.name === "conv").pop()?.outputs[0]?.shape).toEqual([1, 6, 6, 4]);
    expect(a.warnings.join("\n")).toContain('Batch dimension "N" of input "input" is counted as 1');
    expect(a.batchAssumed?.length).toBe(1);
  });
  it("keeps a builtin with no converter as unknown under its own name, every output of it", () => {
    const a = analyzeFile("unique.tflite", bytesOf("edge/unknown_builtin.tflite"));
    const unique = a.layers.find((l) => l.name === "unique");
    expect(unique?.layerType).toBe("UNIQUE");
    expect(unique?.outputs.map((o) => [o.name, o.shape])).toEqual([
      ["unique", null],
      ["unique_idx", null],
    ]);
    expect(a.warnings.join("\n")).toMatch(
      /TFLite operator UNIQUE is kept as an unknown op \(no converter for this builtin operator\)/,
    );
  });
  it("warns where the file's stored shape disagrees with the op", () => {
    const a = analyzeFile("mismatch.tflite", bytesOf("edge/stored_shape_mismatch.tflite"));
    expect(a.warnings).toContain(
      '"pool": the file declares shape [1, 5, 5, 3] but inference gives [1, 4, 4, 3].',
    );
  });
});

interface Sample {
  /** `output`: the first graph output's values; `outputs`: others by tensor name. */
  sample: { input: number[]; output: number[]; outputs?: Record<string, number[]> };
}

describe("converted float graphs run on onnxruntime as PyTorch computes them", () => {
  const native = loadNative();
  if (!native.ok) throw new Error(native.why);
  const engine = new NativeEngine(native.ort);
  it.each([
    "lenet",
    "mobilenet_block",
    "decoder",
    "tensor_ops",
    "mediapipe_upsample",
    "dilated_conv",
    "sparse_weights",
  ])("%s", async (name) => {
    const model = readTflite(bytesOf(`${name}.tflite`));
    const { sample } = JSON.parse(readFileSync(resolve(DIR, `${name}.expected.json`), "utf8")) as Sample;
    const input = model.graph.inputs[0];
    const expected = { [model.graph.outputs[0]?.name ?? ""]: sample.output, ...sample.outputs };
    const dims = (input?.shape ?? []).map(Number);
    const run = await engine.run(
      name,
      () => buildRunnable(model).bytes,
      { [input?.name ?? ""]: { dtype: "float32", dims, data: Float32Array.from(sample.input) } },
      Object.keys(expected),
    );
    for (const [output, values] of Object.entries(expected)) {
      const got = Array.from(run.outputs.get(output)?.data ?? [], Number);
      expect(got).toHaveLength(values.length);
      const worst = Math.max(...got.map((v, i) => Math.abs(v - (values[i] ?? NaN))));
      expect(worst, output).toBeLessThan(1e-4);
    }
  });
});

describe("operators with several outputs", () => {
  const model = readTflite(bytesOf("tensor_ops.tflite"));
  it("gives every output tensor of SPLIT, SPLIT_V and UNPACK its file name, made by the operator", () => {
    const made = new Set(model.graph.nodes.flatMap((n) => n.outputs));
    const parts = ["split", "split_1", "split_v", "split_v_1", "split_v_2", "unpack", "unpack_7"];
    expect(parts.filter((p) => !made.has(p))).toEqual([]);
    const split = model.graph.nodes.find((n) => n.layer === "split" && n.opType === "Split");
    expect(split?.outputs).toEqual(["split", "split_1"]);
  });
  it("reads no operator of the file as unknown", () => {
    expect(model.notes ?? []).toEqual([]);
  });
});

describe("published MediaPipe files (test/fixtures/tflite/published)", () => {
  const published = (name: string) => bytesOf(`published/${name}.tflite`);
  it("maps MediaPipe's Convolution2DTransposeBias, with the output shape the file stores", () => {
    const a = analyzeFile("selfie_segmentation.tflite", published("selfie_segmentation"));
    const segment = a.layers.filter((l) => l.name === "segment");
    expect(segment[0]?.layerType).toBe("CUSTOM Convolution2DTransposeBias");
    expect(segment[segment.length - 1]?.outputs[0]?.shape).toEqual([1, 256, 256, 1]);
    expect(a.warnings).toEqual([]);
  });
  it.each(["face_detection_short_range", "selfie_segmentation"])(
    "%s: the weights' bytes are the file's float16 weights' bytes",
    (name) => {
      const { stored } = JSON.parse(
        readFileSync(resolve(DIR, `published/${name}.expected.json`), "utf8"),
      ) as { stored: { weight_elements: number; weight_bytes: number } };
      const a = analyzeFile(`${name}.tflite`, published(name));
      expect(a.totals.params).toBe(stored.weight_elements);
      expect(a.totals.paramBytes).toBe(stored.weight_bytes);
    },
  );
  const native = loadNative();
  if (!native.ok) throw new Error(native.why);
  const engine = new NativeEngine(native.ort);
  interface InterpreterSample {
    outputs: Record<string, { shape: number[]; stride: number; values: number[] }>;
  }
  // tools/make_tflite_interpreter_samples.py: TensorFlow Lite's interpreter fed 0.5 + 0.5·sin(i / 100).
  it.each(["face_detection_short_range", "selfie_segmentation"])(
    "%s gives on onnxruntime what TensorFlow Lite's interpreter gives",
    async (name) => {
      const model = readTflite(published(name));
      const { outputs } = JSON.parse(
        readFileSync(resolve(DIR, `published/${name}.sample.json`), "utf8"),
      ) as InterpreterSample;
      const input = model.graph.inputs[0];
      const dims = (input?.shape ?? []).map(Number);
      const size = dims.reduce((a, b) => a * b, 1);
      const image = Float32Array.from({ length: size }, (_, i) => 0.5 + 0.5 * Math.sin(i / 100));
      const names = Object.keys(outputs);
      const run = await engine.run(
        name,
        () => buildRunnable(model, { extraOutputs: names }).bytes,
        { [input?.name ?? ""]: { dtype: "float32", dims, data: image } },
        names,
      );
      for (const [output, want] of Object.entries(outputs)) {
        const got = run.outputs.get(output);
        expect(got?.dims, output).toEqual(want.shape);
        const picked = want.values.map((_, k) => Number(got?.data[k * want.stride]));
        // Relative to the value's size: forty layers of float32 sums in another order.
        const worst = Math.max(
          ...picked.map(
            (v, k) => Math.abs(v - (want.values[k] ?? NaN)) / Math.max(1, Math.abs(want.values[k] ?? 0)),
          ),
        );
        expect(worst, output).toBeLessThan(1e-4);
      }
    },
  );
});
