/**
 * What every Keras layer rule works with: the layer's config read by Keras argument name (errors name the
 * layer), the nodes and weights it adds named after the layer, and the helpers the rules share
 * (channels-last handling, activations, padding). The rules are in kerasConvLayers.ts and kerasLayers.ts.
 */
import type { AttrValue, Dim, Layout } from "../../ir/types";
import type { GraphBuilder } from "../python/graphBuilder";
import type { PyTensor } from "../python/values";
import { isObject, untuple, type KValue, type KerasLayer } from "./kerasModel";

export class KerasBuildError extends Error {}

/** A layer argument the source computes at run time: the layer is unknown, never the whole model refused. */
export class NotConstantError extends KerasBuildError {}

/** One layer's config read by Keras argument name; errors name the layer. */
export class LayerConfig {
  constructor(readonly layer: KerasLayer) {}

  fail(message: string): never {
    throw new KerasBuildError(`${this.layer.type} "${this.layer.name}": ${message}`);
  }
  raw(key: string): KValue | undefined {
    const why = this.layer.notConstant?.get(key);
    if (why !== undefined) throw new NotConstantError(`${key} is not a constant${why ? ` (${why})` : ""}`);
    return untuple(this.layer.config[key]);
  }
  has(key: string): boolean {
    const v = this.raw(key);
    return v !== undefined && v !== null;
  }
  num(key: string, dflt?: number): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt ?? this.fail(`${key} is missing`);
    const n = Array.isArray(v) && v.length === 1 ? (v as readonly KValue[])[0] : v;
    return typeof n === "number" ? n : this.fail(`${key} is not a number (${JSON.stringify(v)})`);
  }
  int(key: string, dflt?: number): number {
    const n = this.num(key, dflt);
    return Number.isInteger(n) ? n : this.fail(`${key} is not an integer (${n})`);
  }
  /** An int or a list of `rank` ints (kernel_size=3 or (3, 3)). */
  ints(key: string, rank: number, dflt?: number): number[] {
    const v = this.raw(key);
    if (v === undefined || v === null)
      return dflt === undefined ? this.fail(`${key} is missing`) : new Array<number>(rank).fill(dflt);
    if (typeof v === "number") return new Array<number>(rank).fill(v);
    const xs = Array.isArray(v) ? (v as readonly KValue[]).map(untuple) : [];
    if (xs.length !== rank || !xs.every((x): x is number => typeof x === "number" && Number.isInteger(x)))
      this.fail(`${key} ${JSON.stringify(v)} is not ${rank} integer(s)`);
    return xs;
  }
  str(key: string, dflt: string): string {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    return typeof v === "string" ? v : this.fail(`${key} is not a string (${JSON.stringify(v)})`);
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    return typeof v === "boolean" ? v : this.fail(`${key} is not true or false (${JSON.stringify(v)})`);
  }
}

/** What a layer rule works with: its config, and nodes / weights named after the layer. */
export interface LayerOps {
  readonly c: LayerConfig;
  readonly b: GraphBuilder;
  op(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    outputs?: number,
  ): PyTensor[];
  /** One node with one output; `domain` for ConvLens's own ops (ops/kerasOps.ts). */
  one(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    domain?: string,
  ): PyTensor;
  weight(suffix: string, dims: number[], role?: "parameter" | "buffer"): string;
  /**
   * Apply a wrapped layer ({class_name, config}) under this layer's name (Bidirectional, TimeDistributed).
   */
  inner(key: string, xs: readonly PyTensor[]): PyTensor[];
  innerConfig(key: string): LayerOps;
  /** The shape of a tensor, or a clear error (with the shape error that made it unknown). */
  shape(x: PyTensor): readonly Dim[];
  /** The data formats the model's layers use (channelsLast() adds each layer's): the model's layout. */
  readonly formats: Set<Layout>;
}

export type LayerRule = (o: LayerOps, xs: readonly PyTensor[]) => PyTensor | readonly PyTensor[];

export function first(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  return xs[0] ?? o.c.fail("it has no input");
}
export function known(o: LayerOps, d: Dim | undefined, what: string): number {
  return typeof d === "number" ? d : o.c.fail(`${what} is not known (${d ?? "missing"})`);
}
export function rankOf(type: string): number {
  return Number(/([123])D/.exec(type)?.[1] ?? 2);
}
/** The layer's data_format (Keras's default channels_last where it has none), noted for the model. */
export function channelsLast(o: LayerOps): boolean {
  const last = o.c.str("data_format", "channels_last") !== "channels_first";
  o.formats.add(last ? "channels_last" : "channels_first");
  return last;
}
export function channels(o: LayerOps, x: PyTensor): number {
  const s = o.shape(x);
  return known(o, s[channelsLast(o) ? s.length - 1 : 1], "the channels of its input");
}

/** Run an NCHW op on a channels-last tensor: transpose in, op, transpose back. */
export function spatial(o: LayerOps, x: PyTensor, body: (y: PyTensor) => PyTensor): PyTensor {
  const r = o.shape(x).length;
  if (!channelsLast(o) || r <= 2) return body(x);
  const toFirst = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  const toLast = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  return o.one("Transpose", [body(o.one("Transpose", [x.value], { perm: toFirst })).value], { perm: toLast });
}

const ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  elu: "Elu",
  selu: "Selu",
  gelu: "Gelu",
  swish: "Silu",
  silu: "Silu",
  softplus: "Softplus",
  softsign: "Softsign",
  exponential: "Exp",
  mish: "Mish",
  hard_swish: "HardSwish",
  hard_silu: "HardSwish",
};

/**
 * The name of an activation as configs write it: "relu", or Keras 3's {"class_name": "function", "config":
 * "relu"}.
 */
export function activationName(o: LayerOps, key: string): string | undefined {
  const v = o.c.raw(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v["config"] === "string") return v["config"];
  return o.c.fail(`${key} ${JSON.stringify(v)} is not a built-in activation`);
}

export function activate(o: LayerOps, x: PyTensor, fn: string | undefined): PyTensor {
  if (!fn || fn === "linear") return x;
  switch (fn) {
    case "softmax":
      return o.one("Softmax", [x.value], { axis: -1 });
    case "log_softmax":
      return o.one("LogSoftmax", [x.value], { axis: -1 });
    case "relu6":
      return o.one("Clip", [x.value, o.b.constScalar(0), o.b.constScalar(6)]);
    case "leaky_relu":
      return o.one("LeakyRelu", [x.value], { alpha: 0.2 });
    case "hard_sigmoid":
      return o.one("HardSigmoid", [x.value], { alpha: 1 / 6, beta: 0.5 });
  }
  const op = ACTIVATIONS[fn];
  if (!op) o.c.fail(`activation "${fn}" is not known`);
  return o.one(op, [x.value]);
}

export function useBias(o: LayerOps): boolean {
  return o.c.bool("use_bias", true);
}

/** The padding mode, lower-cased as Keras's standardize_padding does (ResNet50 writes "SAME"). */
export function paddingMode(o: LayerOps): string {
  return o.c.str("padding", "valid").toLowerCase();
}

export function padAttrs(o: LayerOps, k: readonly number[], d: readonly number[]): Record<string, AttrValue> {
  const pad = paddingMode(o);
  if (pad === "same") return { auto_pad: "SAME_UPPER" };
  if (pad === "valid") return { auto_pad: "VALID" };
  // Conv1D causal: all the padding on the left, so step t sees only steps ≤ t.
  if (pad === "causal" && k.length === 1) return { pads: [((k[0] ?? 1) - 1) * (d[0] ?? 1), 0] };
  return o.c.fail(`padding "${pad}" is not supported`);
}
