/**
 * Code PyTorch itself refuses gets an error and no numbers (never a model PyTorch cannot build),
 * and what it accepts keeps its numbers. Each fixture in test/fixtures/python/raises was run with
 * Debian's torch 1.13 (`/usr/bin/python3 FILE.py`); PyTorch's result is quoted at each test.
 * Found by the pytorch-cifar corpus (ShuffleNet's `out_planes/4`, ResNeXt's `if m.bias:`).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const DIR = resolve(__dirname, "../../fixtures/python/raises");

function analyseModel(file: string) {
  const fileName = resolve(DIR, file);
  const result = analyzePythonSource(readFileSync(fileName, "utf8"), { fileName });
  const model = result.classes.find((c) => c.name === "model");
  expect(model, "a module-level `model` entry").toBeDefined();
  return model;
}

describe("what PyTorch raises is an error, not numbers", () => {
  it("a float channel count (Python 3 division): TypeError in torch.empty", () => {
    // PyTorch: TypeError: empty() received an invalid combination of arguments - got (tuple, ...)
    const model = analyseModel("float_channels.py");
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toContain("PyTorch raises TypeError: nn.Conv2d's out_channels is 50.0");
    expect(model?.diagnostics.map((d) => d.severity)).toEqual(["error"]);
  });

  it("`if m.bias:` on a Linear's bias in a self.modules() init loop: RuntimeError", () => {
    // PyTorch: RuntimeError: Boolean value of Tensor with more than one value is ambiguous
    const model = analyseModel("bias_truth.py");
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toContain(
      "Boolean value of Tensor with more than one value is ambiguous (a [10] tensor)",
    );
    expect(model?.diagnostics.map((d) => d.severity)).toEqual(["error"]);
  });

  it("inside try: the except clause may catch it: unknown with its reason, no error of the model", () => {
    // PyTorch: prints [1, 10] (the RuntimeError is caught; we do not follow except clauses)
    const model = analyseModel("caught.py");
    expect(model?.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(model?.error).toContain("a try: block raises (its except clauses are not followed)");
  });
});

describe("float dict keys", () => {
  it("configs[1.5] finds the 1.5 entry (ShuffleNetV2's net_size)", () => {
    // PyTorch: prints [1, 96, 8, 8] 42912
    const model = analyseModel("float_keys.py");
    expect(model?.analysis?.outputs[0]?.shape).toEqual([1, 96, 8, 8]);
    expect(model?.analysis?.totals.params).toBe(42912);
  });
});

describe("attribute access spelled out", () => {
  it("self.__setattr__('level_%d' % i, m) and self.__getattr__(name) (DLA's Tree)", () => {
    // PyTorch: prints [1, 8, 16, 16] 1168
    const fileName = resolve(DIR, "../spelled/setattr_levels.py");
    const result = analyzePythonSource(readFileSync(fileName, "utf8"), { fileName });
    const model = result.classes.find((c) => c.name === "model");
    expect(model?.analysis?.outputs[0]?.shape).toEqual([1, 8, 16, 16]);
    expect(model?.analysis?.totals.params).toBe(1168);
  });
});
