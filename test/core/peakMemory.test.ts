/**
 * Peak activation memory (totals.peakActivationBytes) on hand-made graphs, checked against sums done by hand:
 * a value a node reads twice dies once (it was freed twice, which lowered every later peak).
 */
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import type { Model, Node } from "../../src/core/ir/types";

function chain(nodes: Node[]): Model {
  return {
    format: "onnx",
    graph: {
      name: "g",
      nodes,
      inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }],
      outputs: [{ name: nodes[nodes.length - 1]?.outputs[0] ?? "", dtype: "float32", shape: undefined }],
      initializers: new Map(),
      valueInfo: new Map(),
    },
    opsets: { "": 17 },
    producer: "test",
    irVersion: 8,
    weightless: false,
  };
}

const node = (name: string, opType: string, inputs: string[], output: string, attrs = {}): Node => ({
  name,
  opType,
  domain: "",
  inputs,
  outputs: [output],
  attrs,
});

describe("peak activation bytes", () => {
  it("frees a value read twice by one node once", () => {
    // x [1,4] f32 = 16 B; y = x + x (16 B); w = concat(y, y) along 1 (32 B).
    // Step 0: x + y = 32 live, x dies → 16. Step 1: + w = 48 (the peak), y dies → 32.
    const m = chain([
      node("add", "Add", ["x", "x"], "y"),
      node("cat", "Concat", ["y", "y"], "w", { axis: 1 }),
    ]);
    const a = analyzeModel(m, { modelName: "twice" });
    expect(a.layers.map((l) => l.outputs[0]?.shape)).toEqual([
      [1, 4],
      [1, 8],
    ]);
    expect(a.totals.peakActivationBytes).toBe(48);
  });

  it("keeps graph outputs live to the end", () => {
    // y = relu(x) is a graph output here only through z's chain: x 16, y 16, z 16; x dies after step 0.
    // Step 0: 32 → 16. Step 1: + z = 32 (peak 32), y dies → 16.
    const m = chain([node("r1", "Relu", ["x"], "y"), node("r2", "Relu", ["y"], "z")]);
    expect(analyzeModel(m, { modelName: "relu" }).totals.peakActivationBytes).toBe(32);
  });
});
