/**
 * `if a and b` / `if a or b` where `a` cannot be decided from the source but `b` decides the
 * whole (DCGAN's `if input.is_cuda and self.ngpu > 1`, found by the pytorch-examples corpus).
 * Each fixture in test/fixtures/python/conditions was run with Debian's torch 1.13
 * (`/usr/bin/python3 FILE.py`); PyTorch's result is quoted at each test.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const DIR = resolve(__dirname, "../../fixtures/python/conditions");

function analyseModel(file: string) {
  const fileName = resolve(DIR, file);
  const result = analyzePythonSource(readFileSync(fileName, "utf8"), { fileName });
  return result.classes.find((c) => c.name === "model");
}

describe("a condition decided by a later operand", () => {
  it("`input.is_cuda and self.ngpu > 1` with ngpu 1 is false", () => {
    // PyTorch: prints [1, 8, 30, 30] 672
    const model = analyseModel("and_decided_later.py");
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.outputs[0]?.shape).toEqual([1, 8, 30, 30]);
    expect(model?.analysis?.totals.params).toBe(672);
  });

  it("`x.is_cuda or self.always` with always True is true", () => {
    // PyTorch: prints [1, 8, 14, 14] 224
    const model = analyseModel("or_decided_later.py");
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.outputs[0]?.shape).toEqual([1, 8, 14, 14]);
    expect(model?.analysis?.totals.params).toBe(224);
  });

  it("a several-value tensor first still raises, whatever follows", () => {
    // PyTorch: RuntimeError: Boolean value of Tensor with more than one value is ambiguous
    const model = analyseModel("and_raises_first.py");
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toContain("Boolean value of Tensor with more than one value is ambiguous");
  });
});

describe("a module-level statement that cannot be followed", () => {
  it("the names it sets are unknown with its reason, not undefined", () => {
    // PyTorch: `--dataset mnist` prints [1, 8, 30, 30] 80, `--dataset cifar10` [1, 8, 30, 30] 224,
    // no argument: "error: the following arguments are required: --dataset"
    const fileName = resolve(DIR, "required_argument.py");
    const result = analyzePythonSource(readFileSync(fileName, "utf8"), { fileName });
    const net = result.classes.find((c) => c.name === "Net");
    expect(net?.analysis).toBeUndefined();
    expect(net?.error).toContain(
      "in_channels is unknown (set by line 10, which cannot be followed: cannot decide `if opt.dataset == 'mnist'`",
    );
  });
});
