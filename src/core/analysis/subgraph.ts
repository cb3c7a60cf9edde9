/**
 * A nested graph (If branch, Loop or Scan body) analysed once: each node through the same
 * inferNode as the model's own nodes, outer values looked up in the enclosing graphs. The op rule
 * of the control-flow node decides what one run means (which branch, how many iterations).
 */
import { tensorValues } from "../ir/tensorData";
import type { Graph } from "../ir/types";
import { opRule } from "../ops/registry";
import type { BodyRow, OpContext, SubgraphResult, ValueState } from "../ops/types";
import { checkDims, inferNode, weightsRead } from "./inferNode";
import { topologicalOrder } from "./topology";

/** Notes kept per nested graph: enough to say what went wrong, not a copy of every row. */
const MAX_NOTES = 8;

export function analyzeSubgraph(
  graph: Graph,
  inputs: readonly (ValueState | undefined)[],
  outer: (name: string) => ValueState | undefined,
  opset: number,
): SubgraphResult {
  const states = new Map<string, ValueState>();
  graph.inputs.forEach((v, i) => {
    // A body input the caller cannot describe is unknown, never the file's (possibly stale) shape.
    states.set(v.name, inputs[i] ?? { dtype: v.dtype, shape: undefined });
  });
  for (const [name, t] of graph.initializers) {
    checkDims(t.dims, `initializer "${name}"`);
    const value = tensorValues(t);
    states.set(name, { dtype: t.dtype, shape: t.dims, tensor: t, ...(value ? { value } : {}) });
  }
  const lookup = (name: string) => states.get(name) ?? outer(name);
  const order = topologicalOrder(graph, (name) => outer(name) !== undefined);
  const notes: string[] = [];
  const weights = new Map<string, SubgraphResult["weights"][number]>();
  let macs: number | null = 0;
  const rows: BodyRow[] = [];
  for (const index of order) {
    const node = graph.nodes[index];
    if (!node) continue;
    const ctx: OpContext = {
      node,
      inputs: node.inputs.map((n) => (n === "" ? undefined : lookup(n))),
      opset,
      subgraph: (g, ins) => analyzeSubgraph(g, ins, lookup, opset),
    };
    const rule = opRule(node.opType, node.domain);
    const outcome = inferNode(rule, ctx);
    node.outputs.forEach((name, i) => {
      if (name !== "") states.set(name, outcome.outs[i] ?? { dtype: "unknown", shape: undefined });
    });
    macs = macs === null || outcome.macs === null ? null : macs + outcome.macs;
    rows.push({
      graph: "",
      id: node.name,
      opType: node.opType,
      outputs: node.outputs.map((n, i) => {
        const o = outcome.outs[i];
        return { name: n, dtype: o?.dtype ?? "unknown", shape: o?.shape ? [...o.shape] : null };
      }),
      macs: outcome.macs,
    });
    for (const r of rule?.bodyRows?.(ctx) ?? []) rows.push({ ...r, graph: `${node.name}/${r.graph}` });
    for (const w of weightsRead(rule, ctx)) weights.set(w.name, w);
    for (const w of outcome.warnings) if (notes.length < MAX_NOTES) notes.push(`${node.name}: ${w}`);
  }
  return {
    outputs: graph.outputs.map((o) => lookup(o.name) ?? { dtype: o.dtype, shape: undefined }),
    macs,
    notes,
    weights: [...weights.values()],
    rows,
  };
}
