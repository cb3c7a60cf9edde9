import { describe, expect, it } from "vitest";
import { modulePathOf } from "../../src/core/analysis/modulePath";

describe("module paths from PyTorch node names", () => {
  it.each([
    ["/conv1/Conv", "conv1"],
    ["/layer1/layer1.0/conv1/Conv", "layer1.0.conv1"],
    ["/layer2/layer2.0/downsample/downsample.0/Conv", "layer2.0.downsample.0"],
    ["/features/features.0/Conv", "features.0"],
    ["/features/denseblock1/denselayer1/conv1/Conv", "features.denseblock1.denselayer1.conv1"],
    ["/inception3a/branch2/branch2.0/conv/Conv", "inception3a.branch2.0.conv"],
  ])("%s → %s", (name, path) => {
    expect(modulePathOf(name).path).toBe(path);
  });

  it("folds a repeated call (relu_1) onto the module", () => {
    const known = new Set(["layer1.0.relu"]);
    expect(modulePathOf("/layer1/layer1.0/relu_1/Relu", known).path).toBe("layer1.0.relu");
    expect(modulePathOf("/layer1/layer1.0/relu_1/Relu").path).toBe("layer1.0.relu_1");
  });

  it("gives the enclosing groups", () => {
    expect(modulePathOf("/layer1/layer1.0/conv1/Conv").groups).toEqual([
      "layer1",
      "layer1.0",
      "layer1.0.conv1",
    ]);
  });

  it("has no path for unscoped names", () => {
    expect(modulePathOf("Identity_3").path).toBeNull();
    expect(modulePathOf("/Flatten").path).toBeNull();
  });
});
