/**
 * Before a model is run, every node whose op-table entry has a `lower` rule (framework-named
 * activations such as Silu or Mish, Darknet's recurrent sections) is rewritten as standard ops that
 * onnxruntime's opset 17 has. Analysis keeps the original nodes (they are what the user wrote).
 */
import type { Node, Tensor } from "../ir/types";
import { ModelError } from "../ir/types";
import { opRule } from "../ops/registry";
import type { LoweringBuilder, OpRule } from "../ops/types";

/** Whether the op table can rewrite this node as standard ops for running. */
export const lowersForRuntime = (node: Node): boolean =>
  opRule(node.opType, node.domain)?.lower !== undefined;

/** Nodes with lowered ops replaced; the extra constants to add as initializers. */
export function lowerForRuntime(nodes: readonly Node[]): { nodes: Node[]; constants: Tensor[] } {
  const out: Node[] = [];
  const constants: Tensor[] = [];
  for (const node of nodes) {
    const lower = opRule(node.opType, node.domain)?.lower;
    if (!lower) {
      out.push(node);
      continue;
    }
    try {
      out.push(...lowerNode(node, lower, constants));
    } catch (e) {
      throw new ModelError(
        `Cannot run: layer "${node.layer ?? node.name}" (${node.opType}): ${e instanceof Error ? e.message : String(e)}.`,
      );
    }
  }
  return { nodes: out, constants };
}

/** One node as the standard ops its rule builds (prefixed with its name); constants go to `constants`. */
function lowerNode(node: Node, lower: NonNullable<OpRule["lower"]>, constants: Tensor[]): Node[] {
  const prefix = `${node.name}/lowered`;
  const nodes: Node[] = [];
  let n = 0;
  const constant = (dtype: "float32" | "int64", dims: number[], bytes: Uint8Array) => {
    const name = `${prefix}_const_${n++}`;
    constants.push({ name, dtype, dims, storage: { kind: "inline", bytes }, role: "buffer" });
    return name;
  };
  const b: LoweringBuilder = {
    emit: (opType, inputs, attrs = {}) => {
      const name = `${prefix}_${n++}`;
      nodes.push({ name, opType, domain: "", inputs, outputs: [`${name}_out`], attrs });
      return `${name}_out`;
    },
    scalar: (v) => constant("float32", [], new Uint8Array(new Float32Array([v]).buffer)),
    ints: (v) => constant("int64", [v.length], new Uint8Array(new BigInt64Array(v.map(BigInt)).buffer)),
  };
  const result = lower(node, b);
  // The last node writes the original output name so that consumers are unchanged.
  const last = nodes[nodes.length - 1];
  const output = node.outputs[0] ?? "";
  if (last && last.outputs[0] === result) nodes[nodes.length - 1] = { ...last, outputs: [output] };
  else
    nodes.push({
      name: `${prefix}_out`,
      opType: "Identity",
      domain: "",
      inputs: [result],
      outputs: [output],
      attrs: {},
    });
  return nodes;
}
