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
const RATCHET = { exact: 1515, wrong: 0, refused: 0 };
