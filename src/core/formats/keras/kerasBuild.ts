/**
 * Builds a Keras model — recorded from Python source or read from a saved file — into
 * the shared IR, in each layer's data_format as Keras reports shapes (a channels_last conv runs
 * as Transpose → Conv → Transpose; kerasLayout says which the inputs are), with Keras layer names
 * and Keras parameter counts: the functional graph and Sequential stacks are walked here; what each
 * layer computes is its rule, once, read from `get_config()` names (kerasLayers.ts,
 * kerasConvLayers.ts, kerasRecurrent.ts).
 */
import type { Graph, Layout, Model } from "../../ir/types";
import { inputLayoutsOf } from "../../onnx/channelsFirst";
import type { GraphBuilder } from "../python/graphBuilder";
import type { PyTensor } from "../python/values";
import {
  KerasBuildError,
  LayerConfig,
  NotConstantError,
  type LayerOps,
  type LayerRule,
} from "./kerasLayerOps";
import { LAYERS } from "./kerasLayers";
import {
  isObject,
  kerasDType,
  shapeDims,
  type KNode,
  type KObject,
  type KerasLayer,
  type KerasModel,
} from "./kerasModel";
import { OPERATOR_RULES } from "./kerasOperators";

// Thrown by the layer rules; readers catch it from here, with the builder that throws it.
export { KerasBuildError };

/** Layers, and the keras.ops operations Python operators on Keras tensors record. */
const RULES: Readonly<Record<string, LayerRule>> = { ...LAYERS, ...OPERATOR_RULES };

/** A layer the builder cannot follow, kept in its place: its output and its parameters are unknown. */
export interface KerasUnknownLayer {
  readonly path: string;
  readonly reason: string;
}

const NO_INPUT =
  "no input shape: give the first layer input_shape=(…) or start the model with keras.Input(shape=(…))";

function declaredInput(l: KerasLayer | undefined): Extract<KNode, { kind: "input" }> | undefined {
  if (!l) return undefined;
  const c = l.config;
  const full = shapeDims(c["batch_shape"] ?? c["batch_input_shape"]);
  // Keras 2 gives an Embedding without an input shape the input (None, input_length).
  const length = c["input_length"];
  const inner =
    shapeDims(c["input_shape"] ?? c["shape"]) ??
    (l.type === "Embedding" ? [typeof length === "number" ? length : "None"] : undefined);
  const shape = full ?? (inner ? ["None", ...inner] : undefined);
  if (!shape) return undefined;
  const dtype = l.type === "InputLayer" ? kerasDType(c["dtype"]) : "float32";
  return { kind: "input", name: l.type === "InputLayer" ? l.name : "input", shape, dtype };
}

/** Wrapped layers are written {class_name, config} (Bidirectional's `layer`, TimeDistributed's). */
function innerLayer(o: LayerConfig, key: string): KerasLayer {
  const v = o.raw(key);
  if (!isObject(v) || typeof v["class_name"] !== "string" || !isObject(v["config"]))
    return o.fail(`${key} is not a layer`);
  const config: KObject = v["config"];
  return {
    type: v["class_name"],
    name: typeof config["name"] === "string" ? config["name"] : o.layer.name,
    config,
    ...(o.layer.source ? { source: o.layer.source } : {}),
  };
}

/** The variable the source bound a tensor to (output `index` of `node`), if any: its value's name. */
export type KerasSourceName = (node: KNode, index: number) => string | undefined;

class Build {
  private readonly inputNames = new Set<string>();
  readonly unknown: KerasUnknownLayer[] = [];
  readonly formats = new Set<Layout>();
  constructor(
    private readonly b: GraphBuilder,
    private readonly sourceName: KerasSourceName,
  ) {}

  private input(n: Extract<KNode, { kind: "input" }>): PyTensor {
    let name = n.name;
    for (let k = 1; this.inputNames.has(name); k++) name = `${n.name}_${k}`;
    this.inputNames.add(name);
    return this.b.input(name, n.dtype, [...n.shape]);
  }

  /** Nodes and weights of `l`, named after `as` (the wrapper, for Bidirectional's LSTM). */
  private ops(l: KerasLayer, as: KerasLayer, prefix: string): LayerOps {
    const name = prefix + as.name;
    const base = {
      scope: name,
      layerName: name,
      layerType: as.type,
      ...(as.source ? { source: as.source } : {}),
    };
    const b = this.b;
    const c = new LayerConfig(l);
    const ops: LayerOps = {
      c,
      b,
      op: (opType, inputs, attrs = {}, outputs = 1) => b.op(opType, inputs, attrs, { ...base, outputs }),
      one: (opType, inputs, attrs = {}, domain) =>
        b.op(opType, inputs, attrs, { ...base, ...(domain ? { domain } : {}) })[0] as PyTensor,
      weight: (suffix, dims, role = "parameter") => b.weight(`${name}/${suffix}`, dims, role),
      inner: (key, xs) => this.apply(innerLayer(c, key), xs, as, prefix),
      innerConfig: (key) => this.ops(innerLayer(c, key), as, prefix),
      shape: (x) => {
        if (x.state.shape) return x.state.shape;
        const why = b.shapeErrors[b.shapeErrors.length - 1];
        return c.fail(`the shape of its input is unknown${why ? ` (${why.layer}: ${why.message})` : ""}`);
      },
      formats: this.formats,
    };
    return ops;
  }

  apply(l: KerasLayer, xs: readonly PyTensor[], as: KerasLayer = l, prefix = ""): PyTensor[] {
    if (l.model) return this.model(l.model, xs, `${prefix}${l.name}/`);
    const rule = RULES[l.type];
    if (!rule || l.unknownReason !== undefined)
      return this.opaque(l, as, prefix, xs, l.unknownReason ?? `ConvLens has no rule for ${l.type}`);
    try {
      const out = rule(this.ops(l, as, prefix), xs);
      return Array.isArray(out) ? [...(out as readonly PyTensor[])] : [out as PyTensor];
    } catch (e) {
      if (e instanceof NotConstantError) return this.opaque(l, as, prefix, xs, e.message);
      // After an unknown layer every size is unknown: later layers become unknown too, never an error.
      if (!(e instanceof KerasBuildError) || xs.every((x) => x.state.shape)) throw e;
      return this.opaque(l, as, prefix, xs, "the shape of its input is unknown");
    }
  }

  /** One node with no op rule in the layer's place: the analysis shows its output as unknown. */
  private opaque(
    l: KerasLayer,
    as: KerasLayer,
    prefix: string,
    xs: readonly PyTensor[],
    reason: string,
  ): PyTensor[] {
    const name = prefix + as.name;
    this.unknown.push({ path: name, reason: `${as.type} "${name}": ${reason}` });
    return this.b.op(
      `keras.${l.type}`,
      xs.map((x) => x.value),
      {},
      { scope: name, layerName: name, layerType: as.type, ...(as.source ? { source: as.source } : {}) },
    );
  }

  /** `memo`: the nodes built so far, kept by a caller that builds a growing graph again and again. */
  model(
    m: KerasModel,
    given: readonly PyTensor[] | undefined,
    prefix: string,
    memo = new Map<KNode, PyTensor[]>(),
  ): PyTensor[] {
    if (m.layers) {
      const layers = m.layers;
      let x = given?.[0];
      if (!x) {
        const decl =
          m.input ??
          declaredInput(layers[0]) ??
          (m.buildInputShape
            ? { kind: "input" as const, name: "input", shape: m.buildInputShape, dtype: "float32" as const }
            : undefined);
        if (!decl)
          throw new KerasBuildError(layers.length === 0 ? "the Sequential model has no layers" : NO_INPUT);
        // Token ids feed an Embedding: the input holds integers.
        const firstReal = layers.find((l) => l.type !== "InputLayer");
        x = this.input(firstReal?.type === "Embedding" ? { ...decl, dtype: "int64" } : decl);
      }
      for (const l of layers) x = this.apply(l, [x], l, prefix)[0] ?? x;
      return [x];
    }
    // Each tensor's value is named by the source's variable (names only: no node, id or number changes).
    const remember = (n: KNode, ts: PyTensor[]): PyTensor[] => {
      memo.set(n, ts);
      ts.forEach((t, i) => {
        const name = this.sourceName(n, i);
        if (name !== undefined) this.b.nameValue(t.value, name);
      });
      return ts;
    };
    (m.inputs ?? []).forEach((n, i) => memo.has(n) || remember(n, [given?.[i] ?? this.input(n)]));
    const visiting = new Set<KNode>();
    const visit = (n: KNode): PyTensor[] => {
      const hit = memo.get(n);
      if (hit) return hit;
      if (n.kind === "input") return remember(n, [this.input(n)]);
      if (visiting.has(n))
        throw new KerasBuildError(`layer "${n.layer.name}" depends on its own output (a cycle)`);
      visiting.add(n);
      const ins = n.inputs.map((r) => pick(visit(r.node), r.index, r.node));
      // Inside a custom layer's call(): an operator is that layer; a layer it applies is named under it.
      const w = n.within;
      const as = !w
        ? n.layer
        : n.layer.type.startsWith("ops.")
          ? w
          : { ...n.layer, name: `${w.name}/${n.layer.name}` };
      return remember(n, this.apply(n.layer, ins, as, prefix));
    };
    const pick = (ts: PyTensor[], i: number, n: KNode): PyTensor =>
      ts[i] ??
      (() => {
        throw new KerasBuildError(
          `${n.kind === "apply" ? `layer "${n.layer.name}"` : `input "${n.name}"`} has no output #${i}`,
        );
      })();
    if (!m.outputs || m.outputs.length === 0) {
      const why = m.outputsUnknown?.[0];
      if (why === undefined) throw new KerasBuildError("the model has no outputs");
      // Build the layers the source did record, so the error names the first whose output became unknown.
      for (const n of m.order ?? []) {
        try {
          visit(n);
        } catch {
          break;
        }
      }
      const first = this.unknown[0];
      throw new KerasBuildError(
        `the model's output is unknown${first ? ` from layer ${first.reason}` : ""} (${why})`,
      );
    }
    // Build in the order the layers were created (as model.summary() lists them), only what the outputs need.
    if (m.order) {
      const needed = new Set<KNode>();
      const stack = m.outputs.map((r) => r.node);
      for (let n = stack.pop(); n; n = stack.pop()) {
        if (needed.has(n)) continue;
        needed.add(n);
        if (n.kind === "apply") stack.push(...n.inputs.map((r) => r.node));
      }
      for (const n of m.order) if (needed.has(n)) visit(n);
    }
    return m.outputs.map((r) => pick(visit(r.node), r.index, r.node));
  }
}

/**
 * Build the model's graph; returns the names of its outputs and the layers whose outputs are unknown.
 * `sourceName`: the variables Python source bound tensors to (a saved file has none).
 */
export function buildKeras(
  m: KerasModel,
  b: GraphBuilder,
  sourceName: KerasSourceName = () => undefined,
): { outputs: string[]; unknown: readonly KerasUnknownLayer[]; formats: ReadonlySet<Layout> } {
  const build = new Build(b, sourceName);
  const outputs = build.model(m, undefined, "").map((t) => t.value);
  return { outputs, unknown: build.unknown, formats: build.formats };
}

/**
 * Where a built model keeps its channels, as its layers' data_format say (saved configs write each
 * layer's; source without one is Keras's default channels_last): all channels_first is a plain NCHW model;
 * mixed formats give each input the layout of the ops that read it, and a note for an input they do not
 * agree on (its channel axis not known: fed as declared, its receptive fields unknown).
 */
export function kerasLayout(
  formats: ReadonlySet<Layout>,
  graph: Graph,
): Pick<Model, "layout" | "inputLayouts"> & { notes: string[] } {
  if (!formats.has("channels_first")) return { layout: "channels_last", notes: [] };
  if (!formats.has("channels_last")) return { layout: "channels_first", notes: [] };
  const inputLayouts = inputLayoutsOf(graph);
  const notes = graph.inputs
    .filter((v) => v.dtype.startsWith("float") && (v.shape?.length ?? 0) >= 3 && !inputLayouts.has(v.name))
    .map(
      (v) =>
        `input "${v.name}": its layers mix channels_first and channels_last, so its channel axis is not ` +
        "known (the Run tab feeds it as declared; its receptive fields are unknown)",
    );
  return { layout: "mixed", inputLayouts, notes };
}

/**
 * The model's output tensors built into `b` (their inferred shapes are what the source reads mid-run); the
 * nodes already in `memo` (built into the same `b` by an earlier call) are not built again.
 */
export function buildKerasTensors(m: KerasModel, b: GraphBuilder, memo?: Map<KNode, PyTensor[]>): PyTensor[] {
  return new Build(b, () => undefined).model(m, undefined, "", memo);
}

/** The model notes that say which layers are unknown and why (shown with the model's warnings). */
export function unknownLayerNotes(unknown: readonly KerasUnknownLayer[]): string[] {
  return unknown.map((u) => `unknown: ${u.reason}; its output and its parameters are not counted`);
}
