/**
 * The parameters a torch.nn leaf layer registers, from its constructor arguments alone.
 * Its table entry's forward is dry-run on a scratch graph, and the `role: "parameter"`
 * tensors it adds are the layer's parameters: so every layer the catalogue knows counts
 * its weights the way its forward emits them, with no second table to keep in step.
 */
import type { Dim } from "../../ir/types";
import { GraphBuilder } from "./graphBuilder";
import { NN_LAYERS } from "./nnLayers";
import { bindArgs } from "./pyArgs";
import { describe, type PyObject, type PyTensor, type PyValue } from "./values";

export type LeafParams =
  /** Parameter name ("weight", "bias_l0") → its dims, as PyTorch registers them. */
  | {
      readonly ok: true;
      readonly params: ReadonlyMap<string, readonly number[]>;
      /** Buffers its forward reads (BatchNorm's running_mean / running_var), by name. */
      readonly buffers?: ReadonlyMap<string, readonly number[]>;
    }
  | { readonly ok: false; readonly reason: string };

// Inputs tried in turn: a rank-2 input first (Linear then registers its weight as PyTorch
// stores it, out × in), then an input of unknown shape (no inference at all), then other
// ranks, then sizes for layers whose forward needs numbers (adaptive pooling). Parameter
// sizes never depend on the input; a probe's shape errors are the scratch graph's only.
const PROBES: readonly (readonly Dim[] | undefined)[] = [
  ["N", "C"],
  undefined,
  ["N", "C", "L"],
  ["N", "C", "H", "W"],
  ["N", "C", "D", "H", "W"],
  [2, 8],
  [2, 8, 32],
  [2, 8, 32, 32],
  [2, 8, 16, 32, 32],
];

const PREFIX = "p.";

const cache = new WeakMap<PyObject, LeafParams>();

/**
 * The same layer type with the same constant arguments registers the same parameters: kept
 * across analyses (a re-analysis after an edit builds every module object anew).
 */
const byArgs = new Map<string, LeafParams>();
const MAX_KEPT = 5000;

/** A key for arguments that are plain constants (numbers, strings, tuples of them); else undefined. */
function argsKey(obj: PyObject): string | undefined {
  const leaf = obj.leaf;
  if (!leaf) return undefined;
  const plain = (v: PyValue): boolean =>
    v.t === "int" ||
    v.t === "float" ||
    v.t === "bool" ||
    v.t === "str" ||
    v.t === "none" ||
    ((v.t === "tuple" || v.t === "list") && v.items.every(plain));
  const parts: string[] = [];
  for (const [k, v] of leaf.args) {
    if (!plain(v)) return undefined;
    parts.push(`${k}=${v.t}:${describe(v)}`);
  }
  return `${obj.cls.nn ? leaf.type : `${obj.cls.name}<${leaf.type}>`}(${parts.sort().join(",")})`;
}

/** The leaf's parameters, worked out once per module object (and per constant arguments). */
export function leafParams(obj: PyObject): LeafParams {
  const hit = cache.get(obj);
  if (hit) return hit;
  const key = argsKey(obj);
  const found = (key !== undefined ? byArgs.get(key) : undefined) ?? dryRun(obj);
  cache.set(obj, found);
  if (key !== undefined && !byArgs.has(key)) {
    if (byArgs.size >= MAX_KEPT) byArgs.clear();
    byArgs.set(key, found);
  }
  return found;
}

function dryRun(obj: PyObject): LeafParams {
  const leaf = obj.leaf;
  const spec = leaf ? NN_LAYERS[leaf.type] : undefined;
  if (!leaf || !spec) return { ok: false, reason: `${obj.cls.name} is not a known layer` };
  // A lazy layer's sizes come from its first input: only a traced call knows them.
  if (leaf.type.startsWith("Lazy"))
    return { ok: false, reason: `${leaf.type} takes its sizes from its first input` };
  const { spans } = bindArgs(leaf.call, spec.params, spec.defaults);
  let why = "its forward could not be followed";
  for (const shape of PROBES) {
    const b = new GraphBuilder();
    const probe = (name: string): PyTensor => {
      const state = { dtype: "float32" as const, shape: shape ? [...shape] : undefined };
      b.states.set(name, state);
      return { t: "tensor", value: name, state };
    };
    let out: PyValue;
    try {
      out = spec.forward({
        b,
        type: leaf.type,
        path: PREFIX.slice(0, -1),
        args: leaf.args,
        argSpans: spans,
        x: probe("x"),
        // Layers of several inputs (Bilinear, MultiheadAttention's key and value) get them too.
        rest: [probe("x1"), probe("x2")],
        kwargs: new Map(),
        callSpan: leaf.call.span,
      });
    } catch (e) {
      // An argument that is not a constant (ArgError) or a rule that cannot take this probe.
      why = e instanceof Error ? e.message : String(e);
      continue;
    }
    if (out.t === "unknown") {
      why = out.reason;
      continue;
    }
    const params = new Map<string, number[]>();
    const buffers = new Map<string, number[]>();
    for (const [name, t] of b.initializers) {
      if (!name.startsWith(PREFIX)) continue;
      if (t.role === "buffer") buffers.set(name.slice(PREFIX.length), [...t.dims]);
      if (t.role !== "parameter") continue;
      if (!t.dims.every((d) => Number.isInteger(d) && d >= 0))
        return {
          ok: false,
          reason: `${leaf.type} has a parameter whose size is not a whole number (${t.dims.join("×")})`,
        };
      params.set(name.slice(PREFIX.length), [...t.dims]);
    }
    return { ok: true, params, buffers };
  }
  return { ok: false, reason: `${leaf.type}: ${why}` };
}
