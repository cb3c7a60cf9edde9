/**
 * The Run tab feeds images and draws feature maps channels first (N, C, H, W). A channels-last
 * model (Keras, TFLite: N, H, W, C) is run through a wrapper graph instead: each rank-4 float
 * input is taken NCHW and transposed in, and each rank-4 value to draw gets an NCHW copy, so
 * pixels and channels land where the Run tab reads them. The model's own nodes are unchanged.
 */
import type { Model, Node, ValueInfo } from "../ir/types";

/** The suffix of the NCHW input and value copies. */
const NCHW = "::nchw";

export interface ChannelsFirstView {
  readonly model: Model;
  /** Value name → the name of its NCHW copy (rank-4 values only). */
  readonly copies: ReadonlyMap<string, string>;
}

/** `values`: the values to draw with their rank (layer outputs). */
export function channelsFirstView(
  model: Model,
  values: readonly { readonly name: string; readonly rank: number }[],
): ChannelsFirstView {
  if (model.layout !== "channels_last") return { model, copies: new Map() };
  const g = model.graph;
  const front: Node[] = [];
  const inputs: ValueInfo[] = g.inputs.map((v) => {
    const s = v.shape;
    if (!s || s.length !== 4 || !v.dtype.startsWith("float")) return v;
    const name = v.name + NCHW;
    front.push(transpose(`${name}/to_nhwc`, name, v.name, [0, 2, 3, 1]));
    return { ...v, name, shape: [s[0] ?? 1, s[3] ?? 1, s[1] ?? 1, s[2] ?? 1] };
  });
  const copies = new Map<string, string>();
  const back: Node[] = [];
  for (const v of values) {
    if (v.rank !== 4 || copies.has(v.name)) continue;
    copies.set(v.name, v.name + NCHW);
    back.push(transpose(`${v.name}${NCHW}/to_nchw`, v.name, v.name + NCHW, [0, 3, 1, 2]));
  }
  if (front.length === 0 && back.length === 0) return { model, copies };
  return {
    model: { ...model, graph: { ...g, inputs, nodes: [...front, ...g.nodes, ...back] } },
    copies,
  };
}

function transpose(name: string, input: string, output: string, perm: number[]): Node {
  return { name, opType: "Transpose", domain: "", inputs: [input], outputs: [output], attrs: { perm } };
}
