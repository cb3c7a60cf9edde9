/**
 * Every case of the ONNX project's backend node tests (test/fixtures/onnx-node, written by
 * tools/make_onnx_node_cases.py from the `onnx` package's generator code): no shape may be wrong,
 * no valid model refused. The exact/symbolic/unknown counts are a ratchet: they may only improve.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadNodeCases, runNodeCase, type CaseResult, type Outcome } from "../support/onnxNodeCases";

const { cases, models } = loadNodeCases();
const results: CaseResult[] = cases.map((c) => runNodeCase(c, models[c.name] ?? ""));
const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
const list = (o: Outcome) => results.filter((r) => r.outcome === o).map((r) => `${r.case.name}: ${r.detail}`);

describe("ONNX backend node test suite", () => {
  it("has its cases", () => expect(cases.length).toBeGreaterThan(1800));

  it("reports the counts", () => {
    const counts = Object.fromEntries(
      (["exact", "symbolic", "unknown", "wrong", "refused"] as const).map((o) => [o, count(o)]),
    );
    const missed = results.filter((r) => r.determinedMissed).length;
    // NODE_SUITE_DUMP=file writes every case's outcome, to see what is left.
    const dump = process.env["NODE_SUITE_DUMP"];
    if (dump)
      writeFileSync(
        dump,
        results
          .map(
            (r) => `${r.outcome}${r.determinedMissed ? "!" : ""}\t${r.case.op}\t${r.case.name}\t${r.detail}`,
          )
          .join("\n"),
      );
    console.log(`node suite: ${JSON.stringify(counts)}, determined but not exact: ${missed}`);
    expect(count("exact")).toBeGreaterThanOrEqual(RATCHET.exact);
  });

  it("has no wrong shape", () => expect(list("wrong").length).toBeLessThanOrEqual(RATCHET.wrong));
  it("refuses no valid model", () => expect(list("refused").length).toBeLessThanOrEqual(RATCHET.refused));
});

// As of the first run (onnx 1.23.1, 1884 cases): exact 967, symbolic 18, unknown 595, wrong 120, refused 184.
const RATCHET = { exact: 1586, wrong: 0, refused: 0 };

describe("run-time operands", () => {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const analyse = (name: string) => {
    const c = byName.get(name);
    if (!c) throw new Error(`no case ${name}`);
    return runNodeCase(c, models[name] ?? "");
  };

  // Regressions: each of these was a confident wrong shape (axes / split given as graph inputs).
  it.each([
    ["test_reduce_mean_keepdims_example", "ReduceMean axes (axes) is only known at run time"],
    ["test_split_variable_parts_2d_opset18", "Split split sizes (split) is only known at run time"],
    ["test_nonmaxsuppression_two_batches", "how many elements boxes are selected depends on the data"],
  ])("%s: right rank, symbols, and the reason in the node's details", (name, why) => {
    const r = analyse(name);
    expect(r.outcome).toBe("symbolic");
    expect(r.reasons.join("\n")).toContain(why);
  });

  // Regressions: each of these exited 2 ("… is not constant") though the model is valid.
  it.each([
    "test_reshape_reordered_all_dims",
    "test_expand_dim_changed",
    "test_resize_upsample_scales_nearest",
  ])("%s: symbolic, not refused", (name) => {
    const r = analyse(name);
    expect(r.outcome).toBe("symbolic");
    expect(r.reasons.some((w) => w.startsWith("symbolic: "))).toBe(true);
  });
});
