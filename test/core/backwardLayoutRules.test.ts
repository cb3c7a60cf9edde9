/**
 * The backward rules channels-last models need (core/onnx/backwardRules.ts): Transpose (the inverse
 * permutation), MatMul by a weight (Keras Dense), ReduceMean (TFLite's MEAN, Keras's global pooling),
 * constant Pad, HardSwish, and a class logit taken before the model's final Softmax. The saliency of a
 * small NHWC graph using all of them equals finite differences of the logit, pixel by pixel.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { Model, Node, Tensor } from "../../src/core/ir/types";
import { buildInputGradient } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";

const SHAPE = [1, 2, 4, 4];

const node = (opType: string, inputs: string[], attrs: Node["attrs"] = {}): Node => ({
  name: opType,
  opType,
  domain: "",
  inputs,
  outputs: [opType.toLowerCase()],
  attrs,
});

function floats(name: string, dims: number[], values: number[]): Tensor {
  return {
    name,
    dtype: "float32",
    dims,
    storage: { kind: "inline", bytes: new Uint8Array(Float32Array.from(values).buffer) },
  };
}

/** x (NCHW) → NHWC → zero padding → HardSwish → mean over (H, W) → Dense (MatMul + bias) → Softmax. */
function model(): Model {
  const w = floats("w", [2, 3], [0.5, -1, 2, 1.5, 0.25, -0.75]);
  const b = floats("b", [3], [0.1, 0.2, 0.3]);
  const pads: Tensor = {
    name: "pads",
    dtype: "int64",
    dims: [8],
    storage: {
      kind: "inline",
      bytes: new Uint8Array(BigInt64Array.from([0n, 1n, 2n, 0n, 0n, 0n, 1n, 0n]).buffer),
    },
  };
  return {
    format: "test",
    producer: "test",
    irVersion: 8,
    weightless: false,
    opsets: { "": 17 },
    graph: {
      name: "g",
      inputs: [{ name: "x", dtype: "float32", shape: SHAPE }],
      outputs: [{ name: "softmax", dtype: "float32", shape: [1, 3] }],
      valueInfo: new Map(),
      initializers: new Map([
        ["w", w],
        ["b", b],
        ["pads", pads],
      ]),
      nodes: [
        node("Transpose", ["x"], { perm: [0, 2, 3, 1] }),
        node("Pad", ["transpose", "pads"]),
        node("HardSwish", ["pad"]),
        node("ReduceMean", ["hardswish"], { axes: [1, 2], keepdims: 0 }),
        node("MatMul", ["reducemean", "w"]),
        node("Add", ["matmul", "b"]),
        node("Softmax", ["add"], { axis: -1 }),
      ],
    },
  };
}

describe("backward rules of channels-last graphs", () => {
  it("saliency of the logit before Softmax = finite differences", async () => {
    const m = model();
    const n = SHAPE.reduce((a, b) => a * b, 1);
    // Values over every piece of HardSwish (below −3, between, above 3), none within h of a kink.
    const x = Float32Array.from({ length: n }, (_, i) => -5.3 + (10.6 * i) / (n - 1));
    const g = buildInputGradient(m, "saliency", { kind: "class", index: 1 });
    const grad = (
      await ort.InferenceSession.create(buildRunnable(g.model).bytes).then((s) =>
        s.run({ x: new ort.Tensor("float32", x, SHAPE) }, [g.output]),
      )
    )[g.output]!.data as Float32Array;
    const fwd = await ort.InferenceSession.create(buildRunnable(m, { extraOutputs: ["add"] }).bytes);
    const logit = async (v: Float32Array) =>
      ((await fwd.run({ x: new ort.Tensor("float32", v, SHAPE) }, ["add"]))["add"]!.data as Float32Array)[1]!;
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
  });

  it("a MatMul by a fed matrix has no rule (it is not differentiated as if by a weight)", () => {
    const m = model();
    const nodes = m.graph.nodes.map((nd) =>
      nd.opType === "MatMul" ? { ...nd, inputs: ["reducemean", "v"] } : nd,
    );
    const inputs = [...m.graph.inputs, { name: "v", dtype: "float32" as const, shape: [2, 3] }];
    expect(() =>
      buildInputGradient({ ...m, graph: { ...m.graph, nodes, inputs } }, "saliency", {
        kind: "class",
        index: 1,
      }),
    ).toThrow(/MatMul of two activations/);
  });
});
