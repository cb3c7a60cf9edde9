/**
 * Constant folding of shape arithmetic feeds Reshape targets; a fold that differs from the ONNX
 * spec would be a silent wrong shape. Expected values: the ONNX spec (Mod with fmod = 0 takes the
 * divisor's sign, numpy.mod(-4, 6) = 2; Cast to int64 truncates, int(2.7) = 2).
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { writeOnnx } from "../../src/core/onnx/writer";
import type { Node, Tensor } from "../../src/core/ir/types";
import { node, opset18Model, tensor } from "../support/generatedModel";

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

  it("Div of floats keeps the fraction (3.0 / 2.0 = 1.5); of integers it truncates", () => {
    const floats: Node[] = [
      node("Div", ["f", "g"], "q"), // [1.5, 3.0]
      node("Mul", ["q", "two"], "m"), // [3.0, 3.0]
      node("Cast", ["m"], "t", { to: 7 }),
    ];
    const inits = [
      tensor("f", "float32", [3, 9]),
      tensor("g", "float32", [2, 3]),
      tensor("two", "float32", [2, 1]),
    ];
    expect(reshapeBy(floats, inits, [3, 3])).toEqual([3, 3]);
    const ints = [node("Div", ["a", "b"], "t")]; // [7 / 2, 9 / 3] = [3, 3]
    expect(reshapeBy(ints, [tensor("a", "int64", [7, 9]), tensor("b", "int64", [2, 3])], [3, 3])).toEqual([
      3, 3,
    ]);
  });

  it("an op without a known fold (Sigmoid) gives no value: the target is symbolic, not the input's values", () => {
    const nodes: Node[] = [node("Sigmoid", ["v"], "t")];
    const shape = reshapeBy(nodes, [tensor("v", "int64", [2, 3])], [2, 3]);
    expect(shape?.every((d) => typeof d === "string")).toBe(true);
  });

  // Exported detection / attention heads pick a target with comparisons of a Shape: onnxruntime runs
  // the same graph and gives the Reshape's actual output shape.
  it("And / Or / Xor / Not / comparisons / Where of a Shape fold to the shape onnxruntime gives", async () => {
    const input = [2, 3, 4];
    const nodes: Node[] = [
      node("Shape", ["x"], "s"), // [2, 3, 4]
      node("Equal", ["s", "e"], "eq"), // e = [2, 5, 4] → [1, 0, 1]
      node("Less", ["s", "three"], "lt"), // → [1, 0, 0]
      node("GreaterOrEqual", ["s", "three"], "ge"), // → [0, 1, 1]
      node("LessOrEqual", ["s", "three"], "le"), // → [1, 1, 0]
      node("Greater", ["s", "three"], "gt"), // → [0, 0, 1]
      node("Not", ["lt"], "nlt"), // → [0, 1, 1]
      node("And", ["eq", "nlt"], "a"), // → [0, 0, 1]
      node("Or", ["a", "le"], "o"), // → [1, 1, 1]
      node("Xor", ["o", "gt"], "xo"), // → [1, 1, 0]
      node("Where", ["xo", "alt", "s"], "t"), // → [6, 1, 4]
    ];
    const inits = [
      tensor("e", "int64", [2, 5, 4]),
      tensor("three", "int64", [3, 3, 3]),
      tensor("alt", "int64", [6, 1, 9]),
    ];
    const bytes = writeOnnx(opset18Model([...nodes, node("Reshape", ["x", "t"], "y")], inits, input, ["y"]));
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", new Float32Array(24), input);
    const expected = (await session.run({ x }))["y"]?.dims;
    await session.release();
    const got = analyzeModel(readOnnx(bytes), { modelName: "g" }).outputs[0]?.shape;
    expect(got).toEqual([...(expected ?? [])]);
    expect(got?.every((d) => typeof d === "number")).toBe(true);
  });
});
