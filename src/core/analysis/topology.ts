/** Topological order of a graph, with the errors a broken file deserves (cycles, missing producers). */
import { nodeReads } from "../ir/subgraphs";
import type { Graph } from "../ir/types";
import { ModelError } from "../ir/types";

/**
 * `isOuter`: names a subgraph may read from the graphs around it (If / Loop / Scan bodies); the
 * model's own graph has none.
 */
export function topologicalOrder(graph: Graph, isOuter: (name: string) => boolean = () => false): number[] {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === "") continue;
      if (producer.has(o))
        throw new ModelError(
          `Value "${o}" is produced by two nodes ("${graph.nodes[producer.get(o) ?? 0]?.name}" and "${n.name}").`,
        );
      producer.set(o, i);
    }
  });
  const external = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  const indegree = new Array<number>(graph.nodes.length).fill(0);
  const consumers: number[][] = graph.nodes.map(() => []);
  // A subgraph's captured outer values order its node after their producers, like inputs.
  const reads = graph.nodes.map(nodeReads);
  graph.nodes.forEach((n, i) => {
    for (const name of new Set(reads[i])) {
      if (name === "") continue;
      const p = producer.get(name);
      if (p === undefined) {
        if (!external.has(name) && !isOuter(name))
          throw new ModelError(
            `Node "${n.name}" (${n.opType}) reads "${name}", which no node, input or initializer produces.`,
          );
        continue;
      }
      indegree[i] = (indegree[i] ?? 0) + 1;
      consumers[p]?.push(i);
    }
  });
  // Exporters write nodes in a valid order: keep it when it is one, so rows follow the file.
  const inFileOrder = reads.every((names, i) => names.every((x) => (producer.get(x) ?? -1) < i));
  if (inFileOrder) return constantsNearConsumers(graph, producer, reads);
  const order: number[] = [];
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  let head = 0;
  while (head < ready.length) {
    const i = ready[head++] ?? 0;
    order.push(i);
    for (const c of consumers[i] ?? []) {
      indegree[c] = (indegree[c] ?? 0) - 1;
      if (indegree[c] === 0) ready.push(c);
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes
      .filter((_, i) => (indegree[i] ?? 0) > 0)
      .slice(0, 3)
      .map((n) => `"${n.name}"`);
    throw new ModelError(
      `The graph has a cycle (through nodes ${stuck.join(", ")}); ONNX graphs must be acyclic.`,
    );
  }
  return order;
}

/**
 * File order, except that nodes computing only from weights and constants (the
 * exporter's Identity aliases of deduplicated weights, Constant nodes) move to
 * just before their first consumer, so each sits next to the layer that uses it.
 */
function constantsNearConsumers(
  graph: Graph,
  producer: ReadonlyMap<string, number>,
  reads: readonly (readonly string[])[],
): number[] {
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const isData: boolean[] = [];
  graph.nodes.forEach((_, i) => {
    isData[i] = (reads[i] ?? []).some(
      (x) => inputs.has(x) || (producer.has(x) && isData[producer.get(x) ?? 0] === true),
    );
  });
  const order: number[] = [];
  const placed = new Array<boolean>(graph.nodes.length).fill(false);
  const place = (i: number): void => {
    if (placed[i]) return;
    placed[i] = true;
    for (const x of reads[i] ?? []) {
      const p = producer.get(x);
      if (p !== undefined && !isData[p]) place(p);
    }
    order.push(i);
  };
  graph.nodes.forEach((_, i) => {
    if (isData[i]) place(i);
  });
  graph.nodes.forEach((_, i) => place(i));
  return order;
}
