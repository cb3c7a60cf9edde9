/**
 * deconvnet in one graph (GraphRequest.exposeLayer): the fed-channel graph also gives the layer's
 * activations, so the runner needs no forward graph. Fed any channel, it must give the forward
 * model's activations and, where the largest of them lies in one channel only (maxOnlyIn, else the
 * runner runs again for that channel), exactly the map of the graph built for that channel; on
 * the host engine (onnxruntime-node) and on wasm.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { defaultSpatialLayer, hostLayer } from "../../src/core/explain/layers";
import { explainGraph } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { seedValues } from "../../src/core/onnx/backward";
import { buildRunnable, WEIGHTS_SEED } from "../../src/core/onnx/runnable";
import { loadNative } from "../../src/runtime/nativeEngine";
import { maxOnlyIn, strongestUnit } from "../../webview/run/explain/mapMath";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ortWeb.env.wasm.numThreads = 1;
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const ortNode = native.ort;

type Feeds = Record<string, { dims: number[]; data: Float32Array }>;

/** The fetched outputs, by engine (onnxruntime-node, then wasm). */
async function runBoth(bytes: Uint8Array, feeds: Feeds, fetches: string[]) {
  const results: { dims: number[]; data: Float32Array }[][] = [];
  for (const ort of [ortNode, ortWeb] as const) {
    const session = await ort.InferenceSession.create(bytes);
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor("float32", f.data, f.dims)]),
    );
    const out = await session.run(tensors, fetches);
    results.push(
      fetches.map((f) => ({
        dims: [...(out[f]?.dims ?? [])],
        data: Float32Array.from(out[f]?.data as Float32Array),
      })),
    );
    await session.release();
  }
  return results;
}

describe.each([
  ["lenet5_digits", "images/digit_3.png", 1],
  ["shapes_cnn", "images/shape_4_triangle.png", 3],
])("%s: deconvnet's one graph", (name, image, channels) => {
  const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
  const layers = analyzeModel(model, { modelName: name }).layers;
  const input = model.graph.inputs[0]!;
  const dims = input.shape!.map((d) => (typeof d === "number" ? d : 1));
  const x = toChw(decodePng(readFileSync(resolve(FIXTURES, image))), channels);
  const layer = hostLayer(defaultSpatialLayer(layers)!, layers);

  it("gives the forward activations, and the map of the strongest unit's channel", async () => {
    const req = { method: "deconvnet", layerIndex: layer.index, classIndex: 0, fedSeed: true } as const;
    const one = explainGraph(model, layers, { ...req, exposeLayer: true });
    const value = one.layerOutput!;
    expect(value).toBe(one.layerValue);
    // Without the request, the graph is as before.
    expect(explainGraph(model, layers, req).layerOutput).toBeUndefined();
    const seed = one.seedInput!;
    const feeds: Feeds = {
      [input.name]: { dims, data: x },
      [seed.name]: { dims: [...seed.dims], data: seedValues(seed, undefined) },
    };
    const got = await runBoth(buildRunnable(one.model, { seed: WEIGHTS_SEED }).bytes, feeds, [
      one.output,
      value,
    ]);
    const forward = buildRunnable(model, { seed: WEIGHTS_SEED, extraOutputs: [value] }).bytes;
    const acts = await runBoth(forward, { [input.name]: { dims, data: x } }, [value]);
    for (const [e, [map, act]] of got.entries()) {
      expect(act!.dims).toEqual(acts[e]![0]!.dims);
      expect(Array.from(act!.data)).toEqual(Array.from(acts[e]![0]!.data));
      const unit = strongestUnit(act!.data, act!.dims);
      expect(maxOnlyIn(act!.data, act!.dims, unit.channel, unit.value)).toBe(true);
      const own = explainGraph(model, layers, { ...req, fedSeed: false, channel: unit.channel });
      const ownBytes = buildRunnable(own.model, { seed: WEIGHTS_SEED }).bytes;
      const want = await runBoth(ownBytes, { [input.name]: { dims, data: x } }, [own.output]);
      expect(Array.from(map!.data)).toEqual(Array.from(want[e]![0]!.data));
      expect(Math.max(...Array.from(map!.data, Math.abs))).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe("maxOnlyIn", () => {
  it("is true only when the largest value of every frame lies in the one channel", () => {
    const map = [0, 1, 5, 2, /* frame 2 */ 0, 1, 3, 2];
    expect(maxOnlyIn(map, [1, 2, 2], 1, 5)).toBe(true);
    // Reached in channel 0 as well.
    expect(maxOnlyIn([5, 1, 5, 2], [1, 2, 2], 1, 5)).toBe(false);
    // A larger value in another frame.
    expect(maxOnlyIn([0, 1, 5, 2, 7, 0, 0, 0], [2, 2, 2], 1, 5)).toBe(false);
    expect(maxOnlyIn(map, [2, 2, 2], 1, 5)).toBe(true);
    expect(maxOnlyIn([0, NaN, 5, 2], [1, 2, 2], 1, 5)).toBe(false);
    expect(maxOnlyIn([0, 5], [2], 1, 5)).toBe(false);
  });
});
