/**
 * The static reading of a PyTorch model against what PyTorch itself recorded when it ran the
 * model (media/python/convlens_bridge.py, "Check with PyTorch"). Layers are matched by module
 * path and call order: the k-th call of `layer1.0.conv1` in our rows against the k-th call
 * PyTorch's forward hooks saw for that path. A number we state that PyTorch contradicts is a
 * disagreement; a number we leave unknown (null, symbolic, no layer) that PyTorch has is filled.
 */
import type { Dim } from "../ir/types";
import { shapeText } from "./report";
import type { LayerRow, ModelAnalysis } from "./result";

export interface TracedTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/**
 * One module of the traced model: its path, class, the 1-based line that built it, and its
 * parameters — its own, and for a leaf (nothing below it runs as a module) everything below it.
 */
export interface TracedModule {
  readonly path: string;
  readonly type: string;
  readonly line: number | null;
  readonly params: number;
  readonly leaf: boolean;
}

/** One call of a module during the traced forward, in the order the calls returned. */
export interface TracedCall {
  readonly path: string;
  readonly type: string;
  /** 1-based line of the user's file that made the call, when the call came from it. */
  readonly line: number | null;
  readonly inputs: readonly TracedTensor[];
  readonly outputs: readonly TracedTensor[];
}

/** The bridge's {"event": "trace"} line. */
export interface TorchTrace {
  readonly device: "meta" | "cpu";
  readonly torch: string;
  readonly python: string;
  /** Why the meta device was not used (null when it was, or when CPU was asked for). */
  readonly fallback: string | null;
  readonly inputs: readonly TracedTensor[];
  readonly outputs: readonly TracedTensor[];
  readonly params: number;
  readonly modules: readonly TracedModule[];
  readonly calls: readonly TracedCall[];
  readonly forward_ms: number;
  readonly ms: number;
  /** Present when the request asked for an ONNX export. */
  readonly export?: TorchExport;
}

/** The bridge's torch.onnx.export of the model, and PyTorch's own answer to check the file against. */
export interface TorchExport {
  readonly path: string;
  readonly checkpoint: string | null;
  readonly opset: number;
  readonly reference: {
    /** How the inputs were made: linspace(0, 1) over each input's elements, reshaped. */
    readonly input: string;
    readonly input_names: readonly string[];
    /** Argmax of the first output's first batch row. */
    readonly top1?: number;
    /** The first output, flattened (when it has at most 4096 values). */
    readonly output?: readonly number[];
  };
  /** The exported model's modules, each with the 1-based line that built it (null: not built by the file). */
  readonly modules: readonly { readonly path: string; readonly type: string; readonly line: number | null }[];
  readonly ms: number;
}

/** One module call in our rows: a run of consecutive rows with one module path and layer type. */
export interface ModuleCall {
  readonly name: string;
  readonly type: string;
  /** The last row's first output. */
  readonly shape: readonly Dim[] | null;
  /** Sum over the rows; null if any is unknown. */
  readonly macs: number | null;
  readonly rows: readonly LayerRow[];
}

/**
 * Our rows as module calls, per module path in call order. Consecutive rows of one module path,
 * layer type and calling line are one run (Linear on a 3-D input is MatMul + Add; a GRUCell is
 * Unsqueeze, GRU, Squeeze); a run whose op types repeat with a shorter period is that many calls
 * (one module called several times in a row, e.g. in a loop).
 */
export function moduleCalls(a: ModelAnalysis): Map<string, ModuleCall[]> {
  const runs: LayerRow[][] = [];
  let current: LayerRow[] | undefined;
  for (const l of a.layers) {
    if (l.layerType === undefined) {
      current = undefined;
      continue;
    }
    const first = current?.[0];
    const same =
      first !== undefined &&
      first.name === l.name &&
      first.layerType === l.layerType &&
      first.source?.call?.from === l.source?.call?.from;
    if (current && same) current.push(l);
    else {
      current = [l];
      runs.push(current);
    }
  }
  const out = new Map<string, ModuleCall[]>();
  for (const rows of runs.flatMap(splitRepeats)) {
    const last = rows[rows.length - 1] as LayerRow;
    const macs = rows.reduce<number | null>(
      (acc, r) => (acc === null || r.macs === null ? null : acc + r.macs),
      0,
    );
    const call: ModuleCall = {
      name: last.name,
      type: last.layerType ?? last.opType,
      shape: last.outputs[0]?.shape ?? null,
      macs,
      rows,
    };
    out.set(call.name, [...(out.get(call.name) ?? []), call]);
  }
  return out;
}

/** A run of rows split into calls by the shortest period of its op types (the whole run if none). */
function splitRepeats(rows: LayerRow[]): LayerRow[][] {
  const ops = rows.map((r) => r.opType);
  for (let p = 1; p < ops.length; p++) {
    if (ops.length % p !== 0 || !ops.every((op, i) => op === ops[i % p])) continue;
    const calls: LayerRow[][] = [];
    for (let i = 0; i < rows.length; i += p) calls.push(rows.slice(i, i + p));
    return calls;
  }
  return [rows];
}

/** "same" | "wrong" | "unknown" for a shape we state against PyTorch's. */
export function compareShape(
  ours: readonly Dim[] | null | undefined,
  torch: readonly number[] | null,
): "same" | "wrong" | "unknown" {
  if (torch === null) return "same"; // PyTorch recorded no tensor: nothing to compare
  if (!ours) return "unknown";
  if (ours.length !== torch.length) return "wrong";
  let symbolic = false;
  for (let i = 0; i < torch.length; i++) {
    const d = ours[i];
    if (typeof d === "number") {
      if (d !== torch[i]) return "wrong";
    } else symbolic = true;
  }
  return symbolic ? "unknown" : "same";
}

interface Where {
  readonly path: string;
  /** 0-based call index of the module. */
  readonly call: number;
  readonly type: string;
  /** Our rows of that call (their source spans place it in the editor). */
  readonly rows: readonly LayerRow[];
  /** 1-based line of the user's file that built the module, as PyTorch saw it. */
  readonly line: number | null;
}

/** One layer where the two readings differ: `message` reads "static reading says …, PyTorch says …". */
export interface Disagreement extends Where {
  readonly what: "shape" | "type" | "params" | "not-run";
  readonly ours: string;
  readonly torch: string;
  readonly message: string;
}

/** A layer whose output we leave unknown and PyTorch has: its traced shape. */
export interface FilledLayer extends Where {
  readonly shape: readonly number[];
  readonly dtype: string;
  /** What our reading said: "?", a symbolic shape, or "no layer". */
  readonly ours: string;
}

/**
 * Every call compared, in PyTorch's call order (then ours that PyTorch never made): the inspector's column.
 */
export interface ComparedCall extends Where {
  /** PyTorch's first output of the call; absent when it recorded none or never made the call. */
  readonly traced?: TracedTensor;
  /** PyTorch's parameter count of the module (on its first call). */
  readonly params?: number;
  readonly verdict: "agrees" | "differs" | "filled" | "not-run";
  /** The disagreements of this call, in the editor's words. */
  readonly messages: readonly string[];
}

export interface TraceComparison {
  /** Layer calls both readings state and agree on. */
  readonly agreements: number;
  readonly calls: readonly ComparedCall[];
  readonly disagreements: readonly Disagreement[];
  readonly filled: readonly FilledLayer[];
  /** Model-level differences: total parameters, output shapes (same message form). */
  readonly totals: readonly string[];
}

function says(what: string, ours: string, torch: string): string {
  return `${what}: static reading says ${ours}, PyTorch says ${torch}`;
}

/**
 * Compare our analysis of a model (undefined: we could not analyse it) with PyTorch's trace of
 * the same model on the same input. The calls compared are those of PyTorch's leaf modules and
 * of every module path our rows name.
 */
export function compareTrace(analysis: ModelAnalysis | undefined, trace: TorchTrace): TraceComparison {
  const ours = analysis ? moduleCalls(analysis) : new Map<string, ModuleCall[]>();
  const modules = new Map(trace.modules.map((m) => [m.path, m]));
  const disagreements: Disagreement[] = [];
  const filled: FilledLayer[] = [];
  const totals: string[] = [];
  const calls: ComparedCall[] = [];
  let agreements = 0;
  const seen = new Map<string, number>();
  for (const call of trace.calls) {
    const module = modules.get(call.path);
    if (!module?.leaf && !ours.has(call.path)) continue;
    const k = seen.get(call.path) ?? 0;
    seen.set(call.path, k + 1);
    const mine = ours.get(call.path)?.[k];
    const out = call.outputs[0];
    const where = {
      path: call.path,
      call: k,
      type: call.type,
      rows: mine?.rows ?? [],
      line: module?.line ?? null,
    };
    const label = k === 0 ? call.path || "(model)" : `${call.path} (call ${k + 1})`;
    const traced = {
      ...where,
      ...(out ? { traced: out } : {}),
      ...(k === 0 && module ? { params: module.params } : {}),
    };
    const before = disagreements.length;
    const differs = (): void =>
      void calls.push({
        ...traced,
        verdict: "differs",
        messages: disagreements.slice(before).map((d) => d.message),
      });
    if (!mine) {
      if (out) filled.push({ ...where, shape: out.shape, dtype: out.dtype, ours: "no layer" });
      calls.push({ ...traced, verdict: "filled", messages: [] });
      continue;
    }
    if (mine.type !== call.type) {
      disagreements.push({
        ...where,
        what: "type",
        ours: mine.type,
        torch: call.type,
        message: says(`${label} type`, mine.type, call.type),
      });
      differs();
      continue;
    }
    const shape = compareShape(mine.shape, out?.shape ?? null);
    let agrees = shape === "same";
    if (shape === "wrong" && out) {
      const [o, t] = [shapeText(mine.shape), shapeText(out.shape)];
      disagreements.push({ ...where, what: "shape", ours: o, torch: t, message: says(label, o, t) });
    } else if (shape === "unknown" && out)
      filled.push({ ...where, shape: out.shape, dtype: out.dtype, ours: shapeText(mine.shape) });
    if (k === 0 && module) {
      const params = mine.rows.reduce((n, r) => n + r.params, 0);
      if (params !== module.params) {
        agrees = false;
        const [o, t] = [`${params} params`, `${module.params} params`];
        disagreements.push({ ...where, what: "params", ours: o, torch: t, message: says(label, o, t) });
      }
    }
    if (agrees) agreements++;
    if (disagreements.length > before) differs();
    else calls.push({ ...traced, verdict: shape === "unknown" && out ? "filled" : "agrees", messages: [] });
  }
  // Calls in our reading that PyTorch never made.
  for (const [path, list] of ours) {
    const made = seen.get(path) ?? 0;
    list.slice(made).forEach((mine, i) => {
      const label = made + i === 0 ? path : `${path} (call ${made + i + 1})`;
      const o = `a ${mine.type} call`;
      const t = made === 0 ? "it is never called" : `${made} call(s)`;
      const where = {
        path,
        call: made + i,
        type: mine.type,
        rows: mine.rows,
        line: modules.get(path)?.line ?? null,
      };
      const message = says(label, o, t);
      disagreements.push({ ...where, what: "not-run", ours: o, torch: t, message });
      calls.push({ ...where, verdict: "not-run", messages: [message] });
    });
  }
  if (analysis) {
    if (analysis.totals.params !== trace.params && !analysis.totals.paramsUnknown?.length)
      totals.push(says("total params", String(analysis.totals.params), String(trace.params)));
    trace.outputs.forEach((t, i) => {
      const o = analysis.outputs[i]?.shape;
      if (compareShape(o, t.shape) === "wrong")
        totals.push(says(`output ${i + 1}`, shapeText(o), shapeText(t.shape)));
    });
  }
  return { agreements, calls, disagreements, filled, totals };
}
