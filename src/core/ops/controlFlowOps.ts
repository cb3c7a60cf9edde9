/**
 * Control flow: If, Loop and Scan, their nested graphs analysed through ctx.subgraph. An If with a
 * known condition is the branch it takes; otherwise its outputs are what both branches agree on,
 * named symbols where they differ. A Loop or Scan body is analysed with its loop-carried values'
 * shapes; when the body gives them back unchanged every iteration has those shapes, and its MACs
 * are multiplied by the trip count where that is a known constant.
 */
import type { Dim, Graph, Node, Shape } from "../ir/types";
import { attrInt, attrInts, axisOf, fmt } from "./dims";
import { runtimeShaped } from "./runtimeDims";
import {
  ShapeError,
  type BodyRow,
  type OpContext,
  type OpRule,
  type SubgraphResult,
  type ValueState,
} from "./types";

/** What one control-flow node's analysis gave beyond its outputs, for its macs / notes / weights. */
interface FlowRun {
  readonly macs: number | null;
  readonly notes: readonly string[];
  readonly weights: SubgraphResult["weights"];
  readonly rows: readonly BodyRow[];
}
const runs = new WeakMap<OpContext, FlowRun>();

function graphAttr(node: Node, name: string): Graph {
  const v = node.attrs[name];
  if (typeof v === "object" && "kind" in v && v.kind === "graph") return v.graph;
  throw new ShapeError(`${node.opType} has no ${name} graph`);
}

function runner(ctx: OpContext): NonNullable<OpContext["subgraph"]> {
  if (!ctx.subgraph) throw new ShapeError(`${ctx.node.opType}: nested graphs are not analysed here`);
  return ctx.subgraph;
}

const bodyNotes = (label: string, r: SubgraphResult) => r.notes.map((n) => `${label}: ${n}`);

/** A nested graph's rows under its attribute name ("body", "then_branch/body" when nested). */
const bodyRows = (label: string, r: SubgraphResult): BodyRow[] =>
  r.rows.map((row) => ({ ...row, graph: row.graph ? `${label}/${row.graph}` : label }));

/** A value as a loop body sees it in every iteration: its type and shape, not its first value. */
function carried(s: ValueState | undefined): ValueState | undefined {
  return s && { dtype: s.dtype, shape: s.shape };
}

function sameShape(a: Shape | undefined, b: Shape | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The two branches' output merged: their common dims, a named symbol where they differ. */
function mergeBranches(
  ctx: OpContext,
  k: number,
  a: ValueState | undefined,
  b: ValueState | undefined,
): ValueState {
  const cond = ctx.node.inputs[0] ?? "?";
  const dtype = a?.dtype ?? b?.dtype ?? "unknown";
  if (a?.shape && b?.shape && sameShape(a.shape, b.shape)) {
    const same =
      a.value && b.value && a.value.length === b.value.length && a.value.every((v, i) => v === b.value?.[i]);
    return {
      dtype,
      shape: a.shape,
      ...(same ? { value: a.value } : {}),
      ...(a.reason ? { reason: a.reason } : {}),
    };
  }
  const why = `If output ${k + 1}: the branches give ${fmt(a?.shape)} and ${fmt(b?.shape)}, and the condition (${cond}) is only known at run time`;
  if (!a?.shape || !b?.shape || a.shape.length !== b.shape.length)
    return { dtype, shape: undefined, reason: why };
  const bs = b.shape;
  return runtimeShaped(
    ctx,
    a.shape.map((d, i) => (d === bs[i] ? d : undefined)),
    why,
    k,
    dtype,
  );
}

const ifRule: OpRule = {
  rf: "none",
  infer(ctx) {
    const run = runner(ctx);
    const thenG = graphAttr(ctx.node, "then_branch");
    const elseG = graphAttr(ctx.node, "else_branch");
    const cond = ctx.inputs[0]?.value?.[0];
    const a = run(thenG, []);
    const b = run(elseG, []);
    const weights = [...a.weights, ...b.weights];
    const rows = [...bodyRows("then_branch", a), ...bodyRows("else_branch", b)];
    if (typeof cond === "number") {
      const [taken, label] = cond !== 0 ? [a, "then_branch"] : [b, "else_branch"];
      runs.set(ctx, { macs: taken.macs, notes: bodyNotes(label, taken), weights, rows });
      return ctx.node.outputs.map((_, k) => taken.outputs[k] ?? { dtype: "unknown", shape: undefined });
    }
    const macsDiffer = a.macs !== b.macs;
    const notes = [
      ...(macsDiffer
        ? [
            `MACs unknown: they depend on which branch runs (then_branch ${a.macs ?? "unknown"}, else_branch ${b.macs ?? "unknown"}), and the condition (${ctx.node.inputs[0] ?? "?"}) is only known at run time`,
          ]
        : []),
      ...bodyNotes("then_branch", a),
      ...bodyNotes("else_branch", b),
    ];
    runs.set(ctx, { macs: macsDiffer ? null : a.macs, notes, weights, rows });
    return ctx.node.outputs.map((_, k) => mergeBranches(ctx, k, a.outputs[k], b.outputs[k]));
  },
  macs: (ctx) => runs.get(ctx)?.macs ?? null,
  notes: (ctx) => runs.get(ctx)?.notes ?? [],
  innerWeights: (ctx) => runs.get(ctx)?.weights ?? [],
  bodyRows: (ctx) => runs.get(ctx)?.rows ?? [],
};

/**
 * A body run with its loop-carried values' shapes until they come back unchanged: first as they
 * enter, then with the dims that changed named. `inputsFor` builds the body's inputs from the
 * carried states; `carriedOut` is where they come back among the body outputs.
 */
function settle(
  ctx: OpContext,
  body: Graph,
  initial: readonly (ValueState | undefined)[],
  inputsFor: (carriedStates: readonly (ValueState | undefined)[]) => (ValueState | undefined)[],
  carriedOut: number,
): { result: SubgraphResult; states: (ValueState | undefined)[]; settled: boolean } {
  const run = runner(ctx);
  let states = initial.map(carried);
  let result = run(body, inputsFor(states));
  const back = (j: number) => result.outputs[carriedOut + j];
  if (states.every((s, j) => sameShape(s?.shape, back(j)?.shape))) return { result, states, settled: true };
  const why = `${ctx.node.opType}: a loop-carried value changes shape between iterations`;
  // The dims that changed become named symbols: in the second pass they stand for any size.
  const changed = states.map((s, j) => s?.shape?.map((d, a) => d !== back(j)?.shape?.[a]) ?? []);
  states = states.map((s, j) => {
    const out = back(j)?.shape;
    if (!s?.shape || !out || out.length !== s.shape.length)
      return s && { dtype: s.dtype, shape: undefined, reason: why };
    const dims = s.shape.map((d, a) => (changed[j]?.[a] ? undefined : d));
    return runtimeShaped(ctx, dims, why, j, s.dtype);
  });
  result = run(body, inputsFor(states));
  // Settled: each unchanged dim comes back the same; a named one may come back any size.
  const settled = states.every((s, j) => {
    const out = back(j)?.shape;
    if (!s?.shape) return true;
    return !!out && out.length === s.shape.length && s.shape.every((d, a) => changed[j]?.[a] || d === out[a]);
  });
  return { result, states, settled };
}

/** Iterations × one body run's MACs; a note when that is not known. */
function loopMacs(trips: Dim, body: SubgraphResult, whyTrips: string): FlowRun {
  const notes = bodyNotes("body", body);
  const rows = bodyRows("body", body);
  if (trips === 0) return { macs: 0, notes, weights: body.weights, rows };
  if (body.macs === null)
    return {
      macs: null,
      notes: ["MACs unknown: the body's MACs are not known", ...notes],
      weights: body.weights,
      rows,
    };
  if (typeof trips !== "number")
    return { macs: null, notes: [`MACs unknown: ${whyTrips}`, ...notes], weights: body.weights, rows };
  return { macs: body.macs * trips, notes, weights: body.weights, rows };
}

/** The stacked scan outputs: each body output with the iteration axis inserted. */
function scanOutputs(
  ctx: OpContext,
  elems: readonly (ValueState | undefined)[],
  first: number,
  trips: Dim | undefined,
  axes: readonly number[] | undefined,
  whyTrips: string,
): ValueState[] {
  return elems.map((e, k) => {
    const at = first + k;
    if (!e?.shape) return { dtype: e?.dtype ?? "unknown", shape: undefined, reason: whyTrips };
    const axis = axisOf(axes?.[k] ?? 0, e.shape.length + 1);
    const dims: (Dim | undefined)[] = [...e.shape];
    dims.splice(axis, 0, trips);
    if (trips !== undefined)
      return { dtype: e.dtype, shape: dims as Dim[], ...(e.reason ? { reason: e.reason } : {}) };
    return runtimeShaped(ctx, dims, whyTrips, at, e.dtype);
  });
}

function unsettled(
  ctx: OpContext,
  states: readonly (ValueState | undefined)[],
  settled: boolean,
): ValueState[] {
  const why = `${ctx.node.opType}: the loop-carried shapes do not settle after two passes over the body`;
  return states.map((s) =>
    settled && s ? s : { dtype: s?.dtype ?? "unknown", shape: undefined, reason: why },
  );
}

const loopRule: OpRule = {
  rf: "none",
  infer(ctx) {
    const body = graphAttr(ctx.node, "body");
    const n = ctx.node.inputs.length - 2;
    const initial = ctx.inputs.slice(2);
    const iteration: ValueState = { dtype: "int64", shape: [] };
    // The body only runs while the condition holds: inside it, its condition input is true.
    const running: ValueState = { dtype: "bool", shape: [], value: [1] };
    const { result, states, settled } = settle(ctx, body, initial, (c) => [iteration, running, ...c], 1);
    const m = ctx.node.inputs[0] ? ctx.inputs[0]?.value?.[0] : undefined;
    const cond0 = ctx.node.inputs[1] ? ctx.inputs[1]?.value?.[0] : 1;
    const always = result.outputs[0]?.value?.[0] === 1;
    let trips: Dim | undefined;
    let whyTrips = "";
    if (cond0 === 0 || m === 0) trips = 0;
    else if (typeof m === "number" && typeof cond0 === "number" && always) trips = m;
    else if (cond0 === undefined)
      whyTrips = `Loop condition (${ctx.node.inputs[1] ?? "?"}) is only known at run time`;
    else if (!always)
      whyTrips = "the Loop stops when its body's condition turns false, known only at run time";
    else whyTrips = `Loop trip count (${ctx.node.inputs[0] || "none given"}) is only known at run time`;
    runs.set(ctx, loopMacs(trips ?? "?", result, whyTrips));
    const finals =
      trips === 0
        ? initial.map((s) => s ?? { dtype: "unknown" as const, shape: undefined })
        : unsettled(ctx, states, settled);
    const scans = scanOutputs(ctx, result.outputs.slice(1 + n), n, trips, undefined, whyTrips);
    return [...finals.slice(0, n), ...scans];
  },
  macs: (ctx) => runs.get(ctx)?.macs ?? null,
  notes: (ctx) => runs.get(ctx)?.notes ?? [],
  innerWeights: (ctx) => runs.get(ctx)?.weights ?? [],
  bodyRows: (ctx) => runs.get(ctx)?.rows ?? [],
};

const scanRule: OpRule = {
  rf: "none",
  infer(ctx) {
    if (ctx.opset < 9)
      return ctx.node.outputs.map(() => ({
        dtype: "unknown",
        shape: undefined,
        reason: "Scan before opset 9 (with a batch axis) is not analysed",
      }));
    const body = graphAttr(ctx.node, "body");
    const m = attrInt(ctx.node, "num_scan_inputs", 0);
    const n = ctx.node.inputs.length - m;
    if (m <= 0 || n < 0)
      throw new ShapeError(`Scan num_scan_inputs ${m} does not fit its ${ctx.node.inputs.length} inputs`);
    const inAxes = attrInts(ctx.node, "scan_input_axes");
    const slices: (ValueState | undefined)[] = [];
    let trips: Dim | undefined;
    for (let k = 0; k < m; k++) {
      const s = ctx.inputs[n + k];
      if (!s?.shape) {
        slices.push(undefined);
        continue;
      }
      const axis = axisOf(inAxes?.[k] ?? 0, s.shape.length);
      const len = s.shape[axis];
      if (len !== undefined && (trips === undefined || typeof trips === "string")) trips = len;
      slices.push({ dtype: s.dtype, shape: s.shape.filter((_, a) => a !== axis) });
    }
    const { result, states, settled } = settle(
      ctx,
      body,
      ctx.inputs.slice(0, n),
      (c) => [...c, ...slices],
      0,
    );
    const whyTrips = `Scan length (axis of ${ctx.node.inputs[n] ?? "?"}) is only known at run time`;
    runs.set(ctx, loopMacs(trips ?? "?", result, whyTrips));
    const finals =
      trips === 0
        ? ctx.inputs.slice(0, n).map((s) => s ?? { dtype: "unknown" as const, shape: undefined })
        : unsettled(ctx, states, settled);
    const outAxes = attrInts(ctx.node, "scan_output_axes");
    return [...finals, ...scanOutputs(ctx, result.outputs.slice(n), n, trips, outAxes, whyTrips)];
  },
  macs: (ctx) => runs.get(ctx)?.macs ?? null,
  notes: (ctx) => runs.get(ctx)?.notes ?? [],
  innerWeights: (ctx) => runs.get(ctx)?.weights ?? [],
  bodyRows: (ctx) => runs.get(ctx)?.rows ?? [],
};

export const CONTROL_FLOW_OPS: Readonly<Record<string, OpRule>> = {
  If: ifRule,
  Loop: loopRule,
  Scan: scanRule,
};
