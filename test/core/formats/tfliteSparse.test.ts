/**
 * TFLite sparse weights (SparsityParameters, DENSIFY): densified as TFLite's
 * sparsity_format_converter.cc does, checked on TensorFlow's own test vectors and on a model whose
 * pruned PyTorch weights tools/make_tflite_models.py stored sparse (tools/tflite_sparsity.py, itself
 * checked against the same vectors). Its shapes, parameters (dense, zeros included) and MACs are in
 * the corpus test (textFormats.test.ts); its run against PyTorch's output in tflite.test.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../../src/core/index";
import { readTflite } from "../../../src/core/formats/tflite/tfliteReader";
import { densify, type Sparsity } from "../../../src/core/formats/tflite/tfliteSparsity";

const DIR = resolve(__dirname, "../../fixtures/tflite");
const bytesOf = (name: string) => new Uint8Array(readFileSync(resolve(DIR, name)));
const json = <T>(name: string) => JSON.parse(readFileSync(resolve(DIR, name), "utf8")) as T;

interface Vector {
  test: string;
  dense: number[];
  shape: number[];
  data: number[];
  sparsity: {
    traversal_order: number[];
    block_map: number[];
    dim_metadata: { format: string; dense_size: number; segments?: number[]; indices?: number[] }[];
  };
}

const asSparsity = (s: Vector["sparsity"]): Sparsity => ({
  traversalOrder: s.traversal_order,
  blockMap: s.block_map,
  levels: s.dim_metadata.map((m) =>
    m.format === "DENSE"
      ? { format: "dense", size: m.dense_size }
      : { format: "sparse", segments: m.segments ?? [], indices: m.indices ?? [] },
  ),
});

const int32s = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);

describe("densify", () => {
  it.each(json<Vector[]>("sparsity_vectors.json").map((v) => [v.test, v] as const))(
    "TensorFlow's %s",
    (_name, v) => {
      const dense = densify(asSparsity(v.sparsity), v.shape, int32s(v.data), 4);
      expect(Array.from(new Int32Array(dense.buffer))).toEqual(v.dense);
    },
  );

  it("refuses metadata that does not fit the shape, with the reason", () => {
    const v = json<Vector[]>("sparsity_vectors.json")[0];
    if (!v) throw new Error("no vectors");
    const s = asSparsity(v.sparsity);
    expect(() => densify(s, [4, 4], int32s(v.data), 4)).toThrow(/level 0 is DENSE of 3 where the dim has 4/);
    expect(() => densify(s, v.shape, int32s(v.data.slice(1)), 4)).toThrow(
      /4 stored values where the metadata names 5/,
    );
  });
});

describe("a model with sparse weights", () => {
  const model = readTflite(bytesOf("sparse_weights.tflite"));
  const dense = json<Record<string, number[]>>("sparse_weights.dense.json");

  it.each(Object.keys(dense))("%s holds PyTorch's pruned weights, zeros in place", (name) => {
    const t = model.graph.initializers.get(name);
    if (t?.storage.kind !== "inline") throw new Error(`${name} has no data`);
    const values = new Float32Array(t.storage.bytes.slice().buffer);
    expect(Array.from(values)).toEqual(dense[name]);
    expect(values.some((x) => x === 0)).toBe(true);
  });

  it("says the weights were densified and counts them all; DENSIFY is no unknown op", () => {
    const a = analyzeFile("sparse_weights.tflite", bytesOf("sparse_weights.tflite"));
    expect(a.warnings.join("\n")).toMatch(/3 sparse weight tensors \(\d+ stored values\) densified/);
    expect(a.totals.paramsUnknown ?? []).toEqual([]);
    expect(a.layers.filter((l) => l.layerType === "DENSIFY").map((l) => l.warnings)).toEqual([[], []]);
  });

  it("a sparse weight that cannot be densified leaves its parameters unknown with the reason", () => {
    const a = analyzeFile("bad.tflite", bytesOf("edge/sparse_bad_index.tflite"));
    expect(a.totals.paramsUnknown).toEqual([
      {
        path: "fc/weights",
        reason: "a sparse tensor ConvLens cannot densify: level 1 has index 9 outside 0..3",
      },
    ]);
  });
});
