/**
 * Synthetic ONNX graphs for the bad-input corpus and the benchmark: a conv
 * stack of any length, and deliberately broken variants. Each builder returns
 * an IR model; writeOnnx turns it into bytes.
 */
import type { Graph, Model, Node, Tensor, ValueInfo } from "../src/core/ir/types";

function weight(name: string, dims: number[]): Tensor {
  return {
    name,
    dtype: "float32",
    dims,
    storage: { kind: "external", location: "synthetic.weights.bin", offset: 0, length: 0 },
  };
}

function model(nodes: Node[], inputs: ValueInfo[], outputs: ValueInfo[], initializers: Tensor[] = []): Model {
  const graph: Graph = {
    name: "synthetic",
    nodes,
    inputs,
    outputs,
    initializers: new Map(initializers.map((t) => [t.name, t])),
    valueInfo: new Map(),
  };
  return {
    format: "onnx",
    graph,
    opsets: { "": 17 },
    producer: "convlens-tools",
    irVersion: 8,
    weightless: true,
  };
}

const input = (shape: (number | string)[]): ValueInfo => ({ name: "input", dtype: "float32", shape });
const output = (name: string): ValueInfo => ({ name, dtype: "float32", shape: undefined });

/** `blocks` × (3×3 conv, ReLU) with residual adds every other block: 2·blocks + blocks/2 nodes. */
export function convStack(blocks: number, channels = 8, size = 32): Model {
  const nodes: Node[] = [];
  const inits: Tensor[] = [weight("w0", [channels, 3, 3, 3])];
  nodes.push({
    name: "/stem/Conv",
    opType: "Conv",
    domain: "",
    inputs: ["input", "w0"],
    outputs: ["x0"],
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  });
  let prev = "x0";
  for (let b = 1; b <= blocks; b++) {
    const w = `w${b}`;
    inits.push(weight(w, [channels, channels, 3, 3]));
    nodes.push({
      name: `/block${b}/conv/Conv`,
      opType: "Conv",
      domain: "",
      inputs: [prev, w],
      outputs: [`c${b}`],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    });
    nodes.push({
      name: `/block${b}/relu/Relu`,
      opType: "Relu",
      domain: "",
      inputs: [`c${b}`],
      outputs: [`r${b}`],
      attrs: {},
    });
    let out = `r${b}`;
    if (b % 2 === 0) {
      nodes.push({
        name: `/block${b}/Add`,
        opType: "Add",
        domain: "",
        inputs: [out, prev],
        outputs: [`a${b}`],
        attrs: {},
      });
      out = `a${b}`;
    }
    prev = out;
  }
  return model(nodes, [input([1, 3, size, size])], [output(prev)], inits);
}

/** A chain of `n` ReLUs (the cheapest node), for graphs of 100,000 nodes. */
export function reluChain(n: number): Model {
  const nodes: Node[] = Array.from({ length: n }, (_, i) => ({
    name: `relu${i}`,
    opType: "Relu",
    domain: "",
    inputs: [i === 0 ? "input" : `v${i - 1}`],
    outputs: [`v${i}`],
    attrs: {},
  }));
  return model(nodes, [input([1, 3, 8, 8])], [output(`v${n - 1}`)]);
}

export function cyclic(): Model {
  return model(
    [
      { name: "a", opType: "Relu", domain: "", inputs: ["b_out"], outputs: ["a_out"], attrs: {} },
      { name: "b", opType: "Relu", domain: "", inputs: ["a_out"], outputs: ["b_out"], attrs: {} },
    ],
    [input([1, 3, 8, 8])],
    [output("b_out")],
  );
}

export function missingProducer(): Model {
  return model(
    [{ name: "add", opType: "Add", domain: "", inputs: ["input", "ghost"], outputs: ["y"], attrs: {} }],
    [input([1, 3, 8, 8])],
    [output("y")],
  );
}

export function hugeDims(): Model {
  return model(
    [{ name: "relu", opType: "Relu", domain: "", inputs: ["input"], outputs: ["y"], attrs: {} }],
    [input([1, 3, 2 ** 40, 2 ** 40])],
    [output("y")],
  );
}

export function negativePads(): Model {
  return model(
    [
      {
        name: "/conv/Conv",
        opType: "Conv",
        domain: "",
        inputs: ["input", "w"],
        outputs: ["y"],
        attrs: { kernel_shape: [3, 3], pads: [-2, -2, -2, -2] },
      },
    ],
    [input([1, 3, 16, 16])],
    [output("y")],
    [weight("w", [4, 3, 3, 3])],
  );
}

export function unknownOp(): Model {
  return model(
    [
      {
        name: "/conv/Conv",
        opType: "Conv",
        domain: "",
        inputs: ["input", "w"],
        outputs: ["c"],
        attrs: { kernel_shape: [3, 3] },
      },
      {
        name: "/mystery/FrobnicateOp",
        opType: "Frobnicate",
        domain: "",
        inputs: ["c"],
        outputs: ["f"],
        attrs: {},
      },
      { name: "/relu/Relu", opType: "Relu", domain: "", inputs: ["f"], outputs: ["y"], attrs: {} },
    ],
    [input([1, 3, 16, 16])],
    [output("y")],
    [weight("w", [4, 3, 3, 3])],
  );
}
