/**
 * Darknet cfgs against references built by an independent PyTorch implementation
 * (tools/make_darknet_refs.py): every layer's output shape, params and MACs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, ModelError } from "../../../src/core/index";
import { jsonReport } from "../../../src/core/analysis/report";
import { looksLikeDarknet } from "../../../src/core/formats/darknet/darknetReader";

const DIR = resolve(__dirname, "../../fixtures/darknet");

interface Expected {
  input_shape: number[];
  totals: { params: number; macs: number };
  layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
}

for (const cfg of readdirSync(DIR).filter((f) => f.endsWith(".cfg"))) {
  const exp = JSON.parse(readFileSync(join(DIR, cfg.replace(/\.cfg$/, ".expected.json")), "utf8")) as Expected;
  describe(`Darknet ${cfg}`, () => {
    const analysis = analyzeFile(cfg, readFileSync(join(DIR, cfg)));
    const layers = jsonReport(analysis).layers;
    it("reads every layer and the totals", () => {
      expect(analysis.format).toBe("darknet");
      expect(analysis.inputs[0]?.shape).toEqual(exp.input_shape);
      expect(analysis.totals.params).toBe(exp.totals.params);
      expect(analysis.totals.macs).toBe(exp.totals.macs);
      expect(analysis.layers.flatMap((l) => l.warnings)).toEqual([]);
    });
    it.each(exp.layers.map((l) => [`${l.name} ${l.type}`, l] as const))("layer %s", (_n, e) => {
      const mine = layers.filter((l) => l.name === e.name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[mine.length - 1]?.output_shape).toEqual(e.output_shape);
      expect(mine.reduce((a, l) => a + l.params, 0)).toBe(e.params);
      expect(mine.reduce((a, l) => a + (l.macs ?? NaN), 0)).toBe(e.macs);
      expect(mine[0]?.type).toBe(e.type);
    });
  });
}

describe("Darknet detection and errors", () => {
  it("tells Darknet cfgs from other .cfg files by content", () => {
    expect(looksLikeDarknet(new TextEncoder().encode("[net]\nwidth=32\n[convolutional]\nfilters=1\n"))).toBe(true);
    expect(looksLikeDarknet(new TextEncoder().encode("[metadata]\nname = setup.cfg\n[options]\n"))).toBe(false);
  });
  it("names a route to a missing layer", () => {
    const bad = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=4\nsize=3\n[route]\nlayers=-5\n";
    expect(() => analyzeFile("bad.cfg", new TextEncoder().encode(bad))).toThrow(ModelError);
    expect(() => analyzeFile("bad.cfg", new TextEncoder().encode(bad))).toThrow(/refers to layer -5/);
  });
});
