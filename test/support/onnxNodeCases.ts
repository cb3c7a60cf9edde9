/**
 * The ONNX backend node test cases (tools/make_onnx_node_cases.py) run through ConvLens and sorted
 * into one outcome each: exact, symbolic (right rank, known dims right, some dims named), unknown
 * (an output ConvLens does not know), wrong (a rank or a known dim that differs: the one outcome the
 * product must never have) or refused (a shape error, which the CLI turns into exit 2, or a throw).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Dim } from "../../src/core/ir/types";

export interface NodeCase {
  readonly name: string;
  readonly op: string;
  readonly opset: number | null;
  readonly inputs: readonly (readonly number[] | null)[];
  /** null where the output is not a tensor (sequence, optional). */
  readonly outputs: readonly (readonly number[] | null)[];
  /** Per output: onnx's own inference derives its static shape from the model alone. */
  readonly determined: readonly boolean[];
}

export type Outcome = "exact" | "symbolic" | "unknown" | "wrong" | "refused";

export interface CaseResult {
  readonly case: NodeCase;
  readonly outcome: Outcome;
  /** Why, for anything but exact: the output and shapes, or the refusal. */
  readonly detail: string;
  /** A determined output that did not come out exact. */
  readonly determinedMissed: boolean;
  /** The nodes' "symbolic: …" / "unknown: …" notes (what the details pane shows). */
  readonly reasons: readonly string[];
}

const DIR = resolve(__dirname, "../fixtures/onnx-node");

export function loadNodeCases(): { cases: NodeCase[]; models: Record<string, string> } {
  const cases = JSON.parse(readFileSync(resolve(DIR, "cases.json"), "utf8")) as NodeCase[];
  const models = JSON.parse(
    gunzipSync(readFileSync(resolve(DIR, "models.json.gz"))).toString("utf8"),
  ) as Record<string, string>;
  return { cases, models };
}

function outputOutcome(expected: readonly number[], got: readonly Dim[] | null): Outcome {
  if (!got) return "unknown";
  if (got.length !== expected.length) return "wrong";
  if (got.some((d, i) => typeof d === "number" && d !== expected[i])) return "wrong";
  return got.every((d) => typeof d === "number") ? "exact" : "symbolic";
}

const RANK: Readonly<Record<Outcome, number>> = { exact: 0, symbolic: 1, unknown: 2, wrong: 4, refused: 3 };

export function runNodeCase(c: NodeCase, modelBase64: string): CaseResult {
  let analysis;
  try {
    const model = readOnnx(Buffer.from(modelBase64, "base64"));
    analysis = analyzeModel(model, { modelName: c.name });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { case: c, outcome: "refused", detail: `throws: ${why}`, determinedMissed: true, reasons: [] };
  }
  let outcome = "exact" as Outcome;
  let detail = "";
  let determinedMissed = false;
  for (const [i, expected] of c.outputs.entries()) {
    if (!expected) continue;
    const got = analysis.outputs[i]?.shape ?? null;
    const o = outputOutcome(expected, got);
    if (o !== "exact" && c.determined[i]) determinedMissed = true;
    if (RANK[o] > RANK[outcome]) {
      outcome = o;
      detail = `output ${i}: expected [${expected.join(",")}], got ${got ? `[${got.join(",")}]` : "unknown"}`;
    }
  }
  const refusal = analysis.layers.find((l) => l.warnings.some((w) => w.startsWith("shape error")));
  if (refusal && RANK.refused > RANK[outcome]) {
    outcome = "refused";
    detail = `${refusal.opType}: ${refusal.warnings.join("; ")}`;
  }
  if (outcome === "unknown") {
    const why = analysis.layers.flatMap((l) => l.warnings).find((w) => w.startsWith("unknown"));
    if (why) detail += ` (${why})`;
  }
  const reasons = analysis.layers.flatMap((l) => l.warnings).filter((w) => /^(symbolic|unknown): /.test(w));
  return { case: c, outcome, detail, determinedMissed, reasons };
}
