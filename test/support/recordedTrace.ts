/**
 * PyTorch's record of a fixture model as the bridge reports a trace, without running PyTorch
 * (the record is tools/make_script_refs.py's), and the fixture's static reading: for the tests
 * of compareTrace and of the inspector's PyTorch column.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { TorchTrace } from "../../src/core/analysis/torchTrace";
import { analyzePythonSource } from "../../src/core/formats/python/pythonModel";

const FIXTURES = resolve(__dirname, "../fixtures/python");

export function analyse(rel: string, source = readFileSync(resolve(FIXTURES, rel), "utf8")) {
  const fileName = resolve(FIXTURES, rel);
  return { fileName, source, analysis: analyzePythonSource(source, { fileName }) };
}

interface ExpectedModel {
  input_shape: number[];
  output_shapes: number[][];
  totals: { params: number };
  layers: { name: string; type: string; output_shape: number[]; params: number }[];
}

/**
 * PyTorch's record of sequential_script.py's model as the bridge reports a trace (each layer called once).
 */
export function recordedTrace(): TorchTrace {
  const exp = (
    JSON.parse(readFileSync(resolve(FIXTURES, "scripts/sequential_script.expected.json"), "utf8")) as {
      models: Record<string, ExpectedModel>;
    }
  ).models["model"] as ExpectedModel;
  const tensor = (shape: number[]) => ({ shape, dtype: "float32" });
  return {
    device: "meta",
    torch: "1.13",
    python: "3.11",
    fallback: null,
    inputs: [tensor(exp.input_shape)],
    outputs: exp.output_shapes.map(tensor),
    params: exp.totals.params,
    modules: exp.layers.map((l) => ({
      path: l.name,
      type: l.type,
      line: null,
      params: l.params,
      leaf: true,
    })),
    calls: exp.layers.map((l) => ({
      path: l.name,
      type: l.type,
      line: null,
      inputs: [],
      outputs: [tensor(l.output_shape)],
    })),
    forward_ms: 0,
    ms: 0,
  };
}
