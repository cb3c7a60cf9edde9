/**
 * Backward graphs prepared ahead take their class or channel as a fed seed (one graph serves
 * all); they must give exactly the maps of the graphs built on demand for one class or channel
 * (with the seed as a constant, as before), on the host engine (onnxruntime-node) and on wasm.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { defaultSpatialLayer, hostLayer } from "../../src/core/explain/layers";
import { explainGraph, type GraphMethod } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { seedValues } from "../../src/core/onnx/backward";
import { buildRunnable, WEIGHTS_SEED } from "../../src/core/onnx/runnable";
import { loadNative } from "../../src/runtime/nativeEngine";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ortWeb.env.wasm.numThreads = 1;
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const ortNode = native.ort;

type Feeds = Record<string, { dims: number[]; data: Float32Array }>;

async function runBoth(bytes: Uint8Array, feeds: Feeds, output: string): Promise<Float32Array[]> {
  const results: Float32Array[] = [];
  for (const ort of [ortNode, ortWeb] as const) {
    const session = await ort.InferenceSession.create(bytes);
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor("float32", f.data, f.dims)]),
    );
    const out = await session.run(tensors, [output]);
    results.push(Float32Array.from(out[output]?.data as Float32Array));
    await session.release();
  }
  return results;
}

describe.each([
  ["lenet5_digits", "images/digit_3.png", 1],
  ["shapes_cnn", "images/shape_4_triangle.png", 3],
])("%s: a fed seed gives the maps of a built-in one", (name, image, channels) => {
  const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
  const layers = analyzeModel(model, { modelName: name }).layers;
  const input = model.graph.inputs[0]!;
  const dims = input.shape!.map((d) => (typeof d === "number" ? d : 1));
  const x = toChw(decodePng(readFileSync(resolve(FIXTURES, image))), channels);
  const layer = hostLayer(defaultSpatialLayer(layers)!, layers);
  const channelCount = layer.outputs[0]!.shape![1] as number;

  it.each<[GraphMethod, "class" | "channel", number[]]>([
    ["gradcam", "class", [0, 1, 3]],
    ["saliency", "class", [0, 3]],
    ["guided", "class", [2]],
    ["deconvnet", "channel", [0, channelCount - 1]],
  ])(
    "%s (%s %j)",
    async (method, kind, indexes) => {
      const layerIndex = method === "saliency" || method === "guided" ? {} : { layerIndex: layer.index };
      const fed = explainGraph(model, layers, { method, ...layerIndex, classIndex: 0, fedSeed: true });
      expect(fed.seedInput?.kind).toBe(kind === "class" ? "classOneHot" : "channelMask");
      const fedBytes = buildRunnable(fed.model, { seed: WEIGHTS_SEED }).bytes;
      let largest = 0;
      for (const index of indexes) {
        const req = kind === "class" ? { classIndex: index } : { classIndex: 0, channel: index };
        const own = explainGraph(model, layers, { method, ...layerIndex, ...req });
        expect(own.seedInput).toBeUndefined();
        const ownBytes = buildRunnable(own.model, { seed: WEIGHTS_SEED }).bytes;
        const feeds: Feeds = { [input.name]: { dims, data: x } };
        const want = await runBoth(ownBytes, feeds, own.output);
        const seed = fed.seedInput!;
        feeds[seed.name] = { dims: [...seed.dims], data: seedValues(seed, index) };
        const got = await runBoth(fedBytes, feeds, fed.output);
        largest = Math.max(largest, ...Array.from(want[0]!, Math.abs));
        expect(Array.from(got[0]!)).toEqual(Array.from(want[0]!));
        expect(Array.from(got[1]!)).toEqual(Array.from(want[1]!));
      }
      // Not all zero: maps of zeros would match trivially.
      expect(largest).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe("seed values", () => {
  it("are a one-hot for a class and a mask for a channel, and refuse an index out of range", () => {
    expect(Array.from(seedValues({ kind: "classOneHot", dims: [1, 4] }, 2))).toEqual([0, 0, 1, 0]);
    expect(Array.from(seedValues({ kind: "channelMask", dims: [1, 3, 1, 1] }, 1))).toEqual([
      Math.fround(-1e30),
      0,
      Math.fround(-1e30),
    ]);
    expect(Array.from(seedValues({ kind: "channelMask", dims: [1, 2, 1, 1] }, undefined))).toEqual([0, 0]);
    expect(() => seedValues({ kind: "classOneHot", dims: [1, 4] }, 4)).toThrow(/class 4 is out of range/);
  });
});
