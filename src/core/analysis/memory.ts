/** Peak activation memory: bytes of live tensors when nodes run in topological order. */
import { dtypeBytes } from "../ir/dtype";
import { nodeReads } from "../ir/subgraphs";
import type { Graph } from "../ir/types";
import type { ValueState } from "../ops/types";

function bytesOf(s: ValueState | undefined): number | null {
  if (!s?.shape) return null;
  let n = dtypeBytes(s.dtype);
  for (let i = 0; i < s.shape.length; i++) {
    const d = s.shape[i];
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

export function peakLiveBytes(
  graph: Graph,
  order: readonly number[],
  states: ReadonlyMap<string, ValueState>,
): number | null {
  // A value dies after its last consumer; graph outputs live to the end. Weights and folded constants are not
  // activations.
  const lastUse = new Map<string, number>();
  order.forEach((ni, step) => {
    // Values a Loop / If body reads from outside live until that node has run.
    const node = graph.nodes[ni];
    if (node) for (const name of nodeReads(node)) if (name) lastUse.set(name, step);
  });
  for (const o of graph.outputs) lastUse.set(o.name, order.length);
  const isActivation = (name: string) => {
    const s = states.get(name);
    return !graph.initializers.has(name) && s?.value === undefined && s?.tensor === undefined;
  };
  let live = 0;
  for (const v of graph.inputs) {
    const b = bytesOf(states.get(v.name));
    if (b === null) return null;
    live += b;
  }
  let peak = live;
  for (let step = 0; step < order.length; step++) {
    const node = graph.nodes[order[step] ?? 0];
    if (!node) continue;
    for (const o of node.outputs) {
      if (!o || !isActivation(o)) continue;
      const b = bytesOf(states.get(o));
      if (b === null) return null;
      live += b;
    }
    peak = Math.max(peak, live);
    // Each value read or written once (no Set per node: these lists hold a few names).
    const reads = nodeReads(node);
    const free = (name: string, seen: readonly string[], upTo: number) => {
      if (!name || seen.indexOf(name) < upTo) return;
      if (!isActivation(name) || (lastUse.get(name) ?? step) > step) return;
      live -= bytesOf(states.get(name)) ?? 0;
    };
    for (let i = 0; i < reads.length; i++) free(reads[i] ?? "", reads, i);
    for (let i = 0; i < node.outputs.length; i++) {
      const o = node.outputs[i] ?? "";
      if (!reads.includes(o)) free(o, node.outputs, i);
    }
  }
  return peak;
}
