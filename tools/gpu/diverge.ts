/**
 * Where a graph's WebGPU result departs from wasm's: every float value is exposed as an
 * extra output, both EPs run once, and the first node (in graph order) whose output
 * differs is named. This is how the bool And / Or fallback in the max-pool backward rule
 * was found; on a real GPU it tells a driver problem from a graph-building one.
 */
import type { Model } from "../../src/core/ir/types";
import { buildRunnable } from "../../src/core/onnx/runnable";
import type { Ort } from "./gpuEnv";
import { compare, type Ep, type Feed } from "./measure";

/** Ops whose outputs are not float (they cannot be extra float32 outputs). */
const NOT_FLOAT = new Set([
  "Equal",
  "Greater",
  "Less",
  "GreaterOrEqual",
  "LessOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "Shape",
]);

export async function firstDivergence(ort: Ort, model: Model, feed: Feed, tol = 1e-4): Promise<string> {
  const nodes = model.graph.nodes.filter(
    (n) => !NOT_FLOAT.has(n.opType) && !(n.opType === "Cast" && n.attrs["to"] !== 1) && n.outputs[0],
  );
  const values = nodes.map((n) => n.outputs[0] ?? "");
  const bytes = buildRunnable(model, { extraOutputs: values }).bytes;
  const outs: Partial<Record<Ep, Record<string, { data: unknown }>>> = {};
  for (const ep of ["wasm", "webgpu"] as const) {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [ep],
      logSeverityLevel: 3,
    });
    try {
      outs[ep] = await session.run(
        { [feed.name]: new ort.Tensor("float32", feed.data, [...feed.dims]) },
        values,
      );
    } finally {
      await session.release();
    }
  }
  for (const n of nodes) {
    const v = n.outputs[0] ?? "";
    const a = outs.wasm?.[v]?.data as Float32Array | undefined;
    const b = outs.webgpu?.[v]?.data as Float32Array | undefined;
    if (!a || !b) continue;
    const rel = compare(a, b).rel;
    if (rel > tol) return `${n.name} (${n.opType}): ${rel.toExponential(1)}`;
  }
  return "no single value differs (exposing the values changed the result)";
}
