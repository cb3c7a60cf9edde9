/**
 * Walks a model's graph in topological order and asks each node's op rule for
 * its output shapes, MACs and receptive field. Never throws for a single bad
 * node: the node gets a warning and unknown outputs. Throws ModelError only for
 * a broken file (cycle, missing producer, absurd dims) or when time runs out.
 */
import { dtypeBytes } from "../ir/dtype";
import { nodeReads, subgraphsOf } from "../ir/subgraphs";
import { elementCount, tensorValues } from "../ir/tensorData";
import { inputLayout } from "../ir/layout";
import type { Dim, Layout, Model, Node, Shape } from "../ir/types";
import { ModelError } from "../ir/types";
import { attrSummary } from "./attrFormat";
import { PER_SAMPLE } from "./result";
import { modulePathOf } from "./modulePath";
import {
  IDENTITY_AXIS,
  hasSpatial,
  summarizeField,
  unionFields,
  type ValueField,
} from "../fields/receptiveField";
import type { LayerRow, ModelAnalysis, QuantParams, RFInfo, ValueSummary } from "./result";
import { quantParamsOf } from "./quantParams";
import { peakLiveBytes } from "./memory";
import { topologicalOrder } from "./topology";
import { opRule } from "../ops/registry";
import type { OpContext, ValueState } from "../ops/types";
import { checkDims, inferNode, weightsRead } from "./inferNode";
import { analyzeSubgraph } from "./subgraph";

export interface AnalyzeOptions {
  readonly modelName: string;
  /** Shapes for graph inputs by name ("*" = the first input), overriding the file's. */
  readonly inputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Give up (ModelError) after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Polled while analysing; true stops with a ModelError("cancelled"). */
  readonly isCancelled?: () => boolean;
  /** Where the graph inputs keep their channels, for all of them: else the model's (ir/layout.ts). */
  readonly layout?: Layout;
  /** Observes each value's receptive field (tests check per-unit regions with it). */
  readonly onField?: (valueName: string, field: ValueField) => void;
}

export function analyzeModel(model: Model, options: AnalyzeOptions): ModelAnalysis {
  const started = Date.now();
  const deadline = started + (options.timeLimitMs ?? 30_000);
  const { graph } = model;
  const order = topologicalOrder(graph);
  const opset = model.opsets[""] ?? 13;
  const warnings: string[] = [...(model.notes ?? [])];
  const states = new Map<string, ValueState>();
  const fields = new Map<string, ValueField>();

  const batchAssumed: { input: string; symbol: string }[] = [];
  graph.inputs.forEach((v, i) => {
    const override = options.inputShapes?.[v.name] ?? (i === 0 ? options.inputShapes?.["*"] : undefined);
    let shape: Shape | undefined = override ?? v.shape;
    if (override && v.shape && override.length !== v.shape.length)
      throw new ModelError(
        `Input shape ${override.join("x")} has rank ${override.length}, but input "${v.name}" has rank ${v.shape.length}.`,
      );
    if (shape && typeof shape[0] === "string") {
      warnings.push(
        `Batch dimension "${shape[0]}" of input "${v.name}" is counted as 1: counts are ${PER_SAMPLE}.`,
      );
      batchAssumed.push({ input: v.name, symbol: shape[0] });
      shape = [1, ...shape.slice(1)];
    }
    checkDims(shape, `input "${v.name}"`);
    states.set(v.name, { dtype: v.dtype, shape });
    const f = inputField(v.dtype, shape, options.layout ?? inputLayout(model, v.name));
    if (f) fields.set(v.name, f);
  });
  for (const [name, t] of graph.initializers) {
    checkDims(t.dims, `initializer "${name}"`);
    const value = tensorValues(t);
    states.set(name, { dtype: t.dtype, shape: t.dims, tensor: t, ...(value ? { value } : {}) });
  }

  const knownPaths = new Set<string>();
  const counted = new Set<string>();
  const producerRow = new Map<string, number>();
  const layers: LayerRow[] = [];
  const unknownOps = new Set<string>();
  let paramBytes = 0;
  const dequantized = new Map<string, QuantParams>();

  order.forEach((nodeIndex, row) => {
    if ((row & 255) === 0) {
      if (options.isCancelled?.()) throw new ModelError("Analysis cancelled.");
      if (Date.now() > deadline)
        throw new ModelError(
          `Analysis stopped after ${Math.round((Date.now() - started) / 1000)} s at node ${row} of ${order.length} (time limit).`,
        );
    }
    const node = graph.nodes[nodeIndex] as Node;
    const ctx: OpContext = {
      node,
      inputs: node.inputs.map((n) => (n === "" ? undefined : states.get(n))),
      opset,
      subgraph: (g, ins) => analyzeSubgraph(g, ins, (n) => states.get(n), opset),
    };
    const rule = opRule(node.opType, node.domain);
    if (!rule) unknownOps.add(node.opType);
    const { outs, macs, warnings: nodeWarnings } = inferNode(rule, ctx);
    const quant = quantParamsOf(rule, ctx, outs, dequantized);
    const body = rule?.bodyRows?.(ctx) ?? [];
    node.outputs.forEach((name, i) => {
      if (name !== "") states.set(name, outs[i] ?? { dtype: "unknown", shape: undefined });
    });

    let field: ValueField | undefined;
    let each: (ValueField | undefined)[] | undefined;
    if (rule && outs.length > 0) {
      const inFields = node.inputs.map((n) => fields.get(n));
      try {
        field =
          rule.rf === "elementwise"
            ? unionFields(
                inFields,
                outs[0]?.shape?.length ?? 0,
                ctx.inputs.map((s) => s?.shape),
              )
            : rule.rf === "global"
              ? inFields.some(hasSpatial)
                ? { kind: "global" }
                : undefined
              : rule.rf === "none"
                ? undefined
                : rule.rf({ ...ctx, fields: inFields, outputs: outs });
        each = rule.rfOutputs?.({ ...ctx, fields: inFields, outputs: outs });
      } catch (e) {
        nodeWarnings.push(`receptive field unknown: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    node.outputs.forEach((name, i) => {
      const f = each ? each[i] : field;
      if (!f || name === "") return;
      fields.set(name, f);
      options.onField?.(name, f);
    });
    if (field?.kind === "axes" && field.misaligned)
      nodeWarnings.push("receptive fields of merged paths are misaligned (different strides)");

    const weights: { name: string; shape: number[] }[] = [];
    let params = 0;
    for (const { name, tensor: t } of weightsRead(rule, ctx)) {
      if (counted.has(name)) continue;
      counted.add(name);
      params += elementCount(t.dims);
      paramBytes += elementCount(t.dims) * dtypeBytes(t.dtype);
      weights.push({ name, shape: [...t.dims] });
    }

    // A format that names its layers (Caffe, Darknet) says so; PyTorch exports encode the module path in the
    // node name.
    const mp =
      node.layer !== undefined
        ? { path: node.layer, groups: layerGroups(node.layer) }
        : modulePathOf(node.name, knownPaths);
    if (mp.path) knownPaths.add(mp.path);
    const outputs: ValueSummary[] = node.outputs.map((n, i) => summary(n, outs[i]));
    const bytes = outputs.reduce<number | null>((acc, o) => {
      const c =
        o.shape && o.shape.every((d) => typeof d === "number") ? elementCount(o.shape as number[]) : null;
      return acc === null || c === null ? null : acc + c * dtypeBytes(o.dtype);
    }, 0);
    const predecessors: number[] = [];
    for (const n of nodeReads(node)) {
      const r = producerRow.get(n);
      if (r !== undefined && !predecessors.includes(r)) predecessors.push(r);
    }
    node.outputs.forEach((n) => producerRow.set(n, row));
    const rf: RFInfo = summarizeField(field);
    layers.push({
      index: row,
      id: node.name,
      name: mp.path ?? node.name,
      groups: mp.groups,
      opType: node.opType,
      ...(node.layerType ? { layerType: node.layerType } : {}),
      ...(node.source ? { source: node.source } : {}),
      inputs: node.inputs.filter((n) => n !== "").map((n) => summary(n, states.get(n))),
      outputs,
      params,
      macs,
      flops: macs === null ? null : 2 * macs,
      outputBytes: bytes,
      rf,
      attrs: attrSummary(node),
      weights,
      ...(quant.length ? { quant } : {}),
      ...(body.length ? { body } : {}),
      predecessors,
      warnings: nodeWarnings,
    });
  });

  warnings.push(...crossCheck(graph.outputs, states), ...crossCheck([...graph.valueInfo.values()], states));
  if (unknownOps.size)
    warnings.push(
      `unknown: no rule for op ${[...unknownOps].join(", ")}; shapes after these nodes are unknown.`,
    );
  const bodies = graph.nodes.filter((n) => subgraphsOf(n).length > 0).map((n) => n.opType);
  if (bodies.length)
    warnings.push(
      `Activation and peak-memory totals leave out the values inside ${[...new Set(bodies)].join(" / ")} bodies (their nodes have no rows).`,
    );
  const shapeErrors = layers.filter((l) => l.warnings.some((w) => w.startsWith("shape error")));
  for (const l of shapeErrors.slice(0, 5)) warnings.push(`${l.id}: ${l.warnings.join("; ")}`);
  const data = layers.filter((l) => !isShapeComputation(l, states));
  const sum = (xs: (number | null)[]) =>
    xs.reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0);
  const macs = sum(layers.map((l) => l.macs));
  return {
    model: options.modelName,
    format: model.format,
    producer: model.producer,
    opset,
    irVersion: model.irVersion,
    weightless: model.weightless,
    inputs: graph.inputs.map((v) => summary(v.name, states.get(v.name))),
    outputs: graph.outputs.map((v) => summary(v.name, states.get(v.name))),
    totals: {
      params: layers.reduce((a, l) => a + l.params, 0),
      paramBytes,
      ...(model.paramsUnknown?.length ? { paramsUnknown: model.paramsUnknown } : {}),
      macs,
      flops: macs === null ? null : 2 * macs,
      activationBytes: sum(data.map((l) => l.outputBytes)),
      peakActivationBytes: peakLiveBytes(graph, order, states),
    },
    finalRf: largestField(layers),
    ...(batchAssumed.length ? { batchAssumed } : {}),
    layers,
    warnings,
    analysisMs: Date.now() - started,
  };
}

/** Shapes the file declares are checked against inference, never used in its place. */
function crossCheck(
  declared: readonly { name: string; shape: Shape | undefined }[],
  states: Map<string, ValueState>,
): string[] {
  const out: string[] = [];
  for (const v of declared) {
    const got = states.get(v.name)?.shape;
    if (!v.shape || !got || v.shape.length === 0) continue;
    const differs =
      v.shape.length !== got.length ||
      v.shape.some((d, i) => typeof d === "number" && typeof got[i] === "number" && d !== got[i]);
    if (differs)
      out.push(
        `"${v.name}": the file declares shape [${v.shape.join(", ")}] but inference gives [${got.join(", ")}].`,
      );
  }
  return out.slice(0, 10);
}

/** "inception_3a/1x1" → ["inception_3a", "inception_3a/1x1"]. */
function layerGroups(layer: string): string[] {
  const parts = layer.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

function summary(name: string, s: ValueState | undefined): ValueSummary {
  return { name, dtype: s?.dtype ?? "unknown", shape: s?.shape ? [...s.shape] : null };
}

/**
 * Spatial axes of a graph input: NC+spatial for float tensors of rank ≥ 3, the sequence axis of token ids.
 * An image input whose layout is not known (a mixed Keras model's read both ways) has none: fields unknown.
 */
function inputField(
  dtype: string,
  shape: Shape | undefined,
  layout: Layout | undefined,
): ValueField | undefined {
  if (!shape) return undefined;
  if (dtype.startsWith("float") && shape.length >= 3) {
    if (layout === undefined) return undefined;
    const spatial = (i: number) => (layout === "channels_first" ? i >= 2 : i >= 1 && i < shape.length - 1);
    return {
      kind: "axes",
      axes: shape.map((_, i) => (spatial(i) ? IDENTITY_AXIS : null)),
      misaligned: false,
    };
  }
  if (dtype.startsWith("int") && shape.length === 2)
    return { kind: "axes", axes: [null, IDENTITY_AXIS], misaligned: false };
  return undefined;
}

/**
 * Nodes whose outputs are folded constants (Shape → Gather → Concat chains) or weight aliases hold no
 * activations.
 */
function isShapeComputation(l: LayerRow, states: Map<string, ValueState>): boolean {
  return l.outputs.every((o) => {
    const s = states.get(o.name);
    return s?.value !== undefined || s?.tensor !== undefined;
  });
}

function largestField(layers: readonly LayerRow[]): RFInfo {
  let best: RFInfo = null;
  let bestSize = -1;
  for (const l of layers) {
    if (l.rf?.kind !== "spatial") continue;
    const size = l.rf.axes.reduce((a, x) => a * x.size, 1);
    if (size >= bestSize) {
      best = l.rf;
      bestSize = size;
    }
  }
  return best ?? (layers.some((l) => l.rf?.kind === "global") ? { kind: "global" } : null);
}
