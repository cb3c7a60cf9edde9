/**
 * The MaxPool backward rule against PyTorch autograd (test/fixtures/maxpool/maxpool_grad.json,
 * from tools/make_maxpool_refs.py): overlapping, padded (asymmetric too), ceil_mode, dilated,
 * 1-D and 3-D pools, with ties (all-zero windows after a ReLU) going to the first maximum in
 * row-major window order. Each case is X → MaxPool → Flatten → Gemm whose weights are dY, so the
 * class-0 saliency is exactly the pool's dX. Runs on onnxruntime-web's wasm backend; the graph
 * keeps to ops its WebGPU EP implements (tools/gpu/gpuBench.ts runs them there).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import type { Model } from "../../src/core/ir/types";
import { buildInputGradient } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { gradientProbe } from "../support/gradientProbe";

ort.env.wasm.numThreads = 1;

interface Case {
  name: string;
  attrs: Record<string, number | number[]>;
  x_shape: number[];
  y_shape: number[];
  x: number[];
  dy: number[];
  dx: number[];
}

const { cases } = JSON.parse(
  readFileSync(resolve(__dirname, "../fixtures/maxpool/maxpool_grad.json"), "utf8"),
) as { cases: Case[] };

/**
 * Ops onnxruntime-web 1.30's WebGPU EP has kernels for (js/web/docs/webgpu-operators.md), of those the rule
 * may use.
 */
const WEBGPU_OPS = new Set([
  "Pad",
  "Reshape",
  "Slice",
  "Concat",
  "Equal",
  "Cast",
  "CumSum",
  "Sub",
  "Relu",
  "Mul",
  "ConvTranspose",
]);

function poolModel(c: Case): Model {
  return gradientProbe({ name: c.name, opType: "MaxPool", attrs: c.attrs, xShape: c.x_shape, dy: c.dy });
}

describe("MaxPool gradient matches PyTorch autograd", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const g = buildInputGradient(poolModel(c), "saliency", { kind: "class", index: 0 });
    // The forward's 3 nodes, Gemm's and Flatten's gradients (MatMul, Reshape), the pool's, the final
    // Identity.
    const ops = new Set(g.model.graph.nodes.slice(5, -1).map((n) => n.opType));
    expect([...ops].filter((op) => !WEBGPU_OPS.has(op))).toEqual([]);
    const withPooled: Model = {
      ...g.model,
      graph: {
        ...g.model.graph,
        outputs: [...g.model.graph.outputs, { name: "y", dtype: "float32", shape: undefined }],
      },
    };
    const session = await ort.InferenceSession.create(buildRunnable(withPooled).bytes);
    const out = await session.run({ input: new ort.Tensor("float32", Float32Array.from(c.x), c.x_shape) }, [
      g.output,
      "y",
    ]);
    await session.release();
    expect(out["y"]?.dims).toEqual(c.y_shape);
    const got = Array.from(out[g.output]?.data as Float32Array);
    expect(got.length).toBe(c.dx.length);
    // Sums of up to K three-decimal dY values: float32 against float64.
    got.forEach((v, i) => expect(Math.abs(v - (c.dx[i] ?? NaN))).toBeLessThan(1e-5));
  });

  it("sends an all-zero window's gradient to its first position only", () => {
    const c = cases.find((k) => k.name === "all_zero_3x3_s2_p1");
    // 6×6 zeros, 3×3 / 2 pad 1: windows start at −1, 1, 3 on each axis, so the first real
    // position of each window is 0, 1 or 3: those nine positions get one window's dY each.
    const hit = new Set([0, 1, 3].flatMap((r) => [0, 1, 3].map((col) => r * 6 + col)));
    expect(c?.dx.map((v, i) => (v !== 0) === hit.has(i)).every(Boolean)).toBe(true);
  });
});

describe("MaxPool gradient graph size", () => {
  it("ResNet's 3×3 / 2 pad 1 stem pool: 24 nodes, 10 of them Slices", () => {
    const c = cases.find((k) => k.name === "resnet_stem_3x3_s2_p1") as Case;
    const g = buildInputGradient(poolModel(c), "saliency", { kind: "class", index: 0 });
    const pool = g.model.graph.nodes.slice(5, -1).map((n) => n.opType);
    expect(g.model.graph.nodes.slice(3, 5).map((n) => n.opType)).toEqual(["MatMul", "Reshape"]);
    expect(pool.length).toBe(24);
    // At most 7 inputs a Concat (8 storage buffers a WebGPU shader by default, the output included).
    expect(
      Math.max(...g.model.graph.nodes.filter((n) => n.opType === "Concat").map((n) => n.inputs.length)),
    ).toBe(7);
    expect(pool.filter((op) => op === "Slice").length).toBe(10);
  });
});
