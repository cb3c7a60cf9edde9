/**
 * Nested graphs (If branches, Loop and Scan bodies) and the outer values they read by name without
 * listing them as node inputs: a node depends on those as much as on its inputs.
 */
import type { Graph, Node } from "./types";

/** The node's graph attributes, by attribute name. */
export function subgraphsOf(node: Node): [string, Graph][] {
  const out: [string, Graph][] = [];
  // for-in, not Object.entries: called several times per node (no pair arrays to collect).
  for (const name in node.attrs) {
    const v = node.attrs[name];
    if (typeof v === "object" && "kind" in v && v.kind === "graph") out.push([name, v.graph]);
  }
  return out;
}

/** Names a graph's nodes (nested ones included) read that the graph itself does not define. */
export function capturedNames(graph: Graph): string[] {
  const defined = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  for (const n of graph.nodes) for (const o of n.outputs) defined.add(o);
  const out = new Set<string>();
  for (const n of graph.nodes)
    for (const name of nodeReads(n)) if (name !== "" && !defined.has(name)) out.add(name);
  for (const o of graph.outputs) if (!defined.has(o.name)) out.add(o.name);
  return [...out];
}

/**
 * Every value a node reads: its inputs (the node's own array when it has no subgraphs), then the
 * outer values its subgraphs capture.
 */
export function nodeReads(node: Node): readonly string[] {
  const subs = subgraphsOf(node);
  if (subs.length === 0) return node.inputs;
  return [...new Set([...node.inputs, ...subs.flatMap(([, g]) => capturedNames(g))])];
}
