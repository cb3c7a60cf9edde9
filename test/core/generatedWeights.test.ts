/**
 * The host generates a weightless model's weights once (withGeneratedWeights) and builds every
 * graph of it from that copy. Each graph must be exactly what building it from the weightless
 * model gives (buildRunnable generating by each graph's own use of a weight): the Run and Explain
 * results stay those of before the cache.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { explainGraph, type GraphRequest } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import {
  buildRunnable,
  generationKey,
  withGeneratedWeights,
  withGeneratedWeightsInSteps,
  WEIGHTS_SEED,
} from "../../src/core/onnx/runnable";

const MODELS = resolve(__dirname, "../../../shared/fixtures/models");
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe("generated weights, once per model", () => {
  for (const name of ["resnet18", "densenet121"]) {
    it(`${name}: forward, feature-map and backward graphs are byte-identical to building from the weightless file`, () => {
      const model = readOnnx(readFileSync(resolve(MODELS, `${name}.onnx`)), { externalExists: () => false });
      const layers = analyzeModel(model, { modelName: name }).layers;
      const weighted = withGeneratedWeights(model, WEIGHTS_SEED);
      expect(weighted.generated).toBe(true);
      // Generated once: the copy has no missing weight left, the original is untouched.
      expect([...weighted.model.graph.initializers.values()].some((t) => t.storage.kind === "external")).toBe(
        false,
      );
      expect([...model.graph.initializers.values()].some((t) => t.storage.kind === "external")).toBe(true);

      const conv = layers.find((l) => l.opType === "Conv" && l.index > 10);
      const extraOutputs = [conv?.outputs[0]?.name ?? ""];
      const direct = buildRunnable(model, { extraOutputs, seed: WEIGHTS_SEED });
      const cached = buildRunnable(weighted.model, { extraOutputs, seed: WEIGHTS_SEED });
      expect(same(direct.bytes, cached.bytes)).toBe(true);
      expect(direct.randomWeights).toBe(true);

      // DenseNet's BatchNormalization (it is not folded into a conv) has no input-gradient rules.
      const requests: GraphRequest[] = [
        { method: "gradcam", classIndex: 3 },
        ...(name === "resnet18"
          ? ([
              { method: "saliency", classIndex: 5 },
              { method: "deconvnet", classIndex: 0, layerIndex: conv?.index ?? 0, channel: 1 },
            ] as const)
          : []),
      ];
      for (const req of requests) {
        const a = explainGraph(model, layers, req);
        const b = explainGraph(weighted.model, layers, req);
        expect(b.output).toBe(a.output);
        const bytesA = buildRunnable(a.model, { seed: WEIGHTS_SEED }).bytes;
        const bytesB = buildRunnable(b.model, { seed: WEIGHTS_SEED }).bytes;
        expect(bytesB.length).toBe(bytesA.length);
        expect(same(bytesA, bytesB), `${req.method} graph`).toBe(true);
      }
    }, 300_000);
  }
});

describe("generated weights kept and read back (generationKey, stored)", () => {
  const file = readFileSync(resolve(MODELS, "lenet5.onnx"));
  const weightless = readOnnx(readFileSync(resolve(MODELS, "resnet18.onnx")), {
    externalExists: () => false,
  });
  const pause = () => Promise.resolve();

  it("reads back bit-identical weights: the same graph bytes as drawing them", async () => {
    const drawn = await withGeneratedWeightsInSteps(weightless, WEIGHTS_SEED, pause);
    expect(drawn.generated).toBe(true);
    const stored = Buffer.concat([...drawn.drawn]);
    // Every missing tensor's values, in order, and nothing else.
    const missing = [...weightless.graph.initializers.values()].filter((t) => t.storage.kind === "external");
    expect(missing.length).toBeGreaterThan(0);
    expect(drawn.drawn.map((d) => d.length)).toEqual(
      missing.map((t) => 4 * t.dims.reduce((a, b) => a * b, 1)),
    );
    const read = await withGeneratedWeightsInSteps(weightless, WEIGHTS_SEED, pause, stored);
    expect(read.generated).toBe(true);
    const a = buildRunnable(drawn.model, { seed: WEIGHTS_SEED }).bytes;
    const b = buildRunnable(read.model, { seed: WEIGHTS_SEED }).bytes;
    expect(same(a, b)).toBe(true);
  }, 120_000);

  it("refuses stored bytes that do not fit the missing tensors", async () => {
    const { drawn } = await withGeneratedWeightsInSteps(weightless, WEIGHTS_SEED, pause);
    const stored = Buffer.concat([...drawn]);
    await expect(
      withGeneratedWeightsInSteps(weightless, WEIGHTS_SEED, pause, stored.subarray(0, stored.length - 4)),
    ).rejects.toThrow(/shorter/);
    await expect(
      withGeneratedWeightsInSteps(
        weightless,
        WEIGHTS_SEED,
        pause,
        Buffer.concat([stored, new Uint8Array(4)]),
      ),
    ).rejects.toThrow(/longer/);
  }, 120_000);

  it("keys the generation by what it draws: same model and seed alike, another seed or model not", () => {
    const key = generationKey(weightless, WEIGHTS_SEED);
    expect(key).not.toBeNull();
    expect(generationKey(readOnnx(readFileSync(resolve(MODELS, "resnet18.onnx")), {}), WEIGHTS_SEED)).toBe(
      key,
    );
    expect(generationKey(weightless, WEIGHTS_SEED + 1)).not.toBe(key);
    const densenet = readOnnx(readFileSync(resolve(MODELS, "densenet121.onnx")), {
      externalExists: () => false,
    });
    expect(generationKey(densenet, WEIGHTS_SEED)).not.toBe(key);
    // A file with all its weights draws nothing.
    expect(generationKey(readOnnx(file), WEIGHTS_SEED)).toBeNull();
  });
});
