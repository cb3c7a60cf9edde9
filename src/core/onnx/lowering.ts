/**
 * Ops the source readers name after their frameworks (Silu, Mish, Gelu, Hardtanh …) that
 * onnxruntime's opset 17 does not have: rewritten as compositions of standard ops before
 * a model is run. Analysis keeps the original names (they are what the user wrote).
 */
import type { Node, Tensor } from "../ir/types";
import { ModelError } from "../ir/types";
import { lowerDarknetNode, runsDarknetNode } from "./darknetLowering";

type Emit = (opType: string, inputs: string[], attrs?: Node["attrs"]) => string;
type Lower = (x: string, emit: Emit, scalar: (v: number) => string) => string;

const LOWERINGS: Readonly<Record<string, Lower>> = {
  Silu: (x, e) => e("Mul", [x, e("Sigmoid", [x])]),
  Mish: (x, e) => e("Mul", [x, e("Tanh", [e("Softplus", [x])])]),
  Gelu: (x, e, c) =>
    e("Mul", [e("Mul", [x, c(0.5)]), e("Add", [c(1), e("Erf", [e("Div", [x, c(Math.SQRT2)])])])]),
  Hardtanh: (x, e, c) => e("Clip", [x, c(-1), c(1)]),
  LogSigmoid: (x, e) => e("Log", [e("Sigmoid", [x])]),
  Tanhshrink: (x, e) => e("Sub", [x, e("Tanh", [x])]),
};

/** Nodes with the framework-named ops replaced; the extra scalar constants to add as initializers. */
export function lowerForRuntime(nodes: readonly Node[]): { nodes: Node[]; constants: Tensor[] } {
  const out: Node[] = [];
  const constants: Tensor[] = [];
  let n = 0;
  for (const node of expandFrameworkNodes(nodes, constants)) {
    const lower = LOWERINGS[node.opType];
    if (!lower) {
      out.push(node);
      continue;
    }
    const prefix = `${node.name}/lowered`;
    const finalOut = node.outputs[0] ?? "";
    const pending: Node[] = [];
    const emit: Emit = (opType, inputs, attrs = {}) => {
      const name = `${prefix}_${n++}`;
      pending.push({ name, opType, domain: "", inputs, outputs: [`${name}_out`], attrs });
      return `${name}_out`;
    };
    const scalar = (v: number) => {
      const name = `${prefix}_const_${n++}`;
      constants.push({
        name,
        dtype: "float32",
        dims: [],
        storage: { kind: "inline", bytes: new Uint8Array(new Float32Array([v]).buffer) },
        role: "buffer",
      });
      return name;
    };
    const result = lower(node.inputs[0] ?? "", emit, scalar);
    // The last node writes the original output name so that consumers are unchanged.
    const last = pending[pending.length - 1];
    if (last && last.outputs[0] === result) pending[pending.length - 1] = { ...last, outputs: [finalOut] };
    out.push(...pending);
  }
  return { nodes: out, constants };
}

/** Darknet's recurrent sections expanded into standard ops (darknetLowering.ts); other nodes as they are. */
function expandFrameworkNodes(nodes: readonly Node[], constants: Tensor[]): Node[] {
  return nodes.flatMap((node) => {
    if (!runsDarknetNode(node)) return [node];
    try {
      const lowered = lowerDarknetNode(node, `${node.name}/lowered`);
      constants.push(...lowered.constants);
      return lowered.nodes;
    } catch (e) {
      throw new ModelError(
        `Cannot run: layer "${node.layer ?? node.name}" (${node.opType}): ${e instanceof Error ? e.message : String(e)}.`,
      );
    }
  });
}
