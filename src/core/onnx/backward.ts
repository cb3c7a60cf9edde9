/**
 * Backward visualisations as ONNX graphs: onnxruntime has no autograd, so the
 * gradient (or its guided / deconvnet variant) is built as extra nodes after the
 * forward graph, from the per-op rules in backwardRules.ts, and runs on the same
 * runtime. Outputs: the forward "output" plus the requested map.
 */
import { analyzeModel } from "../analysis/analyze";
import type { AttrValue, Dim, Model, Node, Tensor } from "../ir/types";
import { ModelError } from "../ir/types";
import { constantTensor, tensorValues } from "../ir/tensorData";
import { NoRule, type GradEmitter, type Rectification } from "./backwardRuleKit";
import { GRAD_RULES } from "./backwardRules";

export type { Rectification };

export type BackwardTarget =
  /** The pre-softmax output (logit) of this class. */
  | { readonly kind: "class"; readonly index: number }
  /**
   * The single largest activation of a value (or of one channel), kept at its value, all others zero (ZF
   * deconvnet).
   */
  | { readonly kind: "maxUnit"; readonly value: string; readonly channel?: number }
  /** One position of a value (all channels, or one): the effective receptive field's centre unit. */
  | {
      readonly kind: "unit";
      readonly value: string;
      readonly position: readonly number[];
      readonly channel?: number;
    }
  /** The mean of one channel of a value (activation maximisation of a filter). */
  | { readonly kind: "channelMean"; readonly value: string; readonly channel: number }
  /** ½‖A‖² of a whole value (Deep Dream): its gradient is A itself. */
  | { readonly kind: "energy"; readonly value: string };

/**
 * A seed the runner feeds instead of a constant, so that one graph (and one session) serves
 * every class or channel: "classOneHot" is 1 at the class and 0 elsewhere; "channelMask" is added
 * to the layer before its largest unit is found, 0 at the channel and −1e30 at the others.
 */
export interface SeedInput {
  readonly name: string;
  readonly kind: "classOneHot" | "channelMask";
  readonly dims: readonly number[];
}

export interface BackwardGraph {
  readonly model: Model;
  /** Name of the map output. */
  readonly output: string;
  /** The fed seed, when the graph was built with one (its values: seedValues). */
  readonly seedInput?: SeedInput;
}

/** Pushes the other channels far below any activation, so that the maximum lies in the chosen one. */
const OTHER_CHANNELS = -1e30;

/**
 * The values of a seed: the class's one-hot, or the channel's mask (all 0: any channel). The
 * constant seeds of graphs built for one class or channel are these same values.
 */
export function seedValues(seed: Omit<SeedInput, "name">, index: number | undefined): Float32Array {
  const n = seed.dims.reduce((a, c) => a * c, 1);
  if (seed.kind === "classOneHot") {
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= n)
      throw new ModelError(`class ${index ?? "?"} is out of range (0…${n - 1})`);
    const onehot = new Float32Array(n);
    onehot[index] = 1;
    return onehot;
  }
  if (index === undefined) return new Float32Array(n);
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new ModelError(`channel ${index} is out of range (0…${n - 1})`);
  const mask = new Float32Array(n).fill(OTHER_CHANNELS);
  mask[index] = 0;
  return mask;
}

class Builder implements GradEmitter {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  seedInput: SeedInput | undefined;
  private n = 0;
  constructor(private readonly shapes: ReadonlyMap<string, readonly Dim[]>) {}
  private name(prefix: string): string {
    return `/backward/${prefix}_${this.n++}`;
  }
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
  ): string[] {
    const name = this.name(opType);
    const outs = Array.from({ length: outputs }, (_, i) => `${name}_out${i}`);
    // Attribute types come from the op's schema when written (ops/attrSchemas.ts).
    this.nodes.push({ name, opType, domain: "", inputs, outputs: outs, attrs });
    return outs;
  }
  constInts(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.name("ints");
    this.initializers.set(name, constantTensor(name, "int64", dims, values));
    return name;
  }
  constFloats(values: readonly number[] | Float32Array, dims: readonly number[]): string {
    const name = this.name("floats");
    this.initializers.set(name, {
      name,
      dtype: "float32",
      dims: [...dims],
      storage: { kind: "inline", bytes: new Uint8Array(Float32Array.from(values).buffer) },
    });
    return name;
  }
  /** The seed: a graph input when `fed`, else a constant of its values for `index`. */
  seed(kind: SeedInput["kind"], dims: readonly number[], index: number | undefined, fed: boolean): string {
    if (!fed) return this.constFloats(seedValues({ kind, dims }, index), dims);
    this.seedInput = { name: `/backward/${kind}`, kind, dims: [...dims] };
    return this.seedInput.name;
  }
  shapeOf(value: string): readonly Dim[] | undefined {
    return this.shapes.get(value);
  }
  sum(grads: readonly string[]): string {
    return grads.reduce((a, b) => this.node("Add", [a, b])[0] ?? a);
  }
}

function valueShapes(model: Model): Map<string, readonly Dim[]> {
  const a = analyzeModel(model, { modelName: "backward" });
  const shapes = new Map<string, readonly Dim[]>();
  for (const v of a.inputs) if (v.shape) shapes.set(v.name, v.shape);
  for (const l of a.layers) for (const o of l.outputs) if (o.shape) shapes.set(o.name, o.shape);
  for (const [n, t] of model.graph.initializers) shapes.set(n, t.dims);
  return shapes;
}

/** Values computed from the graph input (the data path), as opposed to weights and constants. */
function dataValues(model: Model): Set<string> {
  const data = new Set(model.graph.inputs.map((i) => i.name));
  for (const n of model.graph.nodes)
    if (n.inputs.some((i) => data.has(i))) for (const o of n.outputs) data.add(o);
  return data;
}

/** Nodes between `from` (a value the gradient starts at) back to `to`, in reverse order. */
function pathNodes(model: Model, from: string, to: string): Node[] {
  const below = new Set([to]);
  for (const n of model.graph.nodes)
    if (n.inputs.some((i) => below.has(i))) for (const o of n.outputs) below.add(o);
  const needed = new Set([from]);
  const out: Node[] = [];
  for (const n of [...model.graph.nodes].reverse()) {
    if (!n.outputs.some((o) => needed.has(o)) || !n.outputs.some((o) => below.has(o))) continue;
    out.push(n);
    for (const i of n.inputs) if (below.has(i)) needed.add(i);
  }
  return out;
}

function gradientTo(
  model: Model,
  b: Builder,
  start: string,
  seed: string,
  stop: string,
  method: Rectification,
): string {
  const data = dataValues(model);
  const grads = new Map<string, string[]>([[start, [seed]]]);
  for (const node of pathNodes(model, start, stop)) {
    const list = grads.get(node.outputs[0] ?? "");
    if (!list?.length) continue;
    const rule = GRAD_RULES[node.opType];
    if (!rule)
      throw new ModelError(`${method} is not available: no backward rule for ${node.opType} at ${node.name}`);
    let inputGrads: (string | undefined)[];
    try {
      inputGrads = rule({
        node,
        dy: b.sum(list),
        method,
        e: b,
        isData: (v) => data.has(v),
        constant: (v) => {
          const t = model.graph.initializers.get(v);
          return t && tensorValues(t);
        },
      });
    } catch (e) {
      if (e instanceof NoRule)
        throw new ModelError(`${method} is not available: ${e.message} at ${node.name}`);
      throw e;
    }
    inputGrads.forEach((g, i) => {
      const input = node.inputs[i];
      if (!g || !input || !data.has(input)) return;
      grads.set(input, [...(grads.get(input) ?? []), g]);
    });
  }
  const result = grads.get(stop);
  if (!result?.length) throw new ModelError(`no gradient reaches ${stop}`);
  return b.sum(result);
}

/** Where the backward pass starts and its seed; a class or channel is `fed` at run time when asked. */
function seedFor(
  model: Model,
  b: Builder,
  target: BackwardTarget,
  fed: boolean,
): { start: string; seed: string } {
  if (target.kind === "class") {
    // The class's logit: a Softmax that ends the model (Keras's, TFLite's classifiers) is stepped over.
    const last = model.graph.outputs[0]?.name ?? "";
    const producer = model.graph.nodes.find((n) => n.outputs[0] === last);
    const out = producer && /^(Log)?Softmax$/.test(producer.opType) ? (producer.inputs[0] ?? last) : last;
    const shape = b.shapeOf(out);
    if (!shape || !shape.every((d): d is number => typeof d === "number"))
      throw new ModelError("the output shape is not known");
    return { start: out, seed: b.seed("classOneHot", shape, target.index, fed) };
  }
  if (target.kind === "energy") return { start: target.value, seed: target.value };
  if (target.kind === "channelMean") {
    const shape = b.shapeOf(target.value);
    if (!shape || !shape.every((d): d is number => typeof d === "number") || shape.length < 2)
      throw new ModelError(`the shape of ${target.value} is not known`);
    const plane = shape.slice(2).reduce((x, y) => x * y, 1);
    if (target.channel < 0 || target.channel >= (shape[1] ?? 0))
      throw new ModelError(`channel ${target.channel} is out of range (0…${(shape[1] ?? 1) - 1})`);
    const seed = new Array<number>(shape.reduce((x, y) => x * y, 1)).fill(0);
    for (let n = 0; n < (shape[0] ?? 1); n++)
      seed.fill(
        1 / plane,
        (n * (shape[1] ?? 1) + target.channel) * plane,
        (n * (shape[1] ?? 1) + target.channel + 1) * plane,
      );
    return { start: target.value, seed: b.constFloats(seed, shape) };
  }
  if (target.kind === "unit") {
    const shape = b.shapeOf(target.value);
    if (
      !shape ||
      !shape.every((d): d is number => typeof d === "number") ||
      shape.length !== target.position.length + 2
    )
      throw new ModelError(`the shape of ${target.value} does not fit a unit position`);
    const plane = shape.slice(2).reduce((x, y) => x * y, 1);
    const offset = target.position.reduce((acc, p, i) => acc * (shape[i + 2] ?? 1) + p, 0);
    const onehot = new Array<number>(shape.reduce((x, y) => x * y, 1)).fill(0);
    for (let c = 0; c < (shape[1] ?? 1); c++)
      if (target.channel === undefined || target.channel === c) onehot[c * plane + offset] = 1;
    return { start: target.value, seed: b.constFloats(onehot, shape) };
  }
  const a = target.value;
  // Behind a monotone activation the largest unit is found on its input: tanh and sigmoid
  // saturate to equal float32 values (1.0) where their inputs still differ.
  const producer = model.graph.nodes.find((n) => n.outputs[0] === a);
  const key = producer && ["Tanh", "Sigmoid"].includes(producer.opType) ? (producer.inputs[0] ?? a) : a;
  let scored = key;
  if (target.channel !== undefined || fed) {
    // Other channels are pushed far below any activation (a [1, C, 1, …] mask, broadcast).
    const shape = b.shapeOf(a);
    const channels = shape?.[1];
    if (!shape || typeof channels !== "number" || shape.length < 2)
      throw new ModelError(`the channels of ${a} are not known`);
    const dims = [1, channels, ...shape.slice(2).map(() => 1)];
    scored = b.node("Add", [key, b.seed("channelMask", dims, target.channel, fed)])[0] ?? key;
  }
  const max = b.node("ReduceMax", [scored], { keepdims: 1 })[0] ?? "";
  const mask = b.node("Cast", [b.node("Equal", [scored, max])[0] ?? ""], { to: 1 })[0] ?? "";
  return { start: a, seed: b.node("Mul", [a, mask])[0] ?? "" };
}

function finish(model: Model, b: Builder, result: string, name: string): BackwardGraph {
  b.node("Identity", [result]);
  const last = b.nodes[b.nodes.length - 1] as Node;
  const named: Node = { ...last, outputs: [name] };
  b.nodes[b.nodes.length - 1] = named;
  const g = model.graph;
  return {
    model: {
      ...model,
      graph: {
        ...g,
        nodes: [...g.nodes, ...b.nodes],
        initializers: new Map([...g.initializers, ...b.initializers]),
        inputs: b.seedInput
          ? [...g.inputs, { name: b.seedInput.name, dtype: "float32", shape: [...b.seedInput.dims] }]
          : g.inputs,
        outputs: [...g.outputs, { name, dtype: "float32", shape: undefined }],
      },
    },
    output: name,
    ...(b.seedInput ? { seedInput: b.seedInput } : {}),
  };
}

export interface SeedOptions {
  /**
   * The class (class targets) or channel (largest-unit targets) is fed at run time (`seedInput`)
   * instead of built in: one graph for all of them. Other targets keep their constant seed.
   */
  readonly fedSeed?: boolean;
}

/** The input-space map: saliency, guided backprop or deconvnet, for a class logit or a unit. */
export function buildInputGradient(
  model: Model,
  method: Rectification,
  target: BackwardTarget,
  opts: SeedOptions = {},
): BackwardGraph {
  const b = new Builder(valueShapes(model));
  const input = model.graph.inputs[0]?.name;
  if (!input) throw new ModelError("the model has no input");
  const { start, seed } = seedFor(model, b, target, opts.fedSeed === true);
  return finish(model, b, gradientTo(model, b, start, seed, input, method), "input_grad");
}

/** Grad-CAM (Selvaraju et al.): ReLU(Σ_k mean(∂logit/∂A_k) · A_k) at layer value A, shape [H, W]. */
export function buildGradCam(
  model: Model,
  layerValue: string,
  classIndex: number,
  opts: SeedOptions = {},
): BackwardGraph {
  const shapes = valueShapes(model);
  const b = new Builder(shapes);
  const shape = shapes.get(layerValue);
  if (!shape || shape.length < 3)
    throw new ModelError(
      `Grad-CAM needs a layer with spatial axes; ${layerValue} has shape [${shape?.join(", ") ?? "?"}]`,
    );
  const target = { kind: "class", index: classIndex } as const;
  const { start, seed } = seedFor(model, b, target, opts.fedSeed === true);
  // A channels-first copy (core/onnx/channelsFirst) feeds nothing: its gradient is its source's, transposed.
  const g = model.graph;
  const producer = g.nodes.find((n) => n.outputs[0] === layerValue);
  const copy = producer?.opType === "Transpose" && !g.nodes.some((n) => n.inputs.includes(layerValue));
  const dA =
    copy && producer.inputs[0]
      ? (b.node("Transpose", [gradientTo(model, b, start, seed, producer.inputs[0], "saliency")], {
          perm: producer.attrs["perm"] ?? [],
        })[0] ?? "")
      : gradientTo(model, b, start, seed, layerValue, "saliency");
  const spatial = shape.slice(2).map((_, i) => i + 2);
  const opset = model.opsets[""] ?? 13;
  // Reduce ops take axes as an input from opset 18 (ReduceSum from 13), as an attribute before.
  const reduce = (op: string, x: string, axes: number[], keepdims: number, axesAsInput: boolean) =>
    b.node(
      op,
      axesAsInput ? [x, b.constInts(axes)] : [x],
      axesAsInput ? { keepdims } : { axes, keepdims },
    )[0] ?? "";
  const alpha = reduce("ReduceMean", dA, spatial, 1, opset >= 18);
  const weighted = b.node("Mul", [alpha, layerValue])[0] ?? "";
  const cam = b.node("Relu", [reduce("ReduceSum", weighted, [1], 0, opset >= 13)])[0] ?? "";
  const map =
    b.node("Reshape", [cam, b.constInts(shape.slice(2).map((d) => (typeof d === "number" ? d : -1)))])[0] ??
    "";
  return finish(model, b, map, "gradcam");
}

/** The last value with spatial axes before the network goes global: Grad-CAM's and the ERF's usual layer. */
export function lastSpatialValue(model: Model): string {
  const a = analyzeModel(model, { modelName: "explain" });
  const spatial = a.layers.filter(
    (l) =>
      l.rf?.kind === "spatial" &&
      (l.outputs[0]?.shape?.length ?? 0) >= 3 &&
      l.opType !== "MaxPool" &&
      l.opType !== "AveragePool",
  );
  const last = spatial[spatial.length - 1];
  if (!last?.outputs[0]) throw new ModelError("the model has no layer with spatial axes");
  return last.outputs[0].name;
}
