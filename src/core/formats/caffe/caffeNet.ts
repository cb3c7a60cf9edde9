/**
 * The network a Caffe reader builds: blobs by name, IR nodes inferred as they are added (later
 * layers size their weights from earlier outputs), and the errors that keep a layer in place
 * with unknown outputs instead of refusing the file.
 */
import type { AttrValue, Dim, Node, Tensor, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { opRule } from "../../ops/registry";
import type { ValueState } from "../../ops/types";
import type { TextMessage } from "./textProto";

/** A size a layer needs is not known (its input comes after a data layer or a layer ConvLens cannot follow). */
export class UnknownSize extends ModelError {}
/** A layer type ConvLens has no rule for: kept in place, its outputs unknown. */
export class UnsupportedLayer extends ModelError {}

export class Net {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly states = new Map<string, ValueState>();
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
  weight(name: string, dims: number[], role: "parameter" | "buffer" = "parameter"): string {
    if (!this.initializers.has(name)) {
      const t: Tensor = { name, dtype: "float32", dims, storage: { kind: "none" }, role };
      this.initializers.set(name, t);
      this.states.set(name, { dtype: "float32", shape: dims, tensor: t });
    }
    return name;
  }
  /** A float constant that is part of the layer's definition, not a learned weight (BatchNorm's unit scale). */
  floats(name: string, values: number[]): string {
    const t: Tensor = {
      name,
      dtype: "float32",
      dims: [values.length],
      storage: { kind: "typed", values },
      role: "buffer",
    };
    this.initializers.set(name, t);
    this.states.set(name, { dtype: "float32", shape: [values.length], tensor: t, value: values });
    return name;
  }
  ints(values: number[]): string {
    const name = `const_${this.n++}`;
    this.initializers.set(name, {
      name,
      dtype: "int64",
      dims: [values.length],
      storage: { kind: "typed", values },
    });
    this.states.set(name, { dtype: "int64", shape: [values.length], value: values });
    return name;
  }
  /** Add a node and infer its outputs now (later layers need input sizes, e.g. InnerProduct's weight). */
  /** Offsets of the line where the current layer's block starts (for hints in the .prototxt). */
  def: { from: number; to: number } | undefined;

  node(
    layer: string,
    type: string,
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
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
      domain: "",
      inputs,
      outputs: outs,
      attrs,
      ...(this.def ? { source: { def: this.def } } : {}),
    };
    this.nodes.push(node);
    const rule = opRule(opType, "");
    const ins = inputs.map((i) => (i ? this.states.get(i) : undefined));
    let states: ValueState[] = [];
    if (rule && ins.every((s, i) => !inputs[i] || s?.shape)) {
      try {
        states = rule.infer({ node, inputs: ins, opset: 17 });
      } catch {
        // The shared analysis reports the error on this node; here the size is just unknown.
      }
    }
    outs.forEach((o, i) => this.states.set(o, states[i] ?? { dtype: "float32", shape: undefined }));
    return outs;
  }
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

export { numeric } from "../../ops/dims";
