/**
 * Caffe .caffemodel weights against files written by Google's protobuf encoder and outputs
 * computed by an independent PyTorch implementation (tools/make_caffemodel_ref.py).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import {
  applyCaffemodel,
  readCaffemodel,
  type CaffeLayerBlobs,
} from "../../src/core/formats/caffe/caffemodel";
import { readCaffe } from "../../src/core/formats/caffe/caffeReader";
import type { Model } from "../../src/core/ir/types";
import { buildRunnable } from "../../src/core/onnx/runnable";

ort.env.wasm.numThreads = 1;
const DIR = resolve(__dirname, "../fixtures/caffe");
const file = (name: string) => readFileSync(resolve(DIR, name));

interface Ref {
  input_shape: number[];
  bn_factor: number;
  layers: { name: string; blobs: { shape: number[]; sum: number; first: number[] }[] }[];
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
const ref = (stem: string) => JSON.parse(file(`${stem}.caffemodel.ref.json`).toString("utf8")) as Ref;

function floatsOf(model: Model, name: string): Float32Array {
  const s = model.graph.initializers.get(name)?.storage;
  if (s?.kind !== "inline") throw new Error(`${name} not loaded`);
  return new Float32Array(new Uint8Array(s.bytes).buffer);
}

describe.each(["mini_inception", "tiny_v1"])("%s.caffemodel", (stem) => {
  const want = ref(stem);
  const layers = readCaffemodel(file(`${stem}.caffemodel`));

  it("reads every layer's blobs: names, shapes and values", () => {
    const withBlobs = layers.filter((l) => l.blobs.length);
    expect(withBlobs.map((l) => l.name)).toEqual(want.layers.map((l) => l.name));
    withBlobs.forEach((l, i) => {
      const w = want.layers[i];
      expect(l.blobs.map((b) => b.shape)).toEqual(w?.blobs.map((b) => b.shape));
      l.blobs.forEach((b, j) => {
        const wb = w?.blobs[j];
        expect(Array.from(b.data.subarray(0, 3))).toEqual(wb?.first.map(Math.fround));
        expect(Array.from(b.data).reduce((a, v) => a + v, 0)).toBeCloseTo(wb?.sum ?? NaN, 4);
      });
    });
    // Layers without weights (ReLU, pooling, …) are in the file too, with no blobs.
    expect(layers.length).toBeGreaterThan(withBlobs.length);
  });

  it("fills every learned layer of the prototxt", () => {
    const { model, report } = applyCaffemodel(readCaffe(file(`${stem}.prototxt`)), layers);
    expect(report).toEqual({
      loaded: want.layers.length,
      missing: [],
      unexpected: [],
      misshaped: [],
      unit: "layers",
    });
    expect(buildRunnable(model).randomWeights).toBe(false);
  });

  it("runs to PyTorch's outputs for the same weights", async () => {
    const { model } = applyCaffemodel(readCaffe(file(`${stem}.prototxt`)), layers);
    const session = await ort.InferenceSession.create(buildRunnable(model).bytes);
    const n = want.input_shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 100 - 0.5);
    const names = Object.keys(want.outputs);
    const out = await session.run({ data: new ort.Tensor("float32", x, want.input_shape) }, names);
    for (const name of names) {
      const w = want.outputs[name];
      const got = out[name];
      expect([...(got?.dims ?? [])]).toEqual(w?.shape);
      const data = got?.data as Float32Array;
      const scale = Math.max(...(w?.data ?? []).map(Math.abs));
      (w?.data ?? []).forEach((v, i) =>
        expect(Math.abs((data[i] ?? NaN) - v)).toBeLessThanOrEqual(
          1e-4 * Math.max(Math.abs(v), 0.01 * scale),
        ),
      );
    }
  });
});

describe("legacy V1 files", () => {
  it("map the V1 layer type enum and keep the legacy 4-D blob shapes", () => {
    const layers = readCaffemodel(file("tiny_v1.caffemodel"));
    const conv = layers.find((l) => l.name === "conv1");
    expect(conv?.type).toBe("Convolution");
    expect(conv?.blobs.map((b) => b.shape)).toEqual([
      [8, 3, 3, 3],
      [1, 1, 1, 8],
    ]);
    expect(layers.find((l) => l.name === "fc")?.blobs[0]?.shape).toEqual([1, 1, 10, 512]);
    expect(layers.find((l) => l.name === "relu1")?.type).toBe("V1 type 18");
  });

  it("read unpacked floats and double_data the same as packed floats", () => {
    const packed = readCaffemodel(file("tiny_v1.caffemodel")).filter((l) => l.blobs.length);
    const unpacked = readCaffemodel(file("tiny_v1.unpacked.caffemodel")).filter((l) => l.blobs.length);
    expect(unpacked.map((l) => [l.name, l.blobs.map((b) => [b.shape, Array.from(b.data)])])).toEqual(
      packed.map((l) => [l.name, l.blobs.map((b) => [b.shape, Array.from(b.data)])]),
    );
  });
});

describe("BatchNorm's scale factor", () => {
  const model = readCaffe(file("mini_inception.prototxt"));
  const layers = readCaffemodel(file("mini_inception.caffemodel"));
  const bn = layers.find((l) => l.name === "conv1/bn");

  it("divides the stored mean and variance by it", () => {
    expect(bn?.blobs.map((b) => b.shape)).toEqual([[32], [32], [1]]);
    expect(bn?.blobs[2]?.data[0]).toBe(ref("mini_inception").bn_factor);
    const loaded = applyCaffemodel(model, layers).model;
    const mean = floatsOf(loaded, "conv1/bn.mean");
    const variance = floatsOf(loaded, "conv1/bn.variance");
    bn?.blobs[0]?.data.forEach((v, i) => expect(mean[i]).toBeCloseTo(v / 7.5, 6));
    bn?.blobs[1]?.data.forEach((v, i) => expect(variance[i]).toBeCloseTo(v / 7.5, 6));
  });

  it("gives zero statistics for a zero factor, as Caffe does", () => {
    const zero: CaffeLayerBlobs[] = layers.map((l) =>
      l === bn ? { ...l, blobs: [...l.blobs.slice(0, 2), { shape: [1], data: new Float32Array([0]) }] } : l,
    );
    const loaded = applyCaffemodel(model, zero).model;
    expect(Array.from(floatsOf(loaded, "conv1/bn.mean")).every((v) => v === 0)).toBe(true);
    expect(Array.from(floatsOf(loaded, "conv1/bn.variance")).every((v) => v === 0)).toBe(true);
  });
});

describe("the report", () => {
  const model = readCaffe(file("mini_inception.prototxt"));
  const layers = readCaffemodel(file("mini_inception.caffemodel"));

  it("names missing, unexpected and mis-shaped layers; the rest still loads", () => {
    const changed: CaffeLayerBlobs[] = layers
      .filter((l) => l.name !== "inception/1x1")
      .map((l) => {
        if (l.name === "fc") return { ...l, blobs: l.blobs.slice(0, 1) };
        const first = l.blobs[0];
        if (l.name === "res/branch" && first)
          return {
            ...l,
            blobs: [{ shape: [72, 72, 3, 3], data: new Float32Array(72 * 72 * 9) }, ...l.blobs.slice(1)],
          };
        return l;
      });
    changed.push({
      name: "conv_extra",
      type: "Convolution",
      blobs: [{ shape: [1], data: new Float32Array(1) }],
    });
    const { model: loaded, report } = applyCaffemodel(model, changed);
    expect(report.missing).toEqual(["inception/1x1"]);
    expect(report.unexpected).toEqual(["conv_extra"]);
    expect(report.misshaped).toEqual([
      "res/branch (Convolution): blob 0 (weight) is [72, 72, 3, 3], the prototxt needs [72, 18, 3, 3]",
      "fc (InnerProduct): the file has 1 blob, the prototxt needs 2 (weight, bias)",
    ]);
    expect(report.loaded).toBe(6);
    // A mis-shaped layer loads nothing (its bias stays generated too).
    expect(loaded.graph.initializers.get("res/branch.bias")?.storage.kind).toBe("none");
    expect(loaded.graph.initializers.get("up.bias")?.storage.kind).toBe("inline");
  });
});

describe("damaged files", () => {
  const bytes = file("mini_inception.caffemodel");

  it.each([
    [
      "truncated",
      bytes.subarray(0, bytes.byteLength - 1000),
      /truncated or not a Caffe binary NetParameter: .*runs past the end of the file \(117279 bytes\)/,
    ],
    ["cut inside a tag", bytes.subarray(0, 3), /truncated/],
    ["a text prototxt", file("mini_inception.prototxt"), /not a Caffe binary NetParameter/],
    ["empty", new Uint8Array(0), /empty/],
  ])("%s: one clear message", (_what, data, message) => {
    let error: unknown;
    try {
      readCaffemodel(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/\n\s+at /);
  });
});

describe("InnerProduct with transpose: true", () => {
  it("keeps Caffe's [in, out] weight", () => {
    const text =
      'input: "data" input_dim: 1 input_dim: 6\nlayer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 4 transpose: true } }';
    const model = readCaffe(new TextEncoder().encode(text));
    expect(model.graph.initializers.get("fc.weight")?.dims).toEqual([6, 4]);
    expect(model.graph.nodes.find((n) => n.opType === "Gemm")?.attrs["transB"]).toBe(0);
  });
});

describe("fork layers' blobs (fork_layers.prototxt)", () => {
  const blob = (...shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const stats = (c: number) => [blob(1, c, 1, 1), blob(1, c, 1, 1)];
  // As the forks store them: conv_dw_layer.cpp [C, 1, kh, kw] (+ [C]); caffe-segnet's BN scale and shift
  // [1, C, 1, 1]; the slope_filler family's BN slope, bias, running mean and variance [1, C, 1, 1].
  const layers: CaffeLayerBlobs[] = [
    { name: "conv1", type: "Convolution", blobs: [blob(12, 3, 3, 3)] },
    { name: "conv1_bn", type: "BN", blobs: stats(12) },
    { name: "dw2", type: "ConvolutionDepthwise", blobs: [blob(12, 1, 3, 3)] },
    { name: "dw2_bn", type: "BN", blobs: [...stats(12), ...stats(12)] },
    { name: "dw3", type: "ConvolutionDepthwise", blobs: [blob(12, 1, 5, 3), blob(12)] },
    { name: "pw3", type: "Convolution", blobs: [blob(24, 4, 1, 1), blob(24)] },
    { name: "pw3_bn", type: "BN", blobs: [...stats(24), ...stats(24)] },
  ];
  const model = readCaffe(file("fork_layers.prototxt"));

  it("fill ConvolutionDepthwise and both BN families", () => {
    const { report } = applyCaffemodel(model, layers);
    expect(report).toEqual({ loaded: 7, missing: [], unexpected: [], misshaped: [], unit: "layers" });
  });

  it("name a SegNet BN given statistics it does not have", () => {
    const wrong = layers.map((l) =>
      l.name === "conv1_bn" ? { ...l, blobs: [...stats(12), ...stats(12)] } : l,
    );
    expect(applyCaffemodel(model, wrong).report.misshaped).toEqual([
      "conv1_bn (BN): the file has 4 blobs, the prototxt needs 2 (scale, shift)",
    ]);
  });
});
