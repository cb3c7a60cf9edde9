/**
 * The activation-maximisation and Deep Dream targets, checked against finite
 * differences of the forward pass (an independent computation of the same gradient).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildInputGradient, type BackwardTarget } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";

ort.env.wasm.numThreads = 1;
const model = readOnnx(
  readFileSync(resolve(__dirname, "../../../shared/fixtures/models/lenet5_digits.onnx")),
);
const act3 = model.graph.nodes.find((n) => n.name === "/act3/Tanh")?.outputs[0] ?? "";

async function session(extra: string[]) {
  return ort.InferenceSession.create(buildRunnable(model, { extraOutputs: extra }).bytes);
}

/** The target's value computed from the forward activations, in float64. */
function objective(t: BackwardTarget, a: Float32Array): number {
  if (t.kind === "channelMean") {
    const plane = a.length / 16;
    let s = 0;
    for (let i = 0; i < plane; i++) s += a[t.channel * plane + i] ?? 0;
    return s / plane;
  }
  return a.reduce((s, v) => s + 0.5 * v * v, 0);
}

describe.each<[string, BackwardTarget]>([
  ["channelMean", { kind: "channelMean", value: act3, channel: 5 }],
  ["energy", { kind: "energy", value: act3 }],
])("%s gradient = finite differences", (_name, target) => {
  it("at a few input pixels", async () => {
    const x = Float32Array.from({ length: 32 * 32 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37));
    const g = buildInputGradient(model, "saliency", target);
    const gs = await ort.InferenceSession.create(buildRunnable(g.model).bytes);
    const grad = (await gs.run({ input: new ort.Tensor("float32", x, [1, 1, 32, 32]) }, [g.output]))[g.output]
      ?.data as Float32Array;
    const fwd = await session([act3]);
    const f = async (v: Float32Array) =>
      objective(
        target,
        (await fwd.run({ input: new ort.Tensor("float32", v, [1, 1, 32, 32]) }, [act3]))[act3]
          ?.data as Float32Array,
      );
    const h = 1e-2;
    for (const p of [300, 400, 529, 610, 700]) {
      const up = Float32Array.from(x),
        down = Float32Array.from(x);
      up[p] = (up[p] ?? 0) + h;
      down[p] = (down[p] ?? 0) - h;
      const numeric = ((await f(up)) - (await f(down))) / (2 * h);
      const scale = Math.max(...Array.from(grad, Math.abs));
      expect(Math.abs((grad[p] ?? NaN) - numeric)).toBeLessThan(0.02 * scale + 1e-4);
    }
  });
});

describe("Clip (ReLU6) backward = finite differences on MobileNetV2 (generated weights)", () => {
  it("at a few input pixels", async () => {
    const mb = readOnnx(
      readFileSync(resolve(__dirname, "../../../shared/fixtures/models/mobilenet_v2.onnx")),
      { externalExists: () => false },
    );
    const g = buildInputGradient(mb, "saliency", { kind: "class", index: 3 });
    const gs = await ort.InferenceSession.create(buildRunnable(g.model).bytes);
    const fwd = await ort.InferenceSession.create(buildRunnable(mb).bytes);
    const n = 3 * 224 * 224;
    const x = Float32Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i * 0.011));
    const grad = (await gs.run({ input: new ort.Tensor("float32", x, [1, 3, 224, 224]) }, [g.output]))[
      g.output
    ]?.data as Float32Array;
    const logit = async (v: Float32Array) =>
      (
        (await fwd.run({ input: new ort.Tensor("float32", v, [1, 3, 224, 224]) }))["output"]
          ?.data as Float32Array
      )[3] ?? NaN;
    const scale = grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const h = 0.05;
    for (const p of [112 * 224 + 112, 50 * 224 + 170, 224 * 224 + 100 * 224 + 90]) {
      const up = Float32Array.from(x),
        down = Float32Array.from(x);
      up[p] = (up[p] ?? 0) + h;
      down[p] = (down[p] ?? 0) - h;
      const numeric = ((await logit(up)) - (await logit(down))) / (2 * h);
      expect(Math.abs((grad[p] ?? NaN) - numeric)).toBeLessThan(0.05 * scale);
    }
  }, 60_000);
});
