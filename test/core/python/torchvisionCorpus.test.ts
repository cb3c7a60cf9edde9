/**
 * torchvision's real sources, every builder, as a user script calls it, against PyTorch's
 * numbers (tools/make_torchvision_refs.py). The guarantee: no builder gets a wrong number.
 * The ratchet: builders in EXACT must stay exact. A summary line gives today's pass rate.
 */
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import {
  compareWithTorch,
  userScript,
  type CorpusResult,
  type TorchvisionExpected,
} from "./torchvisionCorpus";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const EXPECTED = resolve(THIRD_PARTY, "torchvision-expected");

/** Builders that must be "exact" (add one as soon as it is; never remove one). */
const EXACT: readonly string[] = [];

const expectedFiles = readdirSync(EXPECTED)
  .filter((f) => f.endsWith(".json") && f !== "index.json")
  .sort();

const results = new Map<string, CorpusResult & { ms: number }>();

function analyse(expected: TorchvisionExpected): CorpusResult {
  // pythonPath: where `import torchvision` is found (the analyser's contract for module-level scripts).
  const options = { fileName: `${expected.builder}_script.py`, pythonPath: [THIRD_PARTY] };
  const result = analyzePythonSource(userScript(expected), options);
  const model = result.classes.find((c) => c.name === "model");
  const why = model ? (model.error ?? "no analysis") : "no module-level `model` entry in the analysis";
  return compareWithTorch(model?.analysis, expected, why);
}

describe("torchvision corpus: every builder against PyTorch", () => {
  it("has PyTorch's numbers for the builders", () => {
    expect(expectedFiles.length).toBeGreaterThan(50);
  });

  it.each(expectedFiles)("%s", (file) => {
    const expected = JSON.parse(readFileSync(resolve(EXPECTED, file), "utf8")) as TorchvisionExpected;
    const t0 = performance.now();
    const r = analyse(expected);
    results.set(expected.builder, { ...r, ms: performance.now() - t0 });
    // The guarantee: never a number PyTorch contradicts.
    expect(r.mismatches, `${expected.builder}: wrong numbers`).toEqual([]);
    if (EXACT.includes(expected.builder))
      expect(r.unknowns, `${expected.builder} is on the exact list`).toEqual([]);
  });

  afterAll(() => {
    const all = [...results.entries()];
    const count = (s: string): number => all.filter(([, r]) => r.status === s).length;
    const ms = all.reduce((acc, [, r]) => acc + r.ms, 0);
    const slowest = [...all].sort((a, b) => b[1].ms - a[1].ms)[0];
    const reasons = new Map<string, number>();
    for (const [, r] of all) {
      const why = r.status === "unknown" ? r.unknowns[0] : undefined;
      if (why !== undefined) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
    console.log(
      `torchvision corpus: ${count("exact")}/${all.length} exact, ${count("unknown")} unknown, ${count("wrong")} wrong; ` +
        `analysis ${(ms / 1000).toFixed(1)} s` +
        (slowest ? ` (slowest ${slowest[0]} ${(slowest[1].ms / 1000).toFixed(1)} s)` : "") +
        (top ? `; most common first unknown (${top[1]}x): ${top[0]}` : ""),
    );
  });
});
