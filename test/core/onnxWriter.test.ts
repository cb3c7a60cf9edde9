/**
 * writeOnnx splices each initializer's raw bytes into the output instead of encoding them through
 * protobufjs: the file read back must hold the same graph and the same bytes, tensor by tensor,
 * in the same order, for models with weights, generated weights and nested graphs. (That the
 * written models compute PyTorch's logits is checked in test/runtime/nativeEngine.test.ts.)
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Model, Tensor } from "../../src/core/ir/types";
import { withGeneratedWeights } from "../../src/core/onnx/runnable";
import { writeOnnx } from "../../src/core/onnx/writer";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

function sameData(a: Tensor, b: Tensor): boolean {
  const x = a.storage;
  const y = b.storage;
  if (x.kind === "inline" && y.kind === "inline") return Buffer.from(x.bytes).equals(Buffer.from(y.bytes));
  if (x.kind === "typed" && y.kind === "typed")
    return (
      x.values.length === y.values.length &&
      Array.from(x.values, Number).every((v, i) => v === Number(y.values[i]))
    );
  return x.kind === y.kind;
}

/** Plain data to compare: typed arrays and Node Buffers (what the reader keeps of its input) as arrays. */
function plain(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(x, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      if (ArrayBuffer.isView(raw)) return Array.from(raw as Uint8Array, Number);
      if (raw instanceof Map) return [...(raw as Map<string, unknown>)];
      return typeof value === "bigint" ? Number(value) : value;
    }),
  );
}

function expectSameModel(back: Model, model: Model): void {
  expect(back.irVersion).toBe(model.irVersion || 8);
  expect(back.opsets).toEqual(model.opsets);
  expect(plain(back.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.attrs]))).toEqual(
    plain(model.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.attrs])),
  );
  expect(back.graph.inputs.map((v) => v.name)).toEqual(model.graph.inputs.map((v) => v.name));
  expect(back.graph.outputs.map((v) => v.name)).toEqual(model.graph.outputs.map((v) => v.name));
  expect([...back.graph.initializers.keys()]).toEqual([...model.graph.initializers.keys()]);
  for (const [name, t] of model.graph.initializers) {
    const b = back.graph.initializers.get(name);
    expect(b?.dims, name).toEqual(t.dims);
    expect(b?.dtype, name).toBe(t.dtype);
    expect(b !== undefined && sameData(b, t), name).toBe(true);
  }
}

describe("writeOnnx", () => {
  it.each(["lenet5_digits", "shapes_cnn", "lstm_classifier"])(
    "%s: its weights and graph read back byte for byte",
    (name) => {
      const model = readOnnx(readFileSync(resolve(FIXTURES, "models", `${name}.onnx`)));
      expect(model.graph.initializers.size).toBeGreaterThan(0);
      expectSameModel(readOnnx(writeOnnx(model)), model);
    },
  );

  it("resnet18 with generated weights: 11.7 M values read back byte for byte", () => {
    const read = readOnnx(readFileSync(resolve(FIXTURES, "models", "resnet18.onnx")));
    const { model, generated } = withGeneratedWeights(read, 1234);
    expect(generated).toBe(true);
    const bytes = writeOnnx(model);
    expect(bytes.length).toBeGreaterThan(11_600_000 * 4);
    expectSameModel(readOnnx(bytes), model);
  });

  it.each(["if_branches", "loop_conv"])("%s: nested graphs are written with the model", (name) => {
    const model = readOnnx(readFileSync(resolve(__dirname, "../fixtures/controlflow", `${name}.onnx`)));
    const back = readOnnx(writeOnnx(model));
    expectSameModel(back, model);
  });
});
