/**
 * The ONNX model the runtime runs: the file's own weights when present, else
 * deterministic random weights (He init, fixed seed) so that weightless files and
 * source-defined models still run; and chosen intermediate values exposed as
 * extra graph outputs (feature maps) without touching the original file.
 */
import { dtypeBytes, isFloat } from "../ir/dtype";
import { elementCount } from "../ir/tensorData";
import type { Model, Node, Tensor, ValueInfo } from "../ir/types";
import { ModelError } from "../ir/types";
import { floorCeilPools } from "./ceilPools";
import { lowerForRuntime, lowersForRuntime } from "./lowering";
import { writeOnnx } from "./writer";
import { withSharedWeights, type WeightsLayout } from "./sharedWeights";
import { prng } from "../random";
import { FRAMEWORK_DOMAINS, opRule } from "../ops/registry";

export interface RunnableOptions {
  /** Value names to expose as extra outputs (layer outputs to visualise). */
  readonly extraOutputs?: readonly string[];
  /** Seed of the random weights (the same seed gives the same weights, e.g. for filters). */
  readonly seed?: number;
  /**
   * The model's weights file (sharedWeights.ts): the initializers it holds are written as references
   * to `location`, a file beside the model's, instead of their bytes.
   */
  readonly sharedWeights?: { readonly layout: WeightsLayout; readonly location: string };
}

export interface Runnable {
  readonly bytes: Uint8Array;
  /** True when some weights were generated (show a "random weights" banner). */
  readonly randomWeights: boolean;
  readonly outputs: readonly string[];
  /** What this run does differently from the model's own framework (the reader's runNotes). */
  readonly notes: readonly string[];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * How a weight is used decides its init: BatchNorm scale/var = 1, biases and means = 0, matrices He-normal.
 */
function roleOf(name: string, consumers: readonly { node: Node; index: number }[]): "one" | "zero" | "he" {
  for (const { node, index } of consumers) {
    if (node.opType === "BatchNormalization") return index === 1 || index === 4 ? "one" : "zero";
    if (/Normalization$/.test(node.opType)) return index === 1 ? "one" : "zero";
  }
  void name;
  return "he";
}

/** The seed of generated weights: the CLI, the Run tab and the filter grid draw the same ones. */
export const WEIGHTS_SEED = 1234;

const TWO_PI = 2 * Math.PI;

/**
 * Deterministic He-normal (std = √(2 / fan_in)) values for one weight tensor. Box–Muller: two
 * normals per pair of uniforms. The loop is written for speed (ResNet-18 draws 11.7 M values) and
 * computes exactly what `r * Math.cos(2 * Math.PI * v) * std` did: the same operations in the
 * same order, so the values are bit for bit those the tests' expected outputs were made with.
 */
export function randomWeights(t: Tensor, role: "one" | "zero" | "he", seed: number): Float32Array {
  const n = elementCount(t.dims);
  const out = new Float32Array(n);
  if (role === "one") return out.fill(1);
  if (role === "zero" || t.dims.length < 2) return out;
  const fanIn = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const std = Math.sqrt(2 / Math.max(1, fanIn));
  const rand = prng(seed ^ hash(t.name));
  const pairs = n - (n % 2);
  for (let i = 0; i < pairs; i += 2) {
    let u = rand();
    if (u < 1e-12) u = 1e-12; // Math.max(u, 1e-12): log(0) would be -∞
    const angle = TWO_PI * rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(angle) * std;
    out[i + 1] = r * Math.sin(angle) * std;
  }
  if (pairs < n) {
    let u = rand();
    if (u < 1e-12) u = 1e-12;
    const angle = TWO_PI * rand();
    out[pairs] = Math.sqrt(-2 * Math.log(u)) * Math.cos(angle) * std;
  }
  return out;
}

export function consumersOf(model: Pick<Model, "graph">): Map<string, { node: Node; index: number }[]> {
  const out = new Map<string, { node: Node; index: number }[]>();
  for (const node of model.graph.nodes)
    node.inputs.forEach((name, index) => {
      const list = out.get(name) ?? [];
      list.push({ node, index });
      out.set(name, list);
    });
  return out;
}

/** A model with its missing weights generated, and those weights' bytes in the order they were drawn. */
export interface Weighted {
  readonly model: Model;
  /** Whether any weight was generated. */
  readonly generated: boolean;
  /** The generated tensors' bytes, in initializer order: what `stored` takes back. */
  readonly drawn: readonly Uint8Array[];
}

/**
 * The model with every missing weight generated (randomWeights: by its role in this graph, from
 * `seed`), and whether any was. Hosts keep the result per model: generating ResNet-18's 11.7 M
 * values takes about a second, and every graph built from the model (feature maps, backward
 * graphs) then runs on the same weights.
 */
export function withGeneratedWeights(model: Model, seed = WEIGHTS_SEED): Weighted {
  const steps = generationSteps(model, seed);
  for (let s = steps.next(); ; s = steps.next()) if (s.done === true) return s.value;
}

/**
 * withGeneratedWeights in steps of one tensor, awaiting `pause()` between them (a host lets its
 * other work run there; it throws to stop: the panel closed, the file changed). `stored`: the
 * bytes a generation with the same generationKey drew (its `drawn`, concatenated), taken instead
 * of drawing them again; rejects when they do not fit the missing tensors.
 */
export async function withGeneratedWeightsInSteps(
  model: Model,
  seed: number,
  pause: () => Promise<void>,
  stored?: Uint8Array,
): Promise<Weighted> {
  const steps = generationSteps(model, seed, stored);
  for (let s = steps.next(); ; s = steps.next()) {
    if (s.done === true) return s.value;
    await pause();
  }
}

/**
 * What generating `model`'s missing weights draws, as text: each missing tensor's name, dims and
 * role in order, the seed, and values drawn now for a probe tensor (they change when randomWeights
 * does). Equal keys give bit-identical weights: a host may keep them under it. Null when no weight
 * is missing.
 */
export function generationKey(model: Model, seed: number): string | null {
  const missing = missingWeights(model);
  if (missing.size === 0) return null;
  const probe: Tensor = { name: "probe", dtype: "float32", dims: [2, 3], storage: { kind: "none" } };
  const drawn = Array.from(randomWeights(probe, "he", seed));
  const tensors = [...missing].map(([name, role]) => [name, model.graph.initializers.get(name)?.dims, role]);
  return JSON.stringify({ seed, probe: drawn, tensors });
}

/**
 * The initializers whose data is missing, in order, with the role of their values; throws for any
 * that cannot be generated.
 */
function missingWeights(model: Model): Map<string, "one" | "zero" | "he"> {
  const consumers = consumersOf(model);
  const missing = new Map<string, "one" | "zero" | "he">();
  for (const [name, t] of model.graph.initializers) {
    const present = t.storage.kind === "inline" || t.storage.kind === "typed" || elementCount(t.dims) === 0;
    if (present) continue;
    if (!isFloat(t.dtype) || dtypeBytes(t.dtype) !== 4)
      throw new ModelError(
        `Cannot run: the data of "${name}" (${t.dtype}) is missing and cannot be generated.`,
      );
    missing.set(name, roleOf(name, consumers.get(name) ?? []));
  }
  return missing;
}

/** Generates the missing weights (or takes them from `stored`), one tensor per step (a yield after each). */
function* generationSteps(model: Model, seed: number, stored?: Uint8Array): Generator<void, Weighted> {
  const g = model.graph;
  const missing = missingWeights(model);
  if (missing.size === 0) return { model, generated: false, drawn: [] };
  const initializers = new Map<string, Tensor>();
  const drawn: Uint8Array[] = [];
  let at = 0;
  for (const [name, t] of g.initializers) {
    const role = missing.get(name);
    if (role === undefined) {
      initializers.set(name, t);
      continue;
    }
    const length = elementCount(t.dims) * dtypeBytes("float32");
    if (stored !== undefined && at + length > stored.length)
      throw new Error("the stored weights are shorter than the missing ones");
    const bytes =
      stored === undefined
        ? new Uint8Array(randomWeights(t, role, seed).buffer)
        : stored.subarray(at, at + length);
    at += length;
    drawn.push(bytes);
    initializers.set(name, { ...t, storage: { kind: "inline", bytes } });
    if (stored === undefined) yield;
  }
  if (stored !== undefined && at !== stored.length)
    throw new Error("the stored weights are longer than the missing ones");
  return { model: { ...model, graph: { ...g, initializers } }, generated: true, drawn };
}

export function buildRunnable(model: Model, opts: RunnableOptions = {}): Runnable {
  const foreign = model.graph.nodes.find((n) => FRAMEWORK_DOMAINS.has(n.domain) && !lowersForRuntime(n));
  if (foreign)
    throw new ModelError(
      `Cannot run: layer "${foreign.layer ?? foreign.name}" (${foreign.opType}) has no ONNX operator; ConvLens analyses it but onnxruntime cannot run it.`,
    );
  // A reader of another format maps what it can to known ops; a layer it could not follow keeps its place
  // as a node with no rule, which onnxruntime would only reject as "No Op registered for caffe.Weird".
  const unfollowed =
    model.format !== "onnx" ? model.graph.nodes.find((n) => !opRule(n.opType, n.domain)) : undefined;
  if (unfollowed)
    throw new ModelError(
      `Cannot run: layer "${unfollowed.layer ?? unfollowed.name}" (${unfollowed.layerType ?? unfollowed.opType}) is not one ConvLens can read, so it cannot be converted for onnxruntime.`,
    );
  // An op a source reader names that is newer than the opset it declares (17): onnxruntime would
  // only answer "Could not find an implementation for AffineGrid(20)".
  const since = (n: Node) => (n.domain ? undefined : opRule(n.opType, n.domain)?.sinceOpset) ?? 0;
  const newer =
    model.format !== "onnx" ? model.graph.nodes.find((n) => since(n) > (model.opsets[""] ?? 0)) : undefined;
  if (newer)
    throw new ModelError(
      `Cannot run: layer "${newer.layer ?? newer.name}" (${newer.opType}) needs ONNX opset ${since(newer)}; the runtime runs opset ${model.opsets[""] ?? "?"}.`,
    );
  const { model: weighted, generated } = withGeneratedWeights(model, opts.seed ?? WEIGHTS_SEED);
  const g = weighted.graph;
  const initializers = new Map(g.initializers);
  const existing = new Set(g.outputs.map((o) => o.name));
  const extra: ValueInfo[] = (opts.extraOutputs ?? [])
    .filter((n) => !existing.has(n))
    .map((name) => ({ name, dtype: "float32", shape: undefined }));
  // Graph outputs keep their declared types; extra ones are float tensors of any shape.
  const outputs = [...g.outputs, ...extra];
  const lowered = lowerForRuntime(floorCeilPools(weighted));
  for (const t of lowered.constants) initializers.set(t.name, t);
  let bytes: Uint8Array;
  try {
    const built: Model = { ...weighted, graph: { ...g, nodes: lowered.nodes, initializers, outputs } };
    const shared = opts.sharedWeights;
    bytes = writeOnnx(shared ? withSharedWeights(built, shared.layout, shared.location) : built);
  } catch (e) {
    throw new ModelError(`Cannot build the model to run: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    bytes,
    randomWeights: generated,
    outputs: outputs.map((o) => o.name),
    notes: model.runNotes ?? [],
  };
}
