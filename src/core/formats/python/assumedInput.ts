/**
 * The input of a class no call, comment or setting gives a shape: the first layer's rank and
 * channels, and a spatial size solved from the code's constraints (inputSize.ts). Errors whose
 * numbers exist only because of that size say so.
 */
import type { Dim } from "../../ir/types";
import type { ClassDef } from "./ast";
import type { GraphBuilder, ShapeErrorAt } from "./graphBuilder";
import { solveInputSize, type SizeProbe } from "./inputSize";
import type { InputSpec, PythonAnalysis, Trace } from "./pythonResult";

// Several traces of a large model stay within this (the first one that fits ends the search).
const SOLVE_BUDGET_MS = 2000;

interface TraceProbe extends SizeProbe {
  readonly trace: Trace;
}

/**
 * `x.view(-1, 512)` that turns the input's batch of 1 into 49 runs in PyTorch, but says the size is
 * wrong: the -1 stands for the batch. Each one, as the error it is for an assumed input (numel
 * moves with the size; the batch times the other dims is what the code states).
 */
function batchChanges(b: GraphBuilder, batch: Dim | undefined): ShapeErrorAt[] {
  if (typeof batch !== "number") return [];
  const out: ShapeErrorAt[] = [];
  for (const n of b.nodes) {
    if (n.opType !== "Reshape") continue;
    const x = b.states.get(n.inputs[0] ?? "")?.shape;
    const target = b.states.get(n.inputs[1] ?? "")?.value;
    const y = b.states.get(n.outputs[0] ?? "")?.shape;
    const made = y?.[0];
    if (!x?.every((d) => typeof d === "number") || target?.[0] !== -1 || x[0] !== batch) continue;
    if (typeof made !== "number" || made === batch) continue;
    const rest = target.slice(1);
    if (!rest.every((d): d is number => typeof d === "number" && d > 0)) continue;
    const numel = x.reduce<number>((a, d) => a * (d as number), 1);
    const want = rest.reduce((a, d) => a * d, batch);
    out.push({
      layer: n.name,
      node: n.name,
      message: `view(-1, …) turns the batch of ${batch} into ${made}`,
      sizes: [numel, want],
    });
  }
  return out;
}

function probeOf(trace: Trace): TraceProbe {
  const { b, outputs } = trace;
  const produced = new Map(b.nodes.map((n) => [n.name, n.outputs]));
  const order = new Map(b.nodes.map((n, i) => [n.name, i]));
  const errors = [...b.shapeErrors, ...batchChanges(b, b.inputs[0]?.shape?.[0])].sort(
    (x, y) => (order.get(x.node) ?? 0) - (order.get(y.node) ?? 0),
  );
  return {
    trace,
    errors,
    // A layer that rejects its input (a pooling window larger than it) adds a diagnostic without a shape
    // error.
    failed: outputs.length === 0 || b.diagnostics.length > b.shapeErrors.length,
    // A reshape that changes the batch ran, but does not hold.
    reached: (node) =>
      !errors.some((e) => e.node === node) &&
      (produced.get(node)?.every((o) => b.states.get(o)?.shape !== undefined) ?? false),
  };
}

/** Square spatial sizes: the last good one (same rank) is where the search starts and what it keeps. */
function lastGoodSize(lastGood: readonly Dim[] | undefined, rank: number): number | undefined {
  const size = lastGood?.[2];
  return lastGood?.length === rank && typeof size === "number" && lastGood.slice(2).every((d) => d === size)
    ? size
    : undefined;
}

// "for a 1x1x32x32 input", "on a 19x19 board", "32×32 RGB images": a square size and what it sizes.
const DOCUMENTED =
  /\b(\d+)\s*[x×]\s*(\d+)\b(?=[\s\w-]{0,12}?\b(?:inputs?|board|images?|pixels?|resolution|crops?)\b)/i;

/** The square input size a class's docstring states, tried first (it still has to fit the code). */
export function documentedSize(def: ClassDef): number | undefined {
  const first = def.body[0];
  if (first?.kind !== "Expr" || first.value.kind !== "Str") return undefined;
  const m = DOCUMENTED.exec(first.value.value);
  return m && m[1] === m[2] && Number(m[1]) >= 2 ? Number(m[1]) : undefined;
}

/**
 * `lastGood`: the shape this class had at its last clean analysis (kept while it is broken), or
 * the size its docstring states (where the search starts).
 */
export function assumeInputSize(
  assumed: InputSpec,
  lastGood: readonly Dim[] | number | undefined,
  trace: (shape: Dim[]) => Trace,
): { shape: Dim[]; run: Trace } {
  const sized = (size: number): Dim[] => assumed.shape.map((d, i) => (i >= 2 ? size : d));
  const kept = typeof lastGood === "number" ? undefined : lastGoodSize(lastGood, assumed.shape.length);
  const documented = typeof lastGood === "number" && assumed.shape.length === 4 ? lastGood : undefined;
  const first = assumed.shape[2];
  const start = kept ?? documented ?? (typeof first === "number" ? first : 224);
  const solved = solveInputSize((size) => probeOf(trace(sized(size))), start, {
    keepStart: kept !== undefined,
    deadline: Date.now() + SOLVE_BUDGET_MS,
  });
  const shape = sized(solved.size);
  const run = solved.probe.trace;
  const diagnostics = run.b.diagnostics;
  if (diagnostics.length > 0) {
    // A diagnostic is the code's own when other sizes that reach it read the same; one that reads
    // otherwise at some size, or that no other size reaches, says what it assumes.
    // Traced lazily: two sizes that agree settle it (a broken large class re-traces little per edit).
    const sizes = [solved.size + 1, 2 * solved.size, solved.size - 1, Math.ceil(solved.size / 2)].filter(
      (s) => s >= 1 && s !== solved.size,
    );
    const traced = new Map<number, Trace>();
    const at = (s: number): Trace => {
      const t = traced.get(s) ?? solved.tried.get(s)?.trace ?? trace(sized(s));
      traced.set(s, t);
      return t;
    };
    diagnostics.forEach((d, i) => {
      let agree = 0;
      let differs = false;
      for (const s of sizes) {
        const there = at(s).b.diagnostics.filter((x) => x.span.from === d.span.from);
        differs = there.some((x) => x.message !== d.message);
        if (differs) break;
        if (there.length > 0 && ++agree === 2) break;
      }
      if (differs || agree === 0)
        diagnostics[i] = { ...d, message: `${d.message}, assuming input ${shape.join("×")}` };
    });
  }
  // A view no size gives batch 1: what PyTorch computes for this input, but the input is only assumed.
  for (const e of batchChanges(run.b, shape[0])) {
    const span = run.b.nodes.find((n) => n.name === e.node)?.source?.call;
    if (span)
      diagnostics.push({
        span,
        message: `${e.message} at the assumed input ${shape.join("×")}: give the input shape (# convlens: input …)`,
        severity: "warning",
      });
  }
  return { shape, run };
}

/**
 * The assumed inputs of classes that analysed without an error, over the earlier ones: what
 * PythonOptions.lastGoodInputs gets next time, so that a broken class keeps its last good size.
 */
export function fittedAssumptions(
  analysis: PythonAnalysis,
  previous: Readonly<Record<string, readonly Dim[]>> = {},
): Record<string, readonly Dim[]> {
  const out = { ...previous };
  for (const c of analysis.classes)
    if (c.input?.source === "assumed" && c.analysis && !c.error && c.diagnostics.length === 0)
      out[c.name] = c.input.shape;
  return out;
}
