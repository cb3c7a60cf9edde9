/**
 * The op attribute schema against PyTorch (test/fixtures/attrs/attr_refs.json, from
 * tools/make_attr_refs.py): activations with float attributes written in PyTorch and Keras
 * source run on the host engine (onnxruntime-node) as PyTorch computes them, and the
 * AveragePool (padding, ceil_mode, count_include_pad) and Conv (auto_pad) backward rules,
 * which read attributes through the forward rules' helpers, give PyTorch autograd's dX.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../src/core/formats/python/pythonModel";
import type { AttrValue, Model } from "../../src/core/ir/types";
import { buildInputGradient } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { attrTypeCode } from "../../src/core/ops/attrSchemas";
import { loadNative, NativeEngine } from "../../src/runtime/nativeEngine";
import { floatTensor, gradientProbe } from "../support/gradientProbe";

interface Activation {
  name: string;
  framework: "torch" | "keras";
  layer: string;
  x: number[];
  y: number[];
}
interface WindowCase {
  name: string;
  op: "AveragePool" | "Conv";
  attrs: Record<string, AttrValue>;
  x_shape: number[];
  y_shape: number[];
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
  w_shape?: number[];
  w?: number[];
}

const refs = JSON.parse(readFileSync(resolve(__dirname, "../fixtures/attrs/attr_refs.json"), "utf8")) as {
  activations: Activation[];
  window_grads: WindowCase[];
};

const native = loadNative();
if (!native.ok) throw new Error(native.why);
const engine = new NativeEngine(native.ort);

function source(a: Activation): string {
  if (a.framework === "keras")
    return `import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(${a.x.length},)), ${a.layer}])
`;
  return `import torch.nn as nn

class Net(nn.Module):  # convlens: input 1x${a.x.length}
    def __init__(self):
        super().__init__()
        self.act = ${a.layer}

    def forward(self, x):
        return self.act(x)
`;
}

let sessions = 0;
async function run(model: Model, x: Float32Array, dims: number[], output: string): Promise<Float32Array> {
  const input = model.graph.inputs[0]?.name ?? "input";
  const extra = model.graph.outputs.some((o) => o.name === output) ? [] : [output];
  // A key per call: each call runs another model.
  const r = await engine.run(
    `model${sessions++}`,
    () => buildRunnable(model, { extraOutputs: extra }).bytes,
    { [input]: { dtype: "float32", dims, data: x } },
    [output],
  );
  const out = r.outputs.get(output);
  if (!out) throw new Error(`no output ${output}`);
  return out.data;
}

describe("the attribute schema types what the writer would guess wrong", () => {
  it("Elu's alpha and LeakyRelu's alpha are FLOAT, Conv's group INT, pads INTS", () => {
    expect(attrTypeCode("Elu", "alpha")).toBe(1);
    expect(attrTypeCode("LeakyRelu", "alpha")).toBe(1);
    expect(attrTypeCode("Conv", "group")).toBe(2);
    expect(attrTypeCode("Conv", "pads")).toBe(7);
    expect(attrTypeCode("Resize", "cubic_coeff_a")).toBe(1);
  });
});

describe("activations with float attributes run as PyTorch computes them", () => {
  it.each(refs.activations.map((a) => [a.name, a] as const))("%s", async (_, a) => {
    const file = `${a.name}.py`;
    const traced = analyzePythonSource(source(a), { fileName: file }).classes;
    const model = traced.find((c) => c.model !== undefined)?.model;
    expect(traced.map((c) => c.error ?? "")).toEqual(traced.map(() => ""));
    if (!model) throw new Error(`no model traced from ${a.layer}`);
    const y = await run(model, Float32Array.from(a.x), [1, a.x.length], model.graph.outputs[0]!.name);
    expect(y.length).toBe(a.y.length);
    y.forEach((v, i) => expect(Math.abs(v - a.y[i]!)).toBeLessThan(1e-5));
  });
});

function windowModel(c: WindowCase): Model {
  const weights = c.w && c.w_shape ? [floatTensor("w", c.w, c.w_shape)] : [];
  return gradientProbe({ name: c.name, opType: c.op, attrs: c.attrs, xShape: c.x_shape, dy: c.dy, weights });
}

describe("window backward rules match PyTorch autograd", () => {
  it.each(refs.window_grads.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const model = windowModel(c);
    const x = Float32Array.from(c.x);
    const y = await run(model, x, c.x_shape, "y");
    expect(y.length).toBe(c.y.length);
    y.forEach((v, i) => expect(Math.abs(v - c.y[i]!)).toBeLessThan(1e-4));
    const g = buildInputGradient(model, "saliency", { kind: "class", index: 0 });
    const dx = await run(g.model, x, c.x_shape, g.output);
    expect(dx.length).toBe(c.dx.length);
    dx.forEach((v, i) => expect(Math.abs(v - c.dx[i]!)).toBeLessThan(1e-4));
  });
});
