/**
 * F.affine_grid and F.grid_sample (the spatial transformer of pytorch/tutorials, found by the
 * pytorch-examples corpus). test/fixtures/python/sampling/stn.py was run with Debian's torch
 * 1.13 (`/usr/bin/python3 stn.py`); PyTorch's result is quoted at the test.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import type { Model } from "../../../src/core/ir/types";
import { buildRunnable } from "../../../src/core/onnx/runnable";

describe("F.affine_grid and F.grid_sample", () => {
  it("sample the input on a grid of another size", () => {
    // PyTorch: prints [1, 8, 18, 22] 214
    const fileName = resolve(__dirname, "../../fixtures/python/sampling/stn.py");
    const result = analyzePythonSource(readFileSync(fileName, "utf8"), { fileName });
    const model = result.classes.find((c) => c.name === "model");
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.outputs[0]?.shape).toEqual([1, 8, 18, 22]);
    expect(model?.analysis?.totals.params).toBe(214);
    const ops = model?.model?.graph.nodes.map((n) => n.opType) ?? [];
    expect(ops).toContain("AffineGrid");
    expect(ops).toContain("GridSample");
    // AffineGrid is opset 20, the runtime runs the reader's opset 17: refused in one line.
    if (!model?.model) throw new Error("no model");
    expect(() => buildRunnable(model.model as Model)).toThrow(
      /^Cannot run: layer "[^"]*" \(AffineGrid\) needs ONNX opset 20; the runtime runs opset 17/,
    );
  });
});
