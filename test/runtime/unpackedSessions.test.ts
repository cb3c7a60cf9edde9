/**
 * Backward graphs run once per click are created without prepacking ("extendedUnpacked",
 * session.disable_prepacking): their maps and the layer's activations must be those of the
 * prepacked session ("extended") within float rounding, for the methods that use that level.
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
import { loadNative, NativeEngine, type NativeFeed } from "../../src/runtime/nativeEngine";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const engine = new NativeEngine(native.ort);

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
      for (const f of fetches) {
        const a = want.outputs.get(f)!;
        const b = got.outputs.get(f)!;
        expect(b.dims).toEqual(a.dims);
        const scale = a.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        const worst = b.data.reduce((m, v, i) => Math.max(m, Math.abs(v - a.data[i]!)), 0);
        expect(worst).toBeLessThanOrEqual(1e-5 * scale);
      }
      engine.drop(`${name}-${method}-packed`);
      engine.drop(`${name}-${method}-unpacked`);
    },
  );
});
