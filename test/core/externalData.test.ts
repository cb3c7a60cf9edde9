import { describe, expect, it } from "vitest";
import { tensorBytes } from "../../src/core/formats/onnx/externalData";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { writeOnnx } from "../../src/core/onnx/writer";
import type { Model, Tensor } from "../../src/core/ir/types";

function modelWith(t: Tensor): Model {
  return {
    format: "onnx",
    graph: {
      name: "g",
      nodes: [{ name: "add", opType: "Add", domain: "", inputs: ["x", t.name], outputs: ["y"], attrs: {} }],
      inputs: [{ name: "x", dtype: "float32", shape: [2] }],
      outputs: [{ name: "y", dtype: "float32", shape: [2] }],
      initializers: new Map([[t.name, t]]),
      valueInfo: new Map(),
    },
    opsets: { "": 17 },
    producer: "test",
    irVersion: 8,
    weightless: false,
  };
}

describe("external weight data", () => {
  const ext: Tensor = {
    name: "w",
    dtype: "float32",
    dims: [2],
    storage: { kind: "external", location: "w.bin", offset: 4, length: 8 },
  };
  const file = new Uint8Array(new Float32Array([9, 1.5, -2]).buffer);

  it("is read lazily, only when asked, from its offset", async () => {
    const model = readOnnx(writeOnnx(modelWith(ext)), { externalExists: (l) => l === "w.bin" });
    expect(model.weightless).toBe(false);
    const t = model.graph.initializers.get("w");
    expect(t?.storage).toEqual({ kind: "external", location: "w.bin", offset: 4, length: 8 });
    let reads = 0;
    const bytes = await tensorBytes(
      t as Tensor,
      async (_loc, off, len) => (reads++, file.slice(off, off + len)),
    );
    expect(reads).toBe(1);
    expect(Array.from(new Float32Array((bytes as Uint8Array).slice().buffer))).toEqual([1.5, -2]);
  });

  it("marks the model weightless when the file is absent", () => {
    const model = readOnnx(writeOnnx(modelWith(ext)), { externalExists: () => false });
    expect(model.weightless).toBe(true);
  });

  it("keeps inline weights as views into the file buffer (no copy)", () => {
    const inline: Tensor = {
      name: "w",
      dtype: "float32",
      dims: [2],
      storage: { kind: "inline", bytes: new Uint8Array(new Float32Array([3, 4]).buffer) },
    };
    const buf = writeOnnx(modelWith(inline));
    const t = readOnnx(buf).graph.initializers.get("w");
    expect(t?.storage.kind).toBe("inline");
    if (t?.storage.kind === "inline") expect(t.storage.bytes.buffer).toBe(buf.buffer);
  });

  it("refuses locations outside the model folder", async () => {
    const bad: Tensor = {
      ...ext,
      storage: { kind: "external", location: "../../etc/passwd", offset: 0, length: 8 },
    };
    await expect(tensorBytes(bad, async () => new Uint8Array(8))).rejects.toThrow(/outside/);
  });
});
