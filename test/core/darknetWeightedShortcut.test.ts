/**
 * AlexeyAB's weighted [shortcut] (weights_type=per_feature / per_layer / per_channel, with
 * weights_normalization none / relu / softmax): the previous layer's shape, (n + 1) or (n + 1) × channels
 * learned weights, no MACs, its .weights read in load_weights_upto's place, and the run equal to
 * shortcut_multilayer_cpu written out element by element (tools/make_darknet_weighted_shortcut.py).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
import { applyDarknetWeights } from "../../src/core/formats/darknet/darknetWeights";
import { buildRunnable } from "../../src/core/onnx/runnable";

const DN = resolve(__dirname, "../fixtures/darknet");
const CFG = readFileSync(resolve(DN, "weighted-shortcut.cfg"));

describe("Darknet weighted [shortcut]", () => {
  it("keeps the previous layer's shape, counts its weights as params and adds no MACs", () => {
    const a = analyzeFile("weighted-shortcut.cfg", CFG);
    const layer = (n: string) => a.layers.filter((l) => l.name === n);
    for (const n of ["2", "4", "5"]) expect(layer(n).at(-1)?.outputs[0]?.shape).toEqual([1, 4, 5, 5]);
    // per_channel, one from: 2 × 4; per_feature, two froms: 3; per_layer, one from: 2.
    expect(layer("2").reduce((s, l) => s + l.params, 0)).toBe(8);
    expect(layer("4").reduce((s, l) => s + l.params, 0)).toBe(3);
    expect(layer("5").reduce((s, l) => s + l.params, 0)).toBe(2);
    // Convolutions 57 + 16 + 148 params; MACs 3·25·2·9 + 4·25·3 + 4·25·4·9, the shortcuts none.
    expect(a.totals.params).toBe(57 + 16 + 148 + 8 + 3 + 2);
    expect(a.totals.macs).toBe(1350 + 300 + 3600);
    expect(a.layers.flatMap((l) => l.warnings)).toEqual([]);
  });

  it("loads its weights in Darknet's order and runs to shortcut_multilayer_cpu's output", async () => {
    const { model, loaded } = applyDarknetWeights(
      readDarknet(CFG),
      readFileSync(resolve(DN, "weighted-shortcut.weights")),
    );
    expect(loaded).toBe(2 + 2 + 1 + 2 + 1 + 1);
    const runnable = buildRunnable(model);
    expect(runnable.randomWeights).toBe(false);
    const x = Float32Array.from({ length: 50 }, (_, i) => -1 + (2 * i) / 49);
    const session = await ort.InferenceSession.create(runnable.bytes);
    const out = await session.run({ input: new ort.Tensor("float32", x, [1, 2, 5, 5]) });
    const got = Array.from(out[session.outputNames[0] ?? ""]?.data as Float32Array);
    const want = (
      JSON.parse(readFileSync(resolve(DN, "weighted-shortcut.weights.output.json"), "utf8")) as {
        output: number[];
      }
    ).output;
    expect(got).toHaveLength(want.length);
    want.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-4));
  });

  it("is unknown with the reason where Darknet's forks or keys leave it open", () => {
    const net = "[net]\nheight=4\nwidth=4\nchannels=2\n[convolutional]\nfilters=2\nsize=1\n";
    const down = "[convolutional]\nfilters=2\nsize=1\nstride=2\n";
    const cases: [string, RegExp][] = [
      [`${net}[shortcut]\nfrom=-1\nweights_type=per_pixel\n`, /weights_type=per_pixel is none of/],
      [
        `${net}[shortcut]\nfrom=-1\nweights_type=per_feature\nweights_normalization=l2\n`,
        /weights_normalization=l2 is none of none, relu, softmax/,
      ],
      [
        `${net}${down}[shortcut]\nfrom=-2\nweights_type=per_feature\n`,
        /weights between maps of different sizes \(4×4 into 2×2\) are added by flat index/,
      ],
    ];
    for (const [text, reason] of cases) {
      const a = analyzeFile("x.cfg", new TextEncoder().encode(text));
      expect(a.totals.macs).toBeNull();
      expect([...a.warnings, ...a.layers.flatMap((l) => l.warnings)].join("\n")).toMatch(reason);
    }
  });
});
