/**
 * Constant folding of shape arithmetic feeds Reshape targets; a fold that differs from the ONNX
 * spec would be a silent wrong shape. Expected values: the ONNX spec (Mod with fmod = 0 takes the
 * divisor's sign, numpy.mod(-4, 6) = 2; Cast to int64 truncates, int(2.7) = 2).
 */
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import type { Model, Node, Tensor } from "../../src/core/ir/types";

const tensor = (name: string, dtype: Tensor["dtype"], values: number[]): Tensor => ({
  name,
  dtype,
  dims: [values.length],
  storage: { kind: "typed", values },
});

function reshapeBy(nodes: Node[], inits: Tensor[], input: number[]): readonly (number | string)[] | null {
  const model: Model = {
    format: "onnx",
    graph: {
      name: "g",
      nodes: [
        ...nodes,
        { name: "r", opType: "Reshape", domain: "", inputs: ["x", "t"], outputs: ["y"], attrs: {} },
      ],
      inputs: [{ name: "x", dtype: "float32", shape: input }],
      outputs: [{ name: "y", dtype: "float32", shape: undefined }],
      initializers: new Map(inits.map((t) => [t.name, t])),
      valueInfo: new Map(),
    },
    opsets: { "": 18 },
    producer: "test",
    irVersion: 8,
    weightless: false,
  };
  return analyzeModel(model, { modelName: "g" }).outputs[0]?.shape ?? null;
}

describe("folded shape arithmetic", () => {
  it("Mod (fmod 0) of a negative value takes the divisor's sign", () => {
    const mod: Node = { name: "m", opType: "Mod", domain: "", inputs: ["a", "b"], outputs: ["t"], attrs: {} };
    expect(reshapeBy([mod], [tensor("a", "int64", [-4, 9]), tensor("b", "int64", [6, 6])], [2, 3])).toEqual([
      2, 3,
    ]);
  });

  it("Mod with fmod 1 is not folded: the target is a run-time value, the shape symbolic", () => {
    const mod: Node = {
      name: "m",
      opType: "Mod",
      domain: "",
      inputs: ["a", "b"],
      outputs: ["t"],
      attrs: { fmod: 1 },
    };
    const shape = reshapeBy([mod], [tensor("a", "int64", [8, 9]), tensor("b", "int64", [6, 6])], [2, 3]);
    expect(shape).toHaveLength(2);
    expect(shape?.every((d) => typeof d === "string")).toBe(true);
  });

  it("Cast to int64 truncates; Neg negates; Abs", () => {
    const nodes: Node[] = [
      { name: "c", opType: "Cast", domain: "", inputs: ["f"], outputs: ["i"], attrs: { to: 7 } },
      { name: "n", opType: "Neg", domain: "", inputs: ["i"], outputs: ["ni"], attrs: {} },
      { name: "a", opType: "Abs", domain: "", inputs: ["ni"], outputs: ["t"], attrs: {} },
    ];
    expect(reshapeBy(nodes, [tensor("f", "float32", [2.7, 3.2])], [2, 3])).toEqual([2, 3]);
  });

  it("an op without a known fold (Sigmoid) gives no value: the target is symbolic, not the input's values", () => {
    const nodes: Node[] = [
      { name: "s", opType: "Sigmoid", domain: "", inputs: ["v"], outputs: ["t"], attrs: {} },
    ];
    const shape = reshapeBy(nodes, [tensor("v", "int64", [2, 3])], [2, 3]);
    expect(shape?.every((d) => typeof d === "string")).toBe(true);
  });
});
