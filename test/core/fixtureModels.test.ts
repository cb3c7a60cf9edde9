/**
 * Every model in shared/fixtures/models with an expected/ file, checked against
 * the PyTorch ground truth. A new fixture is checked without new code.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { jsonReport, type JsonLayer } from "../../src/core/analysis/report";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

interface ExpectedLayer {
  name: string;
  type: string;
  output_shape: number[];
  macs: number;
  rf: { size: number[]; stride: number[]; start: number[] } | null;
}
interface Expected {
  model: string;
  input_shape: number[];
  output_shape: number[];
  totals: { params: number; macs: number; flops_torch: number };
  onnx: { file: string; weightless: boolean; initializer_elements_incl_identity_aliases: number };
  layers: ExpectedLayer[];
}

const expectedFiles = existsSync(join(FIXTURES, "expected"))
  ? readdirSync(join(FIXTURES, "expected")).filter(
      (f) => f.endsWith(".json") && existsSync(join(FIXTURES, "models", f.replace(/\.json$/, ".onnx"))),
    )
  : [];

const CONV_LINEAR = /^(Conv\w*|ConvTranspose\w*|Linear|Conv3DSimple)$/;
const POOL = /Pool/;

describe("fixture models match PyTorch", () => {
  it("finds the fixtures", () => expect(expectedFiles.length).toBeGreaterThanOrEqual(16));

  for (const file of expectedFiles) {
    const exp = JSON.parse(readFileSync(join(FIXTURES, "expected", file), "utf8")) as Expected;
    describe(exp.model, () => {
      const onnxPath = join(FIXTURES, "models", `${exp.model}.onnx`);
      const analysis = analyzeFile(onnxPath, readFileSync(onnxPath));
      const report = jsonReport(analysis);
      const byName = new Map<string, JsonLayer>();
      for (const l of report.layers) if (!byName.has(l.name)) byName.set(l.name, l);

      it("reads the input and infers the model output shape", () => {
        expect(report.input_shape).toEqual(exp.input_shape);
        expect(analysis.outputs[0]?.shape).toEqual(exp.output_shape);
        expect(analysis.weightless).toBe(exp.onnx.weightless);
      });

      it("counts parameters like the ONNX file (Identity aliases included)", () => {
        expect(report.totals.params).toBe(exp.onnx.initializer_elements_incl_identity_aliases);
      });

      it("total MACs within 0.5 %, FLOPs = 2 × MACs", () => {
        const macs = report.totals.macs ?? NaN;
        expect(Math.abs(macs - exp.totals.macs) / exp.totals.macs).toBeLessThan(0.005);
        expect(report.totals.flops).toBe(2 * macs);
      });

      const listed = exp.layers.filter((l) => CONV_LINEAR.test(l.type) || POOL.test(l.type));
      it.each(listed.map((l) => [l.name, l] as const))(
        "layer %s: shape, MACs, receptive field",
        (_name, e) => {
          const got = byName.get(e.name);
          expect(got, `no layer named ${e.name}`).toBeDefined();
          expect(got?.output_shape).toEqual(e.output_shape);
          if (CONV_LINEAR.test(e.type)) expect(got?.macs).toBe(e.macs);
          if (e.rf) expect(got?.rf).toEqual(e.rf);
        },
      );

      it("has no unknown shapes", () => {
        expect(
          analysis.layers.filter((l) => l.warnings.length > 0).map((l) => `${l.id}: ${l.warnings.join()}`),
        ).toEqual([]);
      });
    });
  }
});
