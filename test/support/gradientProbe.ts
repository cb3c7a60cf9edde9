/**
 * A model whose class-0 saliency is exactly one op's input gradient: X → op → Flatten → Gemm
 * whose weights are the upstream gradient dY. Backward-rule tests compare it with autograd.
 */
import type { AttrValue, Model, Tensor } from "../../src/core/ir/types";

export function floatTensor(name: string, values: readonly number[], dims: number[]): Tensor {
  return {
    name,
    dtype: "float32",
    dims,
    storage: { kind: "inline", bytes: new Uint8Array(Float32Array.from(values).buffer) },
  };
}

export interface ProbedOp {
  readonly name: string;
  readonly opType: string;
  readonly attrs: Record<string, AttrValue>;
  readonly xShape: number[];
  readonly dy: readonly number[];
  /** Further inputs of the op (a Conv's weights), as initializers. */
  readonly weights?: readonly Tensor[];
}

/** The op's output is named "y" (its node `/op/<opType>`); the model's output is "logit". */
export function gradientProbe(p: ProbedOp): Model {
  const weights = p.weights ?? [];
  return {
    format: "onnx",
    graph: {
      name: p.name,
      nodes: [
        {
          name: `/op/${p.opType}`,
          opType: p.opType,
          domain: "",
          inputs: ["input", ...weights.map((w) => w.name)],
          outputs: ["y"],
          attrs: p.attrs,
        },
        {
          name: "/flat/Flatten",
          opType: "Flatten",
          domain: "",
          inputs: ["y"],
          outputs: ["flat"],
          attrs: { axis: 0 },
        },
        {
          name: "/fc/Gemm",
          opType: "Gemm",
          domain: "",
          inputs: ["flat", "dy", "bias"],
          outputs: ["logit"],
          attrs: { transB: 1 },
        },
      ],
      inputs: [{ name: "input", dtype: "float32", shape: p.xShape }],
      outputs: [{ name: "logit", dtype: "float32", shape: undefined }],
      initializers: new Map([
        ...weights.map((w) => [w.name, w] as const),
        ["dy", floatTensor("dy", p.dy, [1, p.dy.length])],
        ["bias", floatTensor("bias", [0], [1])],
      ]),
      valueInfo: new Map(),
    },
    opsets: { "": 17 },
    producer: "test",
    irVersion: 8,
    weightless: false,
  };
}
