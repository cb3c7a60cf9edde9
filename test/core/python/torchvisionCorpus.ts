/**
 * Our analysis of a source corpus builder (torchvision, pytorch-cifar) against PyTorch's numbers
 * for it (test/fixtures/third_party/CORPUS-expected/NAME.json, written by
 * tools/torch_model_refs.py's run_model). The product's first rule: never a wrong number.
 *
 * - "wrong": some number we state confidently differs from PyTorch's: total params, an output
 *   shape, total MACs, or, for a convolution / linear / pooling / attention module call, its
 *   type, output shape or MACs (MACs within 0.5 %, everything else exact); also a call of such
 *   a module that PyTorch never makes (an extra call, or a module PyTorch does not run).
 * - "unknown": nothing we state is wrong, but somewhere we give unknown (a null, a symbolic
 *   dimension, a missing layer, no analysis at all) where PyTorch has a number.
 * - "exact": every number PyTorch has, we state, and they agree.
 *
 * Layers are matched by module path and call order: the k-th call of `layer1.0.conv1` in
 * our rows against the k-th call PyTorch's forward hooks recorded for that path.
 */
import type { Dim } from "../../../src/core/ir/types";
import type { ModelAnalysis } from "../../../src/core/analysis/result";
import { compareShape, moduleCalls } from "../../../src/core/analysis/torchTrace";
import type { TracedClass } from "../../../src/core/formats/python/pythonModel";

/** What every NAME.json has: the builder call as a user script writes it, and its input. */
export interface CorpusCall {
  readonly builder: string;
  /** The builder call as a user script writes it, e.g. `torchvision.models.resnet34()`. */
  readonly call: string;
  readonly input_shape: readonly number[];
  /** The script's import line (default `import torchvision`), e.g. `from models.vgg import VGG`. */
  readonly import?: string;
}

/** A builder PyTorch itself refuses: its constructor or forward raises (code for an older PyTorch). */
export interface TorchRefused extends CorpusCall {
  /** PyTorch's exception, one line: `RuntimeError: mat1 and mat2 shapes cannot be multiplied ...`. */
  readonly error: string;
}

export interface TorchvisionExpected extends CorpusCall {
  readonly params: number;
  /** [key, shape]: key "" for a tensor output, the dict key ("out") or tuple index otherwise. */
  readonly output_shapes: readonly (readonly [string, readonly number[] | null])[];
  /** Total MACs: macs_modules + the functional products (attention matmuls, Swin's F.linear). */
  readonly macs: number;
  readonly macs_modules: number;
  readonly macs_functional: Readonly<Record<string, number>>;
  /** Convolution / linear / pooling modules that exist but never run as modules (eval mode). */
  readonly uncalled: readonly string[];
  /** Every call of a conv / linear / pool / MultiheadAttention leaf module: [path, type, shape, macs]. */
  readonly layers: readonly (readonly [string, string, readonly number[] | null, number])[];
}

export type CorpusStatus = "exact" | "unknown" | "wrong";

export interface CorpusResult {
  readonly status: CorpusStatus;
  /** What we state that PyTorch contradicts (non-empty exactly when status is "wrong"). */
  readonly mismatches: string[];
  /** Where we give no number and PyTorch has one. */
  readonly unknowns: string[];
}

/** The layer types PyTorch's hooks record (tools/make_torchvision_refs.py LAYER_TYPES). */
export const COMPARED_TYPE =
  /^(Conv(Transpose)?[123]d|Linear|NonDynamicallyQuantizableLinear|Bilinear|(Adaptive)?(Max|Avg)Pool[123]d|LPPool[12]d|MultiheadAttention)$/;

function text(s: readonly Dim[] | null | undefined): string {
  return s ? `[${s.join(", ")}]` : "?";
}

/** MACs agree within 0.5 % (exactly when PyTorch's is 0). */
export function macsAgree(ours: number, torch: number): boolean {
  return Math.abs(ours - torch) <= 0.005 * Math.abs(torch);
}

/**
 * Compare our analysis of one builder with PyTorch's numbers. `analysis` undefined = we could
 * not analyse it; `why` says why (it becomes the unknown's reason).
 */
export function compareWithTorch(
  analysis: ModelAnalysis | undefined,
  expected: TorchvisionExpected,
  why = "no analysis",
): CorpusResult {
  const mismatches: string[] = [];
  const unknowns: string[] = [];
  if (!analysis) return { status: "unknown", mismatches, unknowns: [why] };

  if (analysis.totals.params !== expected.params)
    mismatches.push(`params: ${analysis.totals.params} vs PyTorch ${expected.params}`);
  if (analysis.totals.macs === null) unknowns.push("total MACs unknown");
  else if (!macsAgree(analysis.totals.macs, expected.macs))
    mismatches.push(`total MACs: ${analysis.totals.macs} vs PyTorch ${expected.macs}`);

  if (analysis.outputs.length !== expected.output_shapes.length) {
    mismatches.push(
      `outputs: ${analysis.outputs.length} vs PyTorch ${expected.output_shapes.length} (${expected.output_shapes.map(([k]) => k || "tensor").join(", ")})`,
    );
  } else {
    expected.output_shapes.forEach(([key, shape], i) => {
      const ours = analysis.outputs[i]?.shape;
      const c = compareShape(ours, shape);
      const label = key ? `output "${key}"` : "output";
      if (c === "wrong") mismatches.push(`${label}: ${text(ours)} vs PyTorch ${text(shape)}`);
      else if (c === "unknown") unknowns.push(`${label}: ${text(ours)}`);
    });
  }

  const calls = moduleCalls(analysis);
  const seen = new Map<string, number>();
  for (const [path, type, shape, macs] of expected.layers) {
    const k = seen.get(path) ?? 0;
    seen.set(path, k + 1);
    const where = k === 0 ? path : `${path} (call ${k + 1})`;
    const ours = calls.get(path)?.[k];
    if (!ours) {
      unknowns.push(`${where}: not in our layers`);
      continue;
    }
    if (ours.type !== type) {
      mismatches.push(`${where}: type ${ours.type} vs PyTorch ${type}`);
      continue;
    }
    const c = compareShape(ours.shape, shape);
    if (c === "wrong") mismatches.push(`${where}: shape ${text(ours.shape)} vs PyTorch ${text(shape)}`);
    else if (c === "unknown") unknowns.push(`${where}: shape ${text(ours.shape)}`);
    if (ours.macs === null) unknowns.push(`${where}: MACs unknown`);
    else if (!macsAgree(ours.macs, macs)) mismatches.push(`${where}: MACs ${ours.macs} vs PyTorch ${macs}`);
  }
  // Calls PyTorch never makes: a module it does not run, or more calls than it makes.
  const uncalled = new Set(expected.uncalled);
  for (const [path, list] of calls) {
    const torchCalls = seen.get(path) ?? 0;
    const extra = list.slice(torchCalls).filter((c) => COMPARED_TYPE.test(c.type));
    if (extra.length === 0) continue;
    const what = uncalled.has(path)
      ? "PyTorch does not run this module in eval mode"
      : torchCalls === 0
        ? "no such module call in PyTorch"
        : `PyTorch calls it ${torchCalls} time(s)`;
    mismatches.push(`${path}: ${extra.length} extra ${extra[0]?.type ?? ""} call(s) (${what})`);
  }

  const status: CorpusStatus = mismatches.length > 0 ? "wrong" : unknowns.length > 0 ? "unknown" : "exact";
  return { status, mismatches, unknowns };
}

/**
 * A builder PyTorch refuses: we must not state its numbers. "exact": we say it fails too (the
 * model's error, or an error diagnostic); "wrong": a complete analysis with no error; otherwise
 * "unknown" (we give up somewhere without saying that the model itself is broken).
 */
export function compareRefused(
  model: Pick<TracedClass, "analysis" | "error" | "diagnostics"> | undefined,
  expected: TorchRefused,
): CorpusResult {
  const mismatches: string[] = [];
  const unknowns: string[] = [];
  const flagged = model?.error !== undefined || model?.diagnostics.some((d) => d.severity === "error");
  const outputs = model?.analysis?.outputs ?? [];
  const complete = outputs.length > 0 && outputs.every((o) => o.shape?.every((d) => typeof d === "number"));
  if (flagged) return { status: "exact", mismatches, unknowns };
  if (model?.analysis && complete)
    mismatches.push(
      `PyTorch raises ${expected.error}; we state output ${text(outputs[0]?.shape)} and no error`,
    );
  else unknowns.push(`PyTorch raises ${expected.error}; we give no numbers but do not say the model fails`);
  return { status: mismatches.length > 0 ? "wrong" : "unknown", mismatches, unknowns };
}

export function isRefused(expected: CorpusCall): expected is TorchRefused {
  return "error" in expected;
}

/** The user script the corpus analyses for one builder (eval mode, as the numbers were taken). */
export function userScript(expected: CorpusCall): string {
  const imports = expected.import ?? "import torchvision";
  return `import torch\n${imports}\nmodel = ${expected.call}\nmodel.eval()\nx = torch.randn(${expected.input_shape.join(", ")})\nmodel(x)\n`;
}
