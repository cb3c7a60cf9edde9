/**
 * The network a Caffe reader builds: blobs by name, IR nodes inferred as they are added (later
 * layers size their weights from earlier outputs), and the errors that keep a layer in place
 * with unknown outputs instead of refusing the file.
 */
import type { AttrValue, DType, Dim, Node, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import type { ValueState } from "../../ops/types";
import { InferringGraph } from "../inferringGraph";
import { TextMessage } from "./textProto";

/**
 * A size a layer needs is not known (its input comes after a data layer or a layer ConvLens cannot follow).
 */
export class UnknownSize extends ModelError {}
/** A layer type ConvLens has no rule for: kept in place, its outputs unknown. */
export class UnsupportedLayer extends ModelError {}

export class Net extends InferringGraph {
  private readonly blobs = new Map<string, string>();
  private n = 0;

  blob(name: string, line: number): string {
    const v = this.blobs.get(name);
    if (!v)
      throw new ModelError(`line ${line}: bottom "${name}" is not produced by any earlier layer or input`);
    return v;
  }
  state(v: string): ValueState | undefined {
    return this.states.get(v);
  }
  /** A top: in-place layers (top == bottom) get a fresh IR value so the graph stays acyclic. */
  setBlob(name: string, value: string): void {
    this.blobs.set(name, value);
  }
  input(name: string, shape: Dim[] | undefined): ValueInfo {
    this.blobs.set(name, name);
    this.states.set(name, { dtype: "float32", shape });
    return { name, dtype: "float32", shape };
  }
  /** A layer ConvLens cannot follow keeps its place: one node with no op rule, its outputs unknown. */
  opaque(layer: string, type: string, inputs: string[], outputs: number): string[] {
    const id = this.n++;
    const outs = Array.from({ length: outputs }, (_, i) => `${layer}#${id}_${i}`);
    this.nodes.push({
      name: `${layer}/${type}_${id}`,
      layer,
      layerType: type,
      opType: `caffe.${type}`,
      domain: "",
      inputs,
      outputs: outs,
      attrs: {},
      ...(this.def ? { source: { def: this.def } } : {}),
    });
    outs.forEach((o) => this.states.set(o, { dtype: "float32", shape: undefined }));
    return outs;
  }
  /**
   * A float constant that is part of the layer's definition, not a learned weight (BatchNorm's unit scale).
   */
  floats(name: string, values: number[]): string {
    return this.constant(name, "float32", [values.length], values, { role: "buffer", always: true });
  }
  ints(values: number[]): string {
    return this.constant(`const_${this.n++}`, "int64", [values.length], values, { always: true });
  }
  /**
   * The names the current layer gives its blobs, by position (`param { name: "conv1_w" }`, V1
   * `param: "conv1_w"`). Caffe shares a named blob between every layer that names it (siamese
   * branches): it is one parameter, counted once, kept under its first owner's name.
   */
  beginLayer(l: TextMessage): void {
    this.blobNames = l.all("param").map((p) => (p instanceof TextMessage ? p.str("name") : String(p)));
    this.blobIndex = 0;
  }
  private blobNames: (string | undefined)[] = [];
  private blobIndex = 0;
  private readonly sharedBlobs = new Map<string, string>();

  override weight(
    name: string,
    dims: number[],
    role: "parameter" | "buffer" = "parameter",
    dtype: DType = "float32",
  ): string {
    const shared = this.blobNames[this.blobIndex++];
    if (!shared) return super.weight(name, dims, role, dtype);
    const owner = this.sharedBlobs.get(shared) ?? name;
    this.sharedBlobs.set(shared, owner);
    return super.weight(owner, dims, role, dtype);
  }

  /** Offsets of the line where the current layer's block starts (for hints in the .prototxt). */
  def: { from: number; to: number } | undefined;

  /** Add a node and infer its outputs now (later layers need input sizes, e.g. InnerProduct's weight). */
  node(
    layer: string,
    type: string,
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
    domain = "",
  ): string[] {
    const id = this.n++;
    // Values are named after the layer where that is unambiguous ("prob"), else numbered.
    const outs = Array.from({ length: outputs }, (_, i) =>
      outputs === 1 && !this.states.has(layer) ? layer : `${layer}#${id}_${i}`,
    );
    const node: Node = {
      name: `${layer}/${opType}_${id}`,
      layer,
      layerType: type,
      opType,
      domain,
      inputs,
      outputs: outs,
      attrs,
      ...(this.def ? { source: { def: this.def } } : {}),
    };
    // A rejected input is reported on this node by the shared analysis; here the size is just unknown.
    this.addNode(node);
    return outs;
  }
}

/** The numeric shape of a layer's input, or UnknownSize naming the layer. */
export function knownShape(net: Net, l: TextMessage, name: string, x: string): number[] {
  const s = numeric(net.state(x)?.shape);
  if (!s) throw new UnknownSize(`layer "${name}" (line ${l.line}): the size of its input is unknown`);
  return s;
}

/** A variant of a known layer type ConvLens cannot follow: kept in place, outputs unknown. */
export function unsupportedVariant(l: TextMessage, type: string, name: string, what: string): never {
  throw new UnsupportedLayer(
    `layer "${name}" (line ${l.line}): ${type} ${what} is not supported; its outputs are unknown`,
  );
}

export function twoDims(
  p: TextMessage,
  single: string,
  h: string,
  w: string,
  dflt: number,
): [number, number] {
  const list = p.nums(single);
  const hv = p.num(h) ?? list[0] ?? dflt;
  const wv = p.num(w) ?? list[1] ?? list[0] ?? dflt;
  return [hv, wv];
}

import { numeric } from "../../ops/dims";
export { numeric };
