/**
 * The backward rules channels-last models need (core/onnx/backwardRules.ts): Transpose (the inverse
 * permutation), MatMul by a weight (Keras Dense), ReduceMean (TFLite's MEAN, Keras's global pooling; axes an
 * attribute to opset 17, an input from 18), constant Pad, HardSwish, and a class logit taken before the
 * model's final Softmax. The saliency of a small NHWC graph using all of them equals finite differences of
 * the logit, pixel by pixel.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { Model } from "../../src/core/ir/types";
import { buildInputGradient } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { node, opset18Model, tensor } from "../support/generatedModel";

const SHAPE = [1, 2, 4, 4];

/** x (NCHW) → NHWC → zero padding → HardSwish → mean over (H, W) → Dense (MatMul + bias) → Softmax. */
function model(opset: 17 | 18): Model {
  const mean = opset === 18 ? node("ReduceMean", ["hs", "axes"], "mean", { keepdims: 0 }) : undefined;
  const m = opset18Model(
    [
      node("Transpose", ["x"], "nhwc", { perm: [0, 2, 3, 1] }),
      node("Pad", ["nhwc", "pads"], "pad"),
      node("HardSwish", ["pad"], "hs"),
      mean ?? node("ReduceMean", ["hs"], "mean", { axes: [1, 2], keepdims: 0 }),
      node("MatMul", ["mean", "w"], "dense"),
      node("Add", ["dense", "b"], "logits"),
      node("Softmax", ["logits"], "softmax", { axis: -1 }),
    ],
    [
      tensor("w", "float32", [0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]),
      tensor("b", "float32", [0.1, 0.2, 0.3]),
      tensor("pads", "int64", [0, 1, 2, 0, 0, 0, 1, 0]),
      tensor("axes", "int64", [1, 2]),
    ],
    SHAPE,
    ["softmax"],
  );
  return { ...m, opsets: { "": opset } };
}

describe("backward rules of channels-last graphs", () => {
  it.each([17, 18] as const)(
    "opset %i: saliency of the logit before Softmax = finite differences",
    async (opset) => {
      const m = model(opset);
      const n = SHAPE.reduce((a, b) => a * b, 1);
      // Values over every piece of HardSwish (below −3, between, above 3), none within h of a kink.
      const x = Float32Array.from({ length: n }, (_, i) => -5.3 + (10.6 * i) / (n - 1));
      const g = buildInputGradient(m, "saliency", { kind: "class", index: 1 });
      const session = await ort.InferenceSession.create(buildRunnable(g.model).bytes);
      const grad = (await session.run({ x: new ort.Tensor("float32", x, SHAPE) }, [g.output]))[g.output]!
        .data as Float32Array;
      const fwd = await ort.InferenceSession.create(buildRunnable(m, { extraOutputs: ["logits"] }).bytes);
      const logit = async (v: Float32Array) =>
        (
          (await fwd.run({ x: new ort.Tensor("float32", v, SHAPE) }, ["logits"]))["logits"]!
            .data as Float32Array
        )[1]!;
      const h = 1e-2;
      for (let p = 0; p < n; p++) {
        const up = Float32Array.from(x);
        const down = Float32Array.from(x);
        up[p]! += h;
        down[p]! -= h;
        const numeric = ((await logit(up)) - (await logit(down))) / (2 * h);
        expect(grad[p]!, `pixel ${p} (x = ${x[p]})`).toBeCloseTo(numeric, 3);
      }
      // Every piece is exercised: zero below −3, the mean's weight above 3.
      expect(Math.abs(grad[0]!)).toBe(0);
      expect(Math.abs(grad[n - 1]!)).toBeGreaterThan(0);
    },
  );

  it("a MatMul by a fed matrix has no rule (it is not differentiated as if by a weight)", () => {
    const m = model(17);
    const nodes = m.graph.nodes.map((nd) => (nd.opType === "MatMul" ? { ...nd, inputs: ["mean", "v"] } : nd));
    const inputs = [...m.graph.inputs, { name: "v", dtype: "float32" as const, shape: [2, 3] }];
    expect(() =>
      buildInputGradient({ ...m, graph: { ...m.graph, nodes, inputs } }, "saliency", {
        kind: "class",
        index: 1,
      }),
    ).toThrow(/MatMul of two activations/);
  });
});
