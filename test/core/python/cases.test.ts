/**
 * Shape bugs and odd-but-legal PyTorch code, checked against what real PyTorch did
 * with the same source (test/fixtures/python/cases/NAME.expected.json, written by
 * tools/make_python_refs.py). A model that ran in PyTorch must give the same leaf
 * modules, shapes and params (MACs within 0.5%); a model PyTorch rejected must get a
 * diagnostic on the line PyTorch failed on, naming the two numbers of PyTorch's
 * message, and for a wrong constructor constant a quick fix with the right number.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { moduleReport, type JsonLayer } from "../../../src/core/analysis/report";
import type { PyDiagnostic } from "../../../src/core/formats/python/graphBuilder";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

// Classes with `# convlens: input` comments, and scripts as people write them (tools/make_script_refs.py):
// the model a script builds and calls, by its variable name, on the input the script gives it.
const DIRS = [
  resolve(__dirname, "../../fixtures/python/cases"),
  resolve(__dirname, "../../fixtures/python/scripts"),
];
const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const sourceFiles = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };

interface ExpectedLayer {
  name: string;
  type: string;
  output_shape: number[];
  params: number;
  macs: number;
  calls?: number;
}

interface ExpectedModel {
  model: string;
  input_shape: number[];
  input_dtype: string;
  /** A model that ran. */
  output_shapes?: number[][];
  totals?: { params: number; macs: number };
  layers?: ExpectedLayer[];
  /** A model PyTorch rejected: first line of its message and the 1-based line it failed on. */
  error?: string;
  line?: number;
  kind?: string;
  numbers?: number[];
  fix?: string;
}

interface ExpectedFile {
  file: string;
  models: Record<string, ExpectedModel>;
}

const lineOf = (source: string, offset: number): number => source.slice(0, offset).split("\n").length;

/** The number as a whole number in the text (64 is not in 640 nor in 1x64x56 as "6"). */
const names = (text: string, n: number): boolean => new RegExp(`(?<![\\d.])${n}(?![\\d.])`).test(text);

const close = (got: number | null | undefined, want: number): boolean =>
  got !== null && got !== undefined && Math.abs(got - want) <= 0.005 * Math.max(1, Math.abs(want));

const files = DIRS.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .map((f) => resolve(dir, f)),
);

describe("case fixtures", () => {
  it("every case file has PyTorch's expectations", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(existsSync(f.replace(/\.py$/, ".expected.json")), f).toBe(true);
  });
});

for (const file of files) {
  const source = readFileSync(file, "utf8");
  const expected = JSON.parse(readFileSync(file.replace(/\.py$/, ".expected.json"), "utf8")) as ExpectedFile;
  const result = analyzePythonSource(source, {
    fileName: file,
    files: sourceFiles,
    pythonPath: [THIRD_PARTY],
  });

  describe(`PyTorch source case: ${basename(file)}`, () => {
    it("parses cleanly and finds every case class", () => {
      expect(result.parseErrors).toEqual([]);
      expect(result.classes.map((c) => c.name)).toEqual(expect.arrayContaining(Object.keys(expected.models)));
    });

    for (const [cls, exp] of Object.entries(expected.models)) {
      const traced = result.classes.find((c) => c.name === cls);
      const diagnostics: readonly PyDiagnostic[] = traced?.diagnostics ?? [];
      const listed =
        diagnostics.map((d) => `line ${lineOf(source, d.span.from)}: ${d.message}`).join("; ") ||
        `none (error: ${traced?.error ?? "-"})`;

      if (exp.error !== undefined) {
        describe(`${cls} (PyTorch: ${exp.error})`, () => {
          const onLine = diagnostics.filter((d) => lineOf(source, d.span.from) === exp.line);
          const numbers = exp.numbers ?? [];
          const named = onLine.find((d) => numbers.every((n) => names(d.message, n)));
          it(`reports a diagnostic on line ${exp.line}`, () => {
            expect(traced?.input?.shape).toEqual(exp.input_shape);
            expect(onLine.length, `diagnostics: ${listed}`).toBeGreaterThan(0);
          });
          it(`names ${numbers.join(" and ")} in that diagnostic`, () => {
            expect(named, `diagnostics: ${listed}`).toBeDefined();
          });
          if (exp.fix !== undefined) {
            it(`offers a quick fix to ${exp.fix}`, () => {
              const d = named ?? onLine[0];
              expect(
                d?.fixes?.[0]?.replacement,
                `diagnostics: ${listed}; fixes: ${JSON.stringify(d?.fixes ?? [])}`,
              ).toBe(exp.fix);
            });
          }
        });
        continue;
      }

      describe(cls, () => {
        const analysis = traced?.analysis;
        it("analyses without errors, on the commented input", () => {
          expect(traced?.error).toBeUndefined();
          expect(diagnostics, `diagnostics: ${listed}`).toEqual([]);
          expect(traced?.input?.shape).toEqual(exp.input_shape);
        });
        if (!analysis) return;
        const report = moduleReport(analysis);
        const byName = new Map<string, JsonLayer>(report.layers.map((l) => [l.name, l]));
        it("matches PyTorch's outputs and totals (params exactly, MACs within 0.5%)", () => {
          expect(analysis.outputs.map((o) => o.shape)).toEqual(exp.output_shapes);
          expect(report.totals.params).toBe(exp.totals?.params);
          expect(
            close(report.totals.macs, exp.totals?.macs ?? 0),
            `MACs ${report.totals.macs} vs ${exp.totals?.macs}`,
          ).toBe(true);
        });
        it("lists PyTorch's leaf modules in first-call order", () => {
          expect(report.layers.map((l) => l.name)).toEqual((exp.layers ?? []).map((l) => l.name));
        });
        it.each((exp.layers ?? []).map((l) => [l.name, l] as const))("layer %s", (_n, e) => {
          const got = byName.get(e.name);
          expect(got, `no layer ${e.name}`).toBeDefined();
          expect(got?.type).toBe(e.type);
          expect(got?.output_shape).toEqual(e.output_shape);
          expect(got?.params).toBe(e.params);
          expect(close(got?.macs, e.macs), `MACs ${got?.macs} vs ${e.macs}`).toBe(true);
        });
      });
    }
  });
}
