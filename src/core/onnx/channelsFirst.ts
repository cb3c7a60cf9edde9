/**
 * The Run tab feeds images and draws feature maps channels first (N, C, H, W). A channels-last
 * model (Keras, TFLite: N, H, W, C) is run through a wrapper graph instead: each float input of
 * rank 3–5 is taken channels first and transposed in, and each value to draw that is known to be
 * channels last gets a channels-first copy, so pixels and channels land where the Run tab reads
 * them. The readers run NCHW ops between transposes, so a channels-last model holds channels-first
 * values too (a conv's own output): valueLayouts() follows the layout from the inputs through the
 * transposes, and a value whose layout it cannot follow is not drawn (notDrawn says why). A Keras
 * model whose layers mix data formats ("mixed") is followed the same way from each input's own layout
 * (inputLayoutsOf): an input whose layout is not known is fed as the file declares it.
 */
import { inputLayout } from "../ir/layout";
import type { Graph, Layout, Model, Node, ValueInfo } from "../ir/types";
import { opRule } from "../ops/registry";
import { consumersOf } from "./runnable";

/** The suffix of the channels-first input and value copies. */
const NCHW = "::nchw";

/**
 * The one test of "this model keeps channels last, in some inputs or layers" (TFLite, Keras; a mixed Keras
 * model too): its values' layouts are followed. Every consumer asks here.
 */
export function isChannelsLast(model: Pick<Model, "layout">): boolean {
  return model.layout === "channels_last" || model.layout === "mixed";
}

/** (N, spatial…, C) → (N, C, spatial…) for this rank. */
export function toFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** (N, C, spatial…) → (N, spatial…, C) for this rank. */
export function toLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

const drawnRank = (rank: number): boolean => rank >= 3 && rank <= 5;
const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Ops of the IR that run channels first on their first input and keep that layout. */
const NCHW_OPS = new Set([
  "Conv",
  "ConvTranspose",
  "MaxPool",
  "AveragePool",
  "LpPool",
  "GlobalAveragePool",
  "GlobalMaxPool",
  "LRN",
  "BatchNormalization",
  "InstanceNormalization",
  "DepthToSpace",
  "SpaceToDepth",
]);
/** Ops whose output keeps the layout of their data inputs (besides the elementwise ones). */
const KEEPING = new Set(["Pad", "Resize", "Upsample", "Dropout", "Identity", "Cast", "Clip", "Concat"]);

export type ValueLayout = "first" | "last";

/** Ops whose output keeps the layout of their data inputs. */
function keepsLayout(n: Node): boolean {
  return KEEPING.has(n.opType) || opRule(n.opType, n.domain)?.rf === "elementwise";
}

/** A transpose from channels last to channels first (of its perm's rank). */
function isToFirst(n: Node): boolean {
  const perm = n.attrs["perm"];
  return n.opType === "Transpose" && Array.isArray(perm) && same(perm.map(Number), toFirstPerm(perm.length));
}

/**
 * Each float image input's layout as the ops that read it say (a Keras model whose layers mix data
 * formats): a transpose to channels first reads it channels last, a channels-first op reads it as it is,
 * and the layout-keeping ops between are followed. An input read both ways, or by neither, is left out.
 */
export function inputLayoutsOf(graph: Graph): Map<string, Layout> {
  const readers = consumersOf({ graph });
  const out = new Map<string, Layout>();
  for (const v of graph.inputs) {
    if (!v.dtype.startsWith("float") || !drawnRank(v.shape?.length ?? 0)) continue;
    const says = new Set<Layout>();
    const seen = new Set<string>();
    for (let stack = [v.name], x = stack.pop(); x !== undefined; x = stack.pop()) {
      if (seen.has(x)) continue;
      seen.add(x);
      for (const { node: n } of readers.get(x) ?? []) {
        if (isToFirst(n)) says.add("channels_last");
        else if (NCHW_OPS.has(n.opType) && n.inputs[0] === x) says.add("channels_first");
        else if (keepsLayout(n) && n.outputs[0] !== undefined) stack.push(n.outputs[0]);
      }
    }
    const [only] = says;
    if (says.size === 1 && only !== undefined) out.set(v.name, only);
  }
  return out;
}

/**
 * Where each rank-3–5 value of a channels-last model keeps its channels, as far as it can be
 * followed from the inputs: a transpose to or from channels first flips it, elementwise ops and
 * the channels-first ops keep it; anything else (reshapes, matmuls, other transposes) loses it.
 */
export function valueLayouts(model: Model): ReadonlyMap<string, ValueLayout> {
  const g = model.graph;
  const out = new Map<string, ValueLayout>();
  for (const v of g.inputs) {
    const layout = inputLayout(model, v.name);
    if (v.dtype.startsWith("float") && drawnRank(v.shape?.length ?? 0) && layout !== undefined)
      out.set(v.name, layout === "channels_last" ? "last" : "first");
  }
  for (const n of g.nodes) {
    const data = n.inputs.filter((i) => i !== "" && !g.initializers.has(i));
    const tags = data.map((i) => out.get(i));
    const first = n.inputs[0] === undefined ? undefined : out.get(n.inputs[0]);
    let tag: ValueLayout | undefined;
    if (n.opType === "Transpose") {
      const perm = n.attrs["perm"];
      const rank = Array.isArray(perm) ? perm.length : 0;
      const p = Array.isArray(perm) ? perm.map(Number) : [];
      if (first === "last" && same(p, toFirstPerm(rank))) tag = "first";
      if (first === "first" && same(p, toLastPerm(rank))) tag = "last";
    } else if (NCHW_OPS.has(n.opType)) {
      tag = first === "first" ? "first" : undefined;
    } else if (keepsLayout(n)) {
      // Every non-weight input must agree (a broadcast constant is a weight).
      const known = tags[0];
      if (known !== undefined && tags.every((t) => t === known)) tag = known;
    }
    const o = n.outputs[0];
    if (tag !== undefined && o !== undefined) out.set(o, tag);
  }
  return out;
}

export interface ChannelsFirstView {
  readonly model: Model;
  /** Value name → the name of its channels-first copy (channels-last values only). */
  readonly copies: ReadonlyMap<string, string>;
  /** Value name → why it is not drawn (a rank-3–5 value whose layout cannot be followed). */
  readonly notDrawn: ReadonlyMap<string, string>;
}

const UNKNOWN =
  "this channels-last model's tensor here has no known channel axis (after a reshape or a " +
  "transpose ConvLens does not follow), so it is not drawn rather than drawn wrong";

/** The input as the Run tab feeds it: a channels-last float image input channels first. */
export function fedInput(model: Model, v: ValueInfo): ValueInfo {
  const s = v.shape;
  const last = inputLayout(model, v.name) === "channels_last";
  if (!last || !s || !drawnRank(s.length) || !v.dtype.startsWith("float")) return v;
  return { ...v, name: v.name + NCHW, shape: toFirstPerm(s.length).map((i) => s[i] ?? 1) };
}

/** `values`: the values to draw with their rank (layer outputs). */
export function channelsFirstView(
  model: Model,
  values: readonly { readonly name: string; readonly rank: number }[],
): ChannelsFirstView {
  if (!isChannelsLast(model)) return { model, copies: new Map(), notDrawn: new Map() };
  const g = model.graph;
  const front: Node[] = [];
  const inputs: ValueInfo[] = g.inputs.map((v) => {
    const fed = fedInput(model, v);
    if (fed !== v)
      front.push(transpose(`${fed.name}/to_last`, fed.name, v.name, toLastPerm(v.shape?.length ?? 0)));
    return fed;
  });
  const layouts = valueLayouts(model);
  const copies = new Map<string, string>();
  const notDrawn = new Map<string, string>();
  const back: Node[] = [];
  for (const v of values) {
    if (!drawnRank(v.rank) || copies.has(v.name)) continue;
    const tag = layouts.get(v.name);
    if (tag === undefined) notDrawn.set(v.name, UNKNOWN);
    if (tag !== "last") continue;
    copies.set(v.name, v.name + NCHW);
    back.push(transpose(`${v.name}${NCHW}/to_first`, v.name, v.name + NCHW, toFirstPerm(v.rank)));
  }
  if (front.length === 0 && back.length === 0) return { model, copies, notDrawn };
  return {
    model: { ...model, graph: { ...g, inputs, nodes: [...front, ...g.nodes, ...back] } },
    copies,
    notDrawn,
  };
}

/** How each of the model's own outputs is drawn: an output is an output view's key when it differs. */
export type OutputView = { readonly value: string } | { readonly notDrawn: string };

/**
 * The model's outputs that a view (channelsFirstView, given the outputs among its values) draws from a
 * channels-first copy, or does not draw: a channels-last segmentation mask is not drawn as if NCHW.
 */
export function outputViewsOf(
  model: Model,
  view: Pick<ChannelsFirstView, "copies" | "notDrawn">,
): Record<string, OutputView> {
  const views: Record<string, OutputView> = {};
  for (const { name } of model.graph.outputs) {
    const copy = view.copies.get(name);
    const why = view.notDrawn.get(name);
    if (copy !== undefined) views[name] = { value: copy };
    else if (why !== undefined) views[name] = { notDrawn: why };
  }
  return views;
}

function transpose(name: string, input: string, output: string, perm: number[]): Node {
  return { name, opType: "Transpose", domain: "", inputs: [input], outputs: [output], attrs: { perm } };
}
