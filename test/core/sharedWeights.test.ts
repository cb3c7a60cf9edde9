/**
 * Backward graphs that refer to their model's weights file (core/onnx/sharedWeights.ts, ONNX
 * external data) instead of carrying the weights: a file of kilobytes, each weight on a page
 * boundary, and maps bit-identical to the self-contained graph's, on the host engine (loaded from
 * the graph's path, as the Explain tab's worker does) and on wasm (the weights file given as
 * externalData, as the webview does).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { defaultSpatialLayer } from "../../src/core/explain/layers";
import { explainGraph, type GraphMethod } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { seedValues } from "../../src/core/onnx/backward";
import { buildRunnable, withGeneratedWeights, WEIGHTS_SEED } from "../../src/core/onnx/runnable";
import { SHARED_MIN_BYTES, weightsLayout } from "../../src/core/onnx/sharedWeights";
import { loadNative, NativeEngine } from "../../src/runtime/nativeEngine";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ortWeb.env.wasm.numThreads = 1;
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const dir = mkdtempSync(join(tmpdir(), "convlens-shared-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  // Its own weights (from the file), and generated ones (a weightless file), as the host has them.
  ["shapes_cnn", 3, 64],
  ["resnet18", 3, 224],
])("%s: backward graphs on the shared weights file", (name, channels, size) => {
  const file = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)), {});
  const layers = analyzeModel(file, { modelName: name }).layers;
  const { model } = withGeneratedWeights(file, WEIGHTS_SEED);
  const layout = weightsLayout(model);
  const weightsFile = `${name}.weights`;
  writeFileSync(join(dir, weightsFile), Buffer.concat([...layout.parts]));
  const image = toChw(decodePng(readFileSync(resolve(FIXTURES, "images/shape_4_triangle.png"))), channels);
  const input = size === 64 ? image : new Float32Array(channels * size * size).map((_, i) => Math.sin(i));
  const layer = defaultSpatialLayer(layers)!;

  it("lays out every large initializer once, on a page boundary, and nothing else", () => {
    const large = [...model.graph.initializers.values()].filter(
      (t) => t.storage.kind === "inline" && t.storage.bytes.length >= SHARED_MIN_BYTES,
    );
    expect(large.length).toBeGreaterThan(0);
    expect([...layout.at.keys()]).toEqual(large);
    let end = 0;
    for (const [t, at] of layout.at) {
      expect(at.offset % 4096).toBe(0);
      expect(at.offset).toBeGreaterThanOrEqual(end);
      expect(at.length).toBe(t.storage.kind === "inline" ? t.storage.bytes.length : -1);
      end = at.offset + at.length;
    }
    expect(layout.length).toBe(end);
    expect(layout.parts.reduce((n, p) => n + p.length, 0)).toBe(end);
  });

  it.each<GraphMethod>(["gradcam", "deconvnet", "saliency"])(
    "%s: a small file whose maps are identical to the self-contained graph's",
    async (method) => {
      const g = explainGraph(model, layers, {
        method,
        layerIndex: layer.index,
        classIndex: 0,
        fedSeed: true,
        exposeLayer: true,
      });
      const whole = buildRunnable(g.model, { seed: WEIGHTS_SEED });
      const shared = buildRunnable(g.model, {
        seed: WEIGHTS_SEED,
        sharedWeights: { layout, location: weightsFile },
      });
      expect(shared.outputs).toEqual(whole.outputs);
      expect(shared.bytes.length).toBeLessThan(whole.bytes.length - layout.length + 100_000);
      const path = join(dir, `${name}-${method}.onnx`);
      writeFileSync(path, shared.bytes);

      const seed = g.seedInput!;
      const feeds = {
        [model.graph.inputs[0]!.name]: {
          dtype: "float32" as const,
          dims: [1, channels, size, size],
          data: input,
        },
        [seed.name]: { dtype: "float32" as const, dims: seed.dims, data: seedValues(seed, 1) },
      };
      const fetches = [g.output];
      const engine = new NativeEngine(native.ort);
      const fromPath = await engine.run("shared", () => path, feeds, fetches, "extended");
      const fromBytes = await engine.run("whole", () => whole.bytes, feeds, fetches, "extended");
      engine.dispose();
      const map = fromBytes.outputs.get(g.output)!.data;
      expect(map.some((v) => v !== 0)).toBe(true);
      expect(fromPath.outputs.get(g.output)!.data).toEqual(map);

      const session = await ortWeb.InferenceSession.create(shared.bytes, {
        externalData: [{ path: weightsFile, data: readFileSync(join(dir, weightsFile)) }],
      });
      const web = await session.run(
        Object.fromEntries(
          Object.entries(feeds).map(([k, f]) => [k, new ortWeb.Tensor("float32", f.data, [...f.dims])]),
        ),
        fetches,
      );
      await session.release();
      const wasmMap = web[g.output]!.data as Float32Array;
      const scale = map.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = wasmMap.reduce((m, v, i) => Math.max(m, Math.abs(v - map[i]!)), 0);
      expect(wasmMap).toHaveLength(map.length);
      expect(worst).toBeLessThanOrEqual(1e-4 * scale);
    },
    120_000,
  );
});
