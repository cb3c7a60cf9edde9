/**
 * The CLI finds `<model>.safetensors`, `.pth` or `.pt` beside a model without weights (here LeNet5
 * traced from source and written as a weightless ONNX file), in that order.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runModel } from "../../../../src/cli/run";
import { readModelForRun } from "../../../../src/cli/modelFile";
import { analyzePythonSource } from "../../../../src/core/formats/python/pythonModel";
import type { Model } from "../../../../src/core/ir/types";
import { writeOnnx } from "../../../../src/core/onnx/writer";

const W = resolve(__dirname, "../../../fixtures/weights");
const SAFE = resolve(__dirname, "../../../fixtures/python/lenet5.safetensors");
const source = readFileSync(
  resolve(__dirname, "../../../../../shared/fixtures/definitions/custom_models.py"),
  "utf8",
);
const lenet = analyzePythonSource(source, { fileName: "custom_models.py" }).classes.find(
  (c) => c.name === "LeNet5",
)?.model as Model;

let dir = "";
let onnx = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convlens-pth-"));
  onnx = join(dir, "lenet5.onnx");
  writeFileSync(onnx, writeOnnx(lenet));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const inline = (m: Model, name: string): number[] => {
  const s = m.graph.initializers.get(name)?.storage;
  return s?.kind === "inline" ? Array.from(s.bytes) : [];
};

describe("weights beside a model file (CLI)", () => {
  it("runs on random weights without one, on the .pth weights with one", async () => {
    expect((await runModel(onnx, "noise", "unit")).randomWeights).toBe(true);
    copyFileSync(resolve(W, "lenet5_fp16.pth"), join(dir, "lenet5.pth"));
    expect((await runModel(onnx, "noise", "unit")).randomWeights).toBe(false);
  });

  it("prefers .safetensors over .pth over .pt", async () => {
    const model = async () => (await readModelForRun(onnx)).model;
    copyFileSync(resolve(W, "whole_model.pth"), join(dir, "lenet5.pt"));
    await expect(model()).rejects.toThrow(/lenet5\.pt: .*torch\.save\(model\.state_dict\(\), path\)/);
    copyFileSync(resolve(W, "lenet5_fp16.pth"), join(dir, "lenet5.pth"));
    const fromPth = inline(await model(), "c1.weight");
    expect(fromPth).toHaveLength(150 * 4);
    copyFileSync(SAFE, join(dir, "lenet5.safetensors"));
    const fromSafe = inline(await model(), "c1.weight");
    expect(fromSafe).toHaveLength(150 * 4);
    expect(fromSafe).not.toEqual(fromPth); // float32 weights, not their float16 rounding
  });
});
