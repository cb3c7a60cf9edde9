/** The hover's output-size formula, with the numbers of real layers from the traced source. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import { layerMarkdown, windowFormula } from "../../../src/host/layerText";

const src = readFileSync(resolve(__dirname, "../../fixtures/python/torchvision_style.py"), "utf8");
const resnet = analyzePythonSource(src, { fileName: "tv.py" }).classes.find(
  (c) => c.name === "ResNet18",
)?.analysis;

describe("layer text", () => {
  it("writes PyTorch's Conv2d output formula with the layer's numbers", () => {
    const conv1 = resnet?.layers.find((l) => l.name === "conv1");
    expect(conv1 && windowFormula(conv1)).toEqual([
      "H_out = ⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112",
      "W_out = ⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112",
    ]);
  });

  it("describes a layer with shapes, params, MACs and receptive field", () => {
    const rows = resnet?.layers.filter((l) => l.name === "layer4.1.conv2") ?? [];
    const md = layerMarkdown(rows);
    expect(md).toContain("**Conv2d** `layer4.1.conv2` · 1×512×7×7 → 1×512×7×7");
    expect(md).toContain("params 2,359,296");
    expect(md).toContain("RF 435×435 · stride 32×32 · start -217,-217");
  });
});
