/** The CLI's table and JSON list every output of a multi-output node (Split, LayerNormalization). */
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { jsonReport, tableReport } from "../../src/core/analysis/report";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { loadNodeCases } from "../support/onnxNodeCases";

const { cases, models } = loadNodeCases();

function analyse(name: string) {
  const c = cases.find((k) => k.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return { c, a: analyzeModel(readOnnx(Buffer.from(models[name] ?? "", "base64")), { modelName: name }) };
}

describe("multi-output nodes in reports", () => {
  it("Split: every part, with the shapes the ONNX test expects", () => {
    const { c, a } = analyse("test_split_equal_parts_1d_opset18");
    const layer = jsonReport(a).layers[0];
    expect(layer?.outputs?.map((o) => o.shape)).toEqual(c.outputs);
    expect(tableReport(a)).toContain(c.outputs.map((s) => s?.join("×")).join(" ; "));
  });

  it("LayerNormalization: Y, Mean and InvStdDev", () => {
    const { c, a } = analyse("test_layer_normalization_4d_axis1");
    const layer = jsonReport(a).layers[0];
    expect(layer?.outputs?.map((o) => o.shape)).toEqual(c.outputs);
    expect(layer?.outputs?.map((o) => o.dtype)).toEqual(["float32", "float32", "float32"]);
  });

  it("a one-output node keeps the fixture schema (no outputs list)", () => {
    const { a } = analyse("test_relu");
    expect(jsonReport(a).layers[0]?.outputs).toBeUndefined();
  });
});
