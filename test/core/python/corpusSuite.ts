/**
 * One source corpus as a vitest suite: every NAME.json of its expected folder is a test that
 * analyses the user script for that builder (userScript) with the corpus folder as a Python path
 * entry and compares with PyTorch's numbers. The guarantee: no builder gets a wrong number. The
 * ratchet: builders on the exact list must stay exact. A summary line gives today's pass rate.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ParsedModules } from "../../../src/core/formats/python/moduleLoader";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import {
  compareRefused,
  compareWithTorch,
  isRefused,
  userScript,
  type CorpusCall,
  type CorpusResult,
  type TorchRefused,
  type TorchvisionExpected,
} from "./torchvisionCorpus";

export interface CorpusSuite {
  /** Shown in the suite title and the summary line ("torchvision corpus"). */
  readonly title: string;
  /** The NAME.json files (tools/torch_model_refs.py). */
  readonly expectedDir: string;
  /** Where the script's imports are found, as the environment's site-packages would be. */
  readonly pythonPath: string;
  /** Builders that must be "exact" (add one as soon as it is; never remove one). */
  readonly exact: readonly string[];
  /** At least this many NAME.json files (guards against an empty or missing folder). */
  readonly minBuilders: number;
  /** How one NAME.json is analysed (default: the user script `model = CALL; model(x)`). */
  readonly analyse?: (expected: CorpusCall, parsedModules: ParsedModules) => CorpusResult;
}

// As in the editor: library files read from disk and parsed once for all the scripts.
export const files = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };

function analyse(expected: CorpusCall, pythonPath: string, parsedModules: ParsedModules): CorpusResult {
  const fileName = resolve(__dirname, `${expected.builder}_script.py`);
  const options = { fileName, files, parsedModules, pythonPath: [pythonPath] };
  const result = analyzePythonSource(userScript(expected), options);
  const model = result.classes.find((c) => c.name === "model");
  if (isRefused(expected)) return compareRefused(model, expected);
  const why = model ? (model.error ?? "no analysis") : "no module-level `model` entry in the analysis";
  return compareWithTorch(model?.analysis, expected as TorchvisionExpected, why);
}

export function describeCorpus(suite: CorpusSuite): void {
  const expectedFiles = readdirSync(suite.expectedDir)
    .filter((f) => f.endsWith(".json") && f !== "index.json")
    .sort();
  const results = new Map<string, CorpusResult & { ms: number }>();
  const parsedModules = new ParsedModules();

  describe(`${suite.title}: every builder against PyTorch`, () => {
    it("has PyTorch's numbers for the builders", () => {
      expect(expectedFiles.length).toBeGreaterThanOrEqual(suite.minBuilders);
    });

    it.each(expectedFiles)("%s", (file) => {
      const text = readFileSync(resolve(suite.expectedDir, file), "utf8");
      const expected = JSON.parse(text) as TorchvisionExpected | TorchRefused;
      const t0 = performance.now();
      const r = suite.analyse
        ? suite.analyse(expected, parsedModules)
        : analyse(expected, suite.pythonPath, parsedModules);
      results.set(expected.builder, { ...r, ms: performance.now() - t0 });
      // The guarantee: never a number PyTorch contradicts.
      expect(r.mismatches, `${expected.builder}: wrong numbers`).toEqual([]);
      if (suite.exact.includes(expected.builder))
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
      if (process.env["CORPUS_LIST"])
        console.log(JSON.stringify(all.filter(([, r]) => r.status === "exact").map(([b]) => b)));
      if (process.env["CORPUS_DETAIL"])
        for (const [b, r] of all.filter(([, x]) => x.status !== "exact"))
          console.log(`${b} ${r.status}: ${[...r.mismatches, ...r.unknowns].slice(0, 4).join(" | ")}`);
      console.log(
        `${suite.title}: ${count("exact")}/${all.length} exact, ${count("unknown")} unknown, ${count("wrong")} wrong; ` +
          `analysis ${(ms / 1000).toFixed(1)} s` +
          (slowest ? ` (slowest ${slowest[0]} ${(slowest[1].ms / 1000).toFixed(1)} s)` : "") +
          (top ? `; most common first unknown (${top[1]}x): ${top[0]}` : ""),
      );
    });
  });
}
