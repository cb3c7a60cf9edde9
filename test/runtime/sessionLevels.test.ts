/**
 * The quicker session levels give the outputs of the slower ones within float rounding: backward
 * graphs run once per click are created without prepacking ("extendedUnpacked",
 * session.disable_prepacking), maps and layer activations as with prepacking ("extended"); the
 * host's forward graphs at "extended", logits and feature maps as at "all".
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { defaultSpatialLayer, hostLayer } from "../../src/core/explain/layers";
import { explainGraph, methodInfo, type GraphMethod } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { seedValues } from "../../src/core/onnx/backward";
import { buildRunnable, WEIGHTS_SEED } from "../../src/core/onnx/runnable";
import { loadNative, NativeEngine, type NativeFeed, type NativeRun } from "../../src/runtime/nativeEngine";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const engine = new NativeEngine(native.ort);

/** Each fetched output of `got` has `want`'s dims and values within 1e-5 of its largest |value|. */
function expectClose(want: NativeRun, got: NativeRun, fetches: readonly string[]): void {
  for (const f of fetches) {
    const a = want.outputs.get(f)!;
    const b = got.outputs.get(f)!;
    expect(b.dims).toEqual(a.dims);
    const scale = a.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0);
    const worst = b.data.reduce((m, v, i) => Math.max(m, Math.abs(v - a.data[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
  }
}

describe.each([
  ["lenet5_digits", [1, 1, 32, 32]],
  ["shapes_cnn", [1, 3, 64, 64]],
])("%s: backward graphs without prepacking", (name, dims) => {
  const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
  const layers = analyzeModel(model, { modelName: name }).layers;
  const layer = hostLayer(defaultSpatialLayer(layers)!, layers);
  const count = dims.reduce((a, b) => a * b, 1);
  const image = (): NativeFeed => ({
    dtype: "float32",
    dims,
    data: new Float32Array(count).map((_, i) => Math.sin(i * 0.37) * 0.5 + 0.5),
  });

  it("forward graph at extended: the logits and a feature map of all (1e-5 of the scale)", async () => {
    const conv = model.graph.nodes.find((n) => n.opType === "Conv")?.outputs[0] ?? "";
    const runnable = buildRunnable(model, { extraOutputs: [conv], seed: WEIGHTS_SEED });
    const fetches = [model.graph.outputs[0]!.name, conv];
    const feeds = () => ({ [model.graph.inputs[0]!.name]: image() });
    const want = await engine.run(`${name}-all`, () => runnable.bytes, feeds(), fetches, "all");
    const got = await engine.run(`${name}-extended`, () => runnable.bytes, feeds(), fetches, "extended");
    expectClose(want, got, fetches);
    engine.drop(`${name}-all`);
    engine.drop(`${name}-extended`);
  });

  it.each<GraphMethod>(["deconvnet", "saliency", "guided"])(
    "%s: the same map and layer output as the prepacked session (1e-5 of the scale)",
    async (method) => {
      expect(methodInfo(method).inputs).toBe("image"); // the methods whose graphs use the level
      const g = explainGraph(model, layers, {
        method,
        layerIndex: layer.index,
        classIndex: 1,
        fedSeed: true,
        exposeLayer: true,
      });
      const bytes = buildRunnable(g.model, { seed: WEIGHTS_SEED }).bytes;
      const seed = g.seedInput!;
      const feeds = () => ({
        [model.graph.inputs[0]!.name]: image(),
        [seed.name]: { dtype: "float32" as const, dims: seed.dims, data: seedValues(seed, 1) },
      });
      const fetches = [g.output, ...(g.layerOutput !== undefined ? [g.layerOutput] : [])];
      const want = await engine.run(`${name}-${method}-packed`, () => bytes, feeds(), fetches, "extended");
      const got = await engine.run(
        `${name}-${method}-unpacked`,
        () => bytes,
        feeds(),
        fetches,
        "extendedUnpacked",
      );
      expect(got.firstRun).toBe(true);
      expectClose(want, got, fetches);
      engine.drop(`${name}-${method}-packed`);
      engine.drop(`${name}-${method}-unpacked`);
    },
  );
});
