/**
 * The details pane's Quantization rows and the header's weight bytes for the quantized ResNet-18s
 * (tools/make_quantized_models.py). Expected dtypes, scales and zero points: what the onnx package
 * reads from the same files (tools/make_quant_refs.py → quant_params.json).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { detailsView, formatBytes, headerView } from "../../webview/viewModel";

const DIR = resolve(__dirname, "../fixtures/quantized");

interface RefEntry {
  readonly value: string;
  readonly dtype: string;
  readonly scale: number[] | null;
  readonly zero_point: number[] | null;
  readonly scale_count: number | null;
}
const REF = JSON.parse(readFileSync(resolve(DIR, "quant_params.json"), "utf8")) as Record<
  string,
  Record<string, RefEntry[]>
>;

const analyse = (name: string) =>
  analyzeFile(`${name}.onnx`, readFileSync(resolve(DIR, `${name}.onnx`)), {}, {});

describe.each(["resnet18_qdq", "resnet18_qlinear"])("%s", (name) => {
  const a = analyse(name);
  const convs = REF[name] ?? {};

  it("every conv lists the quantized values it reads with onnx's dtype, scale and zero point", () => {
    expect(Object.keys(convs)).toHaveLength(20);
    for (const [id, expected] of Object.entries(convs)) {
      const row = a.layers.find((l) => l.id === id);
      const got = (row?.quant ?? []).filter((q) => q.role !== "output");
      expect(
        got.map((q) => [q.value, q.dtype, q.zeroPoint, q.scaleCount]),
        id,
      ).toEqual(expected.map((e) => [e.value, e.dtype, e.zero_point, e.scale_count]));
      got.forEach((q, i) =>
        q.scale?.forEach((s, k) => expect(s).toBeCloseTo(expected[i]?.scale?.[k] ?? NaN, 9)),
      );
    }
  });

  it("the details pane shows int8 and the weight's scale", () => {
    const [id, expected] = Object.entries(convs)[0] ?? ["", []];
    const row = a.layers.find((l) => l.id === id);
    if (!row) throw new Error(`no row ${id}`);
    const weight = expected.find((e) => e.dtype === "int8");
    const text = detailsView(row, a).quantization.find((kv) => kv.key === `weight ${weight?.value}`)?.value;
    const scale = Number((weight?.scale?.[0] ?? 0).toPrecision(4));
    expect(text).toBe(`int8 · scale ${scale} · zero point ${weight?.zero_point?.[0]}`);
  });

  it("the header gives the weights' stored bytes", () => {
    const total = headerView(a).totals.find((t) => t.testId === "total-weight-bytes");
    // The stored bytes (checked in test/core/quantizedModels.test.ts) are a quarter-ish of float32's.
    expect(total?.dataValue).toBe(String(a.totals.paramBytes));
    expect(total?.text).toBe(formatBytes(a.totals.paramBytes ?? null));
    expect(a.totals.paramBytes).toBeLessThan(2 * a.totals.params);
  });
});
