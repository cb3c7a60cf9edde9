/**
 * Models for tests: one a tools/ generator wrote under test/fixtures, with the ground-truth JSON beside it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Model, Node, Tensor, ValueInfo } from "../../src/core/ir/types";

export function generatedModel<Ref>(folder: string, name: string): { bytes: Buffer; ref: Ref } {
  const dir = resolve(__dirname, "../fixtures", folder);
  return {
    bytes: readFileSync(resolve(dir, `${name}.onnx`)),
    ref: JSON.parse(readFileSync(resolve(dir, `${name}.json`), "utf8")) as Ref,
  };
}

/** A default-domain node with one output, named after it. */
export const node = (opType: string, inputs: string[], output: string, attrs: Node["attrs"] = {}): Node => ({
  name: output,
  opType,
  domain: "",
  inputs,
  outputs: [output],
  attrs,
});

/** A small initializer given by its values (1-D unless `dims` says otherwise). */
export const tensor = (
  name: string,
  dtype: Tensor["dtype"],
  values: number[],
  dims = [values.length],
): Tensor => ({
  name,
  dtype,
  dims,
  storage: { kind: "typed", values },
});

/**
 * An opset-18 ONNX model of these nodes over a float32 input "x" (and `moreInputs`), every listed
 * value an output.
 */
export function opset18Model(
  nodes: readonly Node[],
  inits: readonly Tensor[],
  input: number[],
  outputs: string[],
  moreInputs: readonly ValueInfo[] = [],
): Model {
  return {
    format: "onnx",
    graph: {
      name: "g",
      nodes: [...nodes],
      inputs: [{ name: "x", dtype: "float32", shape: input }, ...moreInputs],
      outputs: outputs.map((name) => ({ name, dtype: "float32", shape: undefined })),
      initializers: new Map(inits.map((t) => [t.name, t])),
      valueInfo: new Map(),
    },
    opsets: { "": 18 },
    producer: "convlens-tests",
    irVersion: 8,
    weightless: false,
  };
}
