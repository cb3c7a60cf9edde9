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
import { buildRunnable, withGeneratedWeights, WEIGHTS_SEED } from "../../src/core/onnx/runnable";

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
