/**
 * Constant folding of shape arithmetic feeds Reshape targets; a fold that differs from the ONNX
 * spec would be a silent wrong shape. Expected values: the ONNX spec (Mod with fmod = 0 takes the
 * divisor's sign, numpy.mod(-4, 6) = 2; Cast to int64 truncates, int(2.7) = 2).
 */
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import type { Node, Tensor } from "../../src/core/ir/types";
import { opset18Model } from "../support/generatedModel";

const tensor = (name: string, dtype: Tensor["dtype"], values: number[]): Tensor => ({
  name,
  dtype,
  dims: [values.length],
  storage: { kind: "typed", values },
});

const node = (opType: string, inputs: string[], output: string, attrs: Node["attrs"] = {}): Node => ({
  name: output,
  opType,
  domain: "",
  inputs,
  outputs: [output],
  attrs,
});

function reshapeBy(nodes: Node[], inits: Tensor[], input: number[]): readonly (number | string)[] | null {
  const model = opset18Model([...nodes, node("Reshape", ["x", "t"], "y")], inits, input, ["y"]);
  return analyzeModel(model, { modelName: "g" }).outputs[0]?.shape ?? null;
}

describe("folded shape arithmetic", () => {
  it("Mod (fmod 0) of a negative value takes the divisor's sign", () => {
    const mod = node("Mod", ["a", "b"], "t");
    expect(reshapeBy([mod], [tensor("a", "int64", [-4, 9]), tensor("b", "int64", [6, 6])], [2, 3])).toEqual([
      2, 3,
    ]);
  });

  it("Mod with fmod 1 is not folded: the target is a run-time value, the shape symbolic", () => {
    const mod = node("Mod", ["a", "b"], "t", { fmod: 1 });
    const shape = reshapeBy([mod], [tensor("a", "int64", [8, 9]), tensor("b", "int64", [6, 6])], [2, 3]);
    expect(shape).toHaveLength(2);
    expect(shape?.every((d) => typeof d === "string")).toBe(true);
  });

  it("Cast to int64 truncates; Neg negates; Abs", () => {
    const nodes: Node[] = [
      node("Cast", ["f"], "i", { to: 7 }),
      node("Neg", ["i"], "ni"),
      node("Abs", ["ni"], "t"),
    ];
    expect(reshapeBy(nodes, [tensor("f", "float32", [2.7, 3.2])], [2, 3])).toEqual([2, 3]);
  });

  it("an op without a known fold (Sigmoid) gives no value: the target is symbolic, not the input's values", () => {
    const nodes: Node[] = [node("Sigmoid", ["v"], "t")];
    const shape = reshapeBy(nodes, [tensor("v", "int64", [2, 3])], [2, 3]);
    expect(shape?.every((d) => typeof d === "string")).toBe(true);
  });
});
