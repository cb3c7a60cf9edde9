/**
 * Attention ops without a cost rule must not count 0 MACs (a silently low total): their MACs are unknown,
 * with the reason on the node. Models from the ONNX project's node tests.
 */
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { loadNodeCases } from "../support/onnxNodeCases";

const { models } = loadNodeCases();

describe("ops without a cost rule", () => {
  it.each(["test_flexattention", "test_linear_attention_decode_step"])(
    "%s: MACs unknown with the reason, the total not a number",
    (name) => {
      const a = analyzeModel(readOnnx(Buffer.from(models[name] ?? "", "base64")), { modelName: name });
      const layer = a.layers.find((l) => /Attention$/.test(l.opType));
      expect(layer?.macs).toBeNull();
      expect(layer?.warnings.join("\n")).toMatch(/MACs unknown: \w+Attention has no cost rule/);
      expect(a.totals.macs).toBeNull();
    },
  );
});
