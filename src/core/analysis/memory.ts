/** Peak activation memory: bytes of live tensors when nodes run in topological order. */
import { dtypeBytes } from "../ir/dtype";
import { nodeReads } from "../ir/subgraphs";
import type { Graph } from "../ir/types";
import type { ValueState } from "../ops/types";

function bytesOf(s: ValueState | undefined): number | null {
  if (!s?.shape) return null;
  let n = dtypeBytes(s.dtype);
  for (const d of s.shape) {
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
    for (const name of node ? nodeReads(node) : []) if (name) lastUse.set(name, step);
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
    for (const o of node?.outputs ?? []) {
      if (!o || !isActivation(o)) continue;
      const b = bytesOf(states.get(o));
      if (b === null) return null;
      live += b;
    }
    peak = Math.max(peak, live);
    for (const name of new Set([...(node ? nodeReads(node) : []), ...(node?.outputs ?? [])])) {
      if (!name || !isActivation(name) || (lastUse.get(name) ?? step) > step) continue;
      live -= bytesOf(states.get(name)) ?? 0;
    }
  }
  return peak;
}
