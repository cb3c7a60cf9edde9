/**
 * If / Loop / Scan with their nested graphs analysed (tools/make_control_flow_models.py). Shapes are
 * checked against onnxruntime running each model; MACs against the generator's per-layer formula
 * times the number of runs the control flow makes.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { writeOnnx } from "../../src/core/onnx/writer";
import type { LayerRow, ModelAnalysis } from "../../src/core/analysis/result";
import { detailsView, formatCount } from "../../webview/viewModel";
import { generatedModel } from "../support/generatedModel";

interface Ref {
  readonly inputs: readonly (readonly number[])[];
  /** PyTorch's output shapes (torch models); null where onnxruntime is the oracle. */
  readonly outputs: readonly (readonly number[] | null)[];
  readonly macs: number | null;
  readonly bodyMacs?: number;
  readonly branchShapes?: readonly (readonly number[])[];
  readonly branchMacs?: readonly number[];
}

function load(name: string): { bytes: Buffer; ref: Ref; analysis: ModelAnalysis } {
  const { bytes, ref } = generatedModel<Ref>("controlflow", name);
  return { bytes, ref, analysis: analyzeModel(readOnnx(bytes), { modelName: name }) };
}

/** Output shapes onnxruntime gives for inputs of the reference shapes (a scalar int input is 2). */
async function ortShapes(bytes: Uint8Array, ref: Ref): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    const dims = [...(ref.inputs[i] ?? [])];
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] =
      dims.length === 0
        ? new ort.Tensor("int64", BigInt64Array.from([2n]), [])
        : new ort.Tensor(
            "float32",
            Float32Array.from({ length: n }, (_, k) => (k % 7) - 3),
            dims,
          );
  });
  const out = await session.run(feeds);
  const shapes = session.outputNames.map((n) => [...(out[n]?.dims ?? [])]);
  await session.release();
  return shapes;
}

const EXACT = ["loop_conv", "loop_scan", "scan_axis1", "if_const"];

describe("control flow", () => {
  it.each(EXACT)("%s: every output exact, as onnxruntime runs it; MACs = runs × body", async (name) => {
    const { bytes, ref, analysis } = load(name);
    const expected = await ortShapes(bytes, ref);
    expect(analysis.outputs.map((o) => o.shape)).toEqual(expected);
    ref.outputs.forEach((torchShape, i) => torchShape && expect(expected[i]).toEqual(torchShape));
    expect(analysis.totals.macs).toBe(ref.macs);
    expect(analysis.layers.every((l) => l.warnings.length === 0)).toBe(true);
  });

  it("Loop: its row lists the body's nodes with their MACs for one run, and the details show them", () => {
    const { ref, analysis } = load("loop_conv");
    const loop = analysis.layers.find((l) => l.opType === "Loop");
    const body = loop?.body ?? [];
    expect(body.map((r) => r.opType)).toEqual(expect.arrayContaining(["Conv", "Relu"]));
    expect(body.every((r) => r.graph === "body")).toBe(true);
    // One run of the body is one conv: the loop's MACs are the trip count (2) times it.
    const conv = body.find((r) => r.opType === "Conv");
    expect(conv?.macs).toBe((ref.macs ?? 0) / 2);
    expect(conv?.outputs[0]?.shape).toEqual(ref.outputs[0]);
    const rows = detailsView(loop as LayerRow, analysis).body;
    expect(rows.find((kv) => kv.key === `body · ${conv?.id}`)?.value).toBe(
      `Conv 1×8×16×16 · ${formatCount(conv?.macs ?? null)} MACs`,
    );
  });

  it("If: both branches' nodes are listed under their branch", () => {
    const body = load("if_branches").analysis.layers.find((l) => l.opType === "If")?.body ?? [];
    expect(body.filter((r) => r.opType === "Conv").map((r) => r.graph)).toEqual([
      "then_branch",
      "else_branch",
    ]);
  });

  it("Loop: the body's weights are the model's parameters (counted once)", () => {
    // 8×8×3×3 + 8 of the one Conv inside the body.
    expect(load("loop_conv").analysis.totals.params).toBe(8 * 8 * 9 + 8);
  });

  it("Loop with a run-time trip count: shapes exact, MACs unknown with the reason", async () => {
    const { bytes, ref, analysis } = load("loop_runtime");
    expect(analysis.outputs.map((o) => o.shape)).toEqual(await ortShapes(bytes, ref));
    expect(analysis.totals.macs).toBeNull();
    const loop = analysis.layers.find((l) => l.opType === "Loop");
    expect(loop?.macs).toBeNull();
    expect(loop?.warnings).toContain("MACs unknown: Loop trip count (n) is only known at run time");
    // The totals say what they leave out.
    expect(analysis.warnings.join("\n")).toContain(
      "Activation and peak-memory totals leave out the values inside Loop bodies",
    );
  });

  it("Loop whose carried value grows: the growing dim is a named symbol, the others exact", async () => {
    const { bytes, ref, analysis } = load("loop_grow");
    const [ortShape] = await ortShapes(bytes, ref);
    const shape = analysis.outputs[0]?.shape;
    expect(shape).toHaveLength(ortShape?.length ?? -1);
    expect(typeof shape?.[0]).toBe("string");
    expect(shape?.[1]).toBe(ortShape?.[1]);
    expect(analysis.layers[0]?.warnings.join("\n")).toContain("changes shape between iterations");
  });

  it("If on a run-time condition: the dim the branches disagree on is a symbol, MACs unknown", async () => {
    const { bytes, ref, analysis } = load("if_branches");
    const [ortShape] = await ortShapes(bytes, ref);
    const shape = analysis.outputs[0]?.shape ?? [];
    // Whichever branch onnxruntime took, every numeric dim ConvLens gives is that branch's.
    expect(shape).toHaveLength(ortShape?.length ?? -1);
    shape.forEach((d, i) => typeof d === "number" && expect(d).toBe(ortShape?.[i]));
    expect(shape[1]).toMatch(/^y_d1$/);
    for (const b of ref.branchShapes ?? [])
      expect(shape.filter((d) => typeof d === "number")).toEqual(b.filter((_, i) => i !== 1));
    const node = analysis.layers.find((l) => l.opType === "If");
    expect(node?.macs).toBeNull();
    const [thenMacs, elseMacs] = ref.branchMacs ?? [];
    expect(node?.warnings.join("\n")).toContain(
      `depend on which branch runs (then_branch ${thenMacs}, else_branch ${elseMacs})`,
    );
  });

  it("If on a run-time condition with branches of different ranks: unknown with the reason, never a shape", async () => {
    const { bytes, ref, analysis } = load("if_ranks");
    const [ortShape] = await ortShapes(bytes, ref);
    // onnxruntime took one of the two branches; neither rank may be claimed for the output.
    expect(ref.branchShapes).toContainEqual(ortShape);
    expect(analysis.outputs[0]?.shape ?? null).toBeNull();
    const node = analysis.layers.find((l) => l.opType === "If");
    expect(node?.warnings.join("\n")).toContain(
      "unknown: If output 1: the branches give [2, 3] and [6], and the condition (c) is only known at run time",
    );
  });

  it("a model with nested graphs is written back whole (the Run tab runs it)", async () => {
    const { bytes, ref } = load("loop_scan");
    const rewritten = writeOnnx(readOnnx(bytes));
    expect(await ortShapes(rewritten, ref)).toEqual(await ortShapes(bytes, ref));
  });
});
