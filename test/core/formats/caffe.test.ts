/**
 * Caffe prototxts against references built by an independent PyTorch implementation
 * (tools/make_caffe_refs.py): every layer's output shape, learned params and MACs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, ModelError } from "../../../src/core/index";
import { jsonReport } from "../../../src/core/analysis/report";
import { parseTextProto } from "../../../src/core/formats/caffe/textProto";

const DIR = resolve(__dirname, "../../fixtures/caffe");

interface Expected {
  totals: { params: number; macs: number };
  layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
}

for (const file of readdirSync(DIR).filter((f) => f.endsWith(".prototxt"))) {
  const exp = JSON.parse(readFileSync(join(DIR, file.replace(/\.prototxt$/, ".expected.json")), "utf8")) as Expected;
  describe(`Caffe ${file}`, () => {
    const analysis = analyzeFile(file, readFileSync(join(DIR, file)));
    const layers = jsonReport(analysis).layers;
    it("reads every layer and the totals", () => {
      expect(analysis.format).toBe("caffe");
      expect(analysis.totals.params).toBe(exp.totals.params);
      expect(analysis.totals.macs).toBe(exp.totals.macs);
      expect(analysis.layers.flatMap((l) => l.warnings)).toEqual([]);
    });
    it.each(exp.layers.map((l) => [l.name, l] as const))("layer %s", (_n, e) => {
      const mine = layers.filter((l) => l.name === e.name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[mine.length - 1]?.output_shape).toEqual(e.output_shape);
      expect(mine.reduce((a, l) => a + l.params, 0)).toBe(e.params);
      expect(mine.reduce((a, l) => a + (l.macs ?? NaN), 0)).toBe(e.macs);
      expect(mine[0]?.type).toBe(e.type);
    });
  });
}

describe("protobuf text format", () => {
  it("reads nested messages, repeated fields, lists, strings and enums", () => {
    const m = parseTextProto('name: "n" # comment\nlayer { dim: 1 dim: [2, 3] p { pool: MAX flag: true } }\nlayer < x: -1.5e2 >');
    expect(m.str("name")).toBe("n");
    expect(m.msgs("layer")).toHaveLength(2);
    expect(m.msgs("layer")[0]?.nums("dim")).toEqual([1, 2, 3]);
    expect(m.msgs("layer")[0]?.msg("p")?.first("pool")).toBe("MAX");
    expect(m.msgs("layer")[0]?.msg("p")?.first("flag")).toBe(true);
    expect(m.msgs("layer")[1]?.num("x")).toBe(-150);
  });

  it.each([
    ['layer { name: "a" ', /never closed/],
    ['name: "unterminated', /unterminated string/],
    ["layer { : 3 }", /expected a field name/],
  ])("reports %j with its line", (src, msg) => {
    expect(() => parseTextProto(src)).toThrow(msg);
  });

  it("names a bottom that no layer produces", () => {
    const src = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\nlayer { name: "c" type: "ReLU" bottom: "nope" top: "c" }';
    expect(() => analyzeFile("x.prototxt", new TextEncoder().encode(src))).toThrow(ModelError);
    expect(() => analyzeFile("x.prototxt", new TextEncoder().encode(src))).toThrow(/bottom "nope" is not produced/);
  });
});
