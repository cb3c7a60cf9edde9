/**
 * Sequence ops (SplitToSequence, SequenceConstruct / Insert / Erase / At / Length,
 * ConcatFromSequence) in one graph, with onnxruntime running it as the oracle for every output's
 * shape; a position only known at run time gives the right rank and named symbols.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { writeOnnx } from "../../src/core/onnx/writer";
import { node, opset18Model, tensor } from "../support/generatedModel";

const OUTPUTS = ["a", "rf", "c", "st", "ea", "cc", "dyn"];

const ints = (name: string, values: number[], dims?: number[]) => tensor(name, "int64", values, dims);

const model = opset18Model(
  [
    node("SplitToSequence", ["x"], "s1", { axis: 1 }), // 6 × [2,1,4]
    node("SplitToSequence", ["x", "parts"], "s2", { axis: 1 }), // [2,1,4] [2,2,4] [2,3,4]
    node("SequenceAt", ["s2", "last"], "a"),
    node("SequenceInsert", ["s2", "x", "zero"], "s3"),
    node("SequenceLength", ["s3"], "n"),
    node("Range", ["zero", "n", "one"], "r"),
    node("Cast", ["r"], "rf", { to: 1 }),
    node("ConcatFromSequence", ["s2"], "c", { axis: 1 }),
    node("ConcatFromSequence", ["s1"], "st", { axis: 1, new_axis: 1 }),
    node("SequenceErase", ["s3"], "e"),
    node("SequenceAt", ["e", "last"], "ea"),
    node("SequenceConstruct", ["a", "a"], "sc"),
    node("ConcatFromSequence", ["sc"], "cc", { axis: 0 }),
    node("SequenceAt", ["s2", "pos"], "dyn"),
  ],
  [ints("parts", [1, 2, 3]), ints("last", [-1], []), ints("zero", [0], []), ints("one", [1], [])],
  [2, 6, 4],
  OUTPUTS,
  [{ name: "pos", dtype: "int64", shape: [] }],
);

describe("sequence ops", () => {
  it("give onnxruntime's shapes; a run-time position keeps the rank with symbols", async () => {
    const bytes = writeOnnx(model);
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", new Float32Array(48), [2, 6, 4]);
    const got = await session.run({ x, pos: new ort.Tensor("int64", BigInt64Array.from([1n]), []) });
    await session.release();
    const expected = OUTPUTS.map((n) => [...(got[n]?.dims ?? [])]);
    const a = analyzeModel(readOnnx(bytes), { modelName: "seq" });
    const shapes = a.outputs.map((o) => o.shape);
    // Every output but the last is determined by the model: exact.
    expect(shapes.slice(0, -1)).toEqual(expected.slice(0, -1));
    const dyn = shapes.at(-1);
    expect(dyn).toHaveLength(3);
    expect([dyn?.[0], dyn?.[2]]).toEqual([expected.at(-1)?.[0], expected.at(-1)?.[2]]);
    expect(typeof dyn?.[1]).toBe("string");
    expect(a.layers.at(-1)?.warnings.join("\n")).toContain(
      "SequenceAt position (pos) is only known at run time",
    );
    expect(a.layers.flatMap((l) => l.warnings).filter((w) => /error/.test(w))).toEqual([]);
  });
});
