/**
 * Caffe .prototxt, Darknet .cfg and TensorFlow Lite files against references built
 * by independent PyTorch implementations (tools/make_caffe_refs.py,
 * tools/make_darknet_refs.py, tools/make_tflite_models.py): every layer's output shape, learned params and
 * MACs,
 * and its receptive field where the reference measured one (autograd on a one-channel
 * probe of the net, tools/rf_probe.py; null once the output is no longer spatial).
 * A table of folders: a new definition with its .expected.json is checked without new code.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, ModelError } from "../../../src/core/index";
import { jsonReport } from "../../../src/core/analysis/report";
import { parseTextProto } from "../../../src/core/formats/caffe/textProto";
import { looksLikeDarknet } from "../../../src/core/formats/darknet/darknetCfg";

const FORMATS = [
  { format: "caffe", dir: resolve(__dirname, "../../fixtures/caffe"), ext: ".prototxt" },
  { format: "darknet", dir: resolve(__dirname, "../../fixtures/darknet"), ext: ".cfg" },
  { format: "tflite", dir: resolve(__dirname, "../../fixtures/tflite"), ext: ".tflite" },
  // Published files: expectations from the shapes and weights the file stores (make_tflite_published.py).
  { format: "tflite", dir: resolve(__dirname, "../../fixtures/tflite/published"), ext: ".tflite" },
];

interface Expected {
  input_shape?: number[];
  /**
   * The input shape the file does not state (a data layer reading a database), given as --input-shape would.
   */
  given_input_shape?: number[];
  totals: { params: number; macs: number };
  layers: {
    name: string;
    type: string;
    /** null: a dim only the run time knows (DetectionOutput's box count), a named symbol in ConvLens. */
    output_shape: (number | null)[];
    params: number;
    macs: number;
    /** With a null dim: what the layer's "symbolic:" note must say (the bound the file states). */
    runtime_reason?: string;
    rf?: { size: number[]; stride: number[]; start: number[] } | null;
    /** Why no window describes the layer's receptive field (a recurrent layer over an image). */
    rf_unknown?: string;
  }[];
}

for (const { format, dir, ext } of FORMATS) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(ext))) {
    const exp = JSON.parse(
      readFileSync(join(dir, file.slice(0, -ext.length) + ".expected.json"), "utf8"),
    ) as Expected;
    describe(`${format} ${file}`, () => {
      const analysis = analyzeFile(
        file,
        readFileSync(join(dir, file)),
        {},
        exp.given_input_shape ? { inputShapes: { "*": exp.given_input_shape } } : {},
      );
      const layers = jsonReport(analysis).layers;
      it("reads every layer and the totals", () => {
        expect(analysis.format).toBe(format);
        if (exp.input_shape) expect(analysis.inputs[0]?.shape).toEqual(exp.input_shape);
        expect(analysis.totals.params).toBe(exp.totals.params);
        expect(analysis.totals.macs).toBe(exp.totals.macs);
        // The only notes: dims the run time decides and receptive fields no window describes, on the
        // layers the reference says so.
        const symbolic = new Set(exp.layers.filter((l) => l.output_shape.includes(null)).map((l) => l.name));
        const noWindow = new Set(exp.layers.filter((l) => l.rf_unknown !== undefined).map((l) => l.name));
        const expected = (name: string, w: string) =>
          (symbolic.has(name) && w.startsWith("symbolic:")) ||
          (noWindow.has(name) && w.startsWith("receptive field unknown:"));
        expect(analysis.layers.flatMap((l) => l.warnings.filter((w) => !expected(l.name, w)))).toEqual([]);
      });
      it.each(exp.layers.map((l) => [`${l.name} ${l.type}`, l] as const))("layer %s", (_n, e) => {
        const mine = layers.filter((l) => l.name === e.name);
        expect(mine.length).toBeGreaterThan(0);
        const shape = mine[mine.length - 1]?.output_shape;
        expect(
          shape?.map((d, i) => (e.output_shape[i] === null && typeof d === "string" ? null : d)),
        ).toEqual(e.output_shape);
        expect(mine.reduce((a, l) => a + l.params, 0)).toBe(e.params);
        expect(mine.reduce((a, l) => a + (l.macs ?? NaN), 0)).toBe(e.macs);
        expect(mine[0]?.type).toBe(e.type);
        if (e.rf !== undefined) expect(mine[mine.length - 1]?.rf).toEqual(e.rf);
        if (e.rf_unknown !== undefined) {
          expect(mine[mine.length - 1]?.rf).toBeNull();
          expect(
            analysis.layers.find((l) => l.name === e.name && l.warnings.length)?.warnings.join("\n"),
          ).toMatch(new RegExp(`^receptive field unknown: .*${e.rf_unknown}`, "m"));
        }
        if (e.runtime_reason !== undefined)
          expect(analysis.layers.find((l) => l.name === e.name)?.warnings.join("\n")).toContain(
            e.runtime_reason,
          );
      });
    });
  }
}

describe("protobuf text format", () => {
  it("reads nested messages, repeated fields, lists, strings and enums", () => {
    const m = parseTextProto(
      'name: "n" # comment\nlayer { dim: 1 dim: [2, 3] p { pool: MAX flag: true } }\nlayer < x: -1.5e2 >',
    );
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
    const src =
      'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\nlayer { name: "c" type: "ReLU" bottom: "nope" top: "c" }';
    expect(() => analyzeFile("x.prototxt", new TextEncoder().encode(src))).toThrow(ModelError);
    expect(() => analyzeFile("x.prototxt", new TextEncoder().encode(src))).toThrow(
      /bottom "nope" is not produced/,
    );
  });

  it("says a solver is not a network and names the net file to open", () => {
    const solver = 'net: "examples/mnist/lenet_train_test.prototxt"\ntest_iter: 100\nbase_lr: 0.01\n';
    expect(() => analyzeFile("lenet_solver.prototxt", new TextEncoder().encode(solver))).toThrow(
      'A Caffe solver, not a network: open the net file it names ("examples/mnist/' +
        'lenet_train_test.prototxt").',
    );
  });
});

describe("Darknet figures as Darknet prints them", () => {
  it("ResNet-50 (pjreddie cfg/resnet50.cfg, mismatched shortcuts) gives the published 9.74 BFLOPs at 256×256", () => {
    const a = analyzeFile(
      "resnet50.cfg",
      readFileSync(resolve(__dirname, "../../fixtures/darknet/resnet50.cfg")),
    );
    expect(a.warnings).toEqual([]);
    expect(((a.totals.flops ?? 0) / 1e9).toFixed(2)).toBe("9.74");
  });
  it("a section ConvLens cannot follow keeps its place, unknown with its reason, and the file opens", () => {
    const cfg =
      "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=4\nsize=3\n[hypothetical]\n[convolutional]\nfilters=2\nsize=1\n";
    const a = analyzeFile("x.cfg", new TextEncoder().encode(cfg));
    expect(a.warnings.join("\n")).toMatch(/\[hypothetical\] at line 8 is not a Darknet layer ConvLens knows/);
    expect(a.totals.paramsUnknown?.map((u) => u.path)).toEqual(["1", "2"]);
    expect(a.totals.macs).toBeNull();
    expect(a.layers.find((l) => l.name === "0")?.params).toBe(4 * 3 * 9 + 4);
  });
});

describe("Darknet detection and errors", () => {
  it("tells Darknet cfgs from other .cfg files by content", () => {
    expect(looksLikeDarknet(new TextEncoder().encode("[net]\nwidth=32\n[convolutional]\nfilters=1\n"))).toBe(
      true,
    );
    expect(looksLikeDarknet(new TextEncoder().encode("[metadata]\nname = setup.cfg\n[options]\n"))).toBe(
      false,
    );
  });
  it("names a route to a missing layer", () => {
    const bad =
      "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=4\nsize=3\n[route]\nlayers=-5\n";
    expect(() => analyzeFile("bad.cfg", new TextEncoder().encode(bad))).toThrow(ModelError);
    expect(() => analyzeFile("bad.cfg", new TextEncoder().encode(bad))).toThrow(/refers to layer -5/);
  });
});
