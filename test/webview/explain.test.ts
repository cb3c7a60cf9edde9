import { describe, expect, it } from "vitest";
import type { LayerRow } from "../../src/core/analysis/result";
import { EXPLAIN_METHODS, methodInfo } from "../../src/core/explain/methods";
import { defaultSpatialLayer, hostLayer, isSpatial } from "../../src/core/explain/layers";
import {
  argmax,
  chooseLayer,
  classCount,
  classLabel,
  dataHash,
  explainKey,
  formatShare,
  mapDataAttrs,
  runUsesClass,
} from "../../webview/run/explain/explainModel";
import {
  blend,
  colourIndex,
  combineChannels,
  cropRgba,
  guidedGradCam,
  mapRgba,
  normalise,
  planesOf,
  strongestUnit,
  sumAbsChannels,
  tensorRgba,
  upsampleBilinear,
} from "../../webview/run/explain/mapMath";
import { centrePosition, clipBox, massShare, rfBox } from "../../webview/run/explain/receptiveField";

function layer(index: number, name: string, opType: string, shape: number[], rf: LayerRow["rf"]): LayerRow {
  return {
    index,
    id: name,
    name,
    groups: [],
    opType,
    inputs: [],
    outputs: [{ name: `${name}_out`, dtype: "float32", shape }],
    params: 0,
    macs: 0,
    flops: 0,
    outputBytes: 0,
    rf,
    attrs: {},
    weights: [],
    predecessors: [],
    warnings: [],
  };
}

const axis = (size: number, stride: number, start: number) => ({ size, stride, start });
const spatial = (a: number, b: number, c: number): LayerRow["rf"] => ({
  kind: "spatial",
  axes: [axis(a, b, c), axis(a, b, c)],
  misaligned: false,
});
// shapes_cnn's layers (as the analysis reports them).
const SHAPES = [
  layer(0, "conv1", "Conv", [1, 16, 64, 64], spatial(5, 1, -2)),
  layer(1, "relu1", "Relu", [1, 16, 64, 64], spatial(5, 1, -2)),
  layer(2, "pool1", "MaxPool", [1, 16, 32, 32], spatial(6, 2, -2)),
  layer(7, "relu3", "Relu", [1, 128, 16, 16], spatial(20, 4, -8)),
  layer(8, "pool3", "MaxPool", [1, 128, 8, 8], spatial(24, 8, -8)),
  layer(9, "gap", "GlobalAveragePool", [1, 128, 1, 1], { kind: "global" }),
  layer(11, "fc", "Gemm", [1, 4], { kind: "global" }),
];

describe("map maths", () => {
  it("splits tensors into planes: [H, W], [N, C, H, W], [N, C, L]", () => {
    expect(planesOf([16, 16])).toMatchObject({ channels: 1, height: 16, width: 16 });
    expect(planesOf([1, 3, 4, 5])).toMatchObject({ channels: 3, height: 4, width: 5, stride: 20, offset: 0 });
    expect(planesOf([1, 2, 7])).toMatchObject({ channels: 2, height: 1, width: 7 });
  });

  it("combines channels by max |value|, keeping the sign", () => {
    // 2 channels of 1×3.
    const p = combineChannels([1, -5, 0, -2, 3, 0.5], [1, 2, 1, 3]);
    expect(Array.from(p.data)).toEqual([-2, -5, 0.5]);
    expect(p).toMatchObject({ width: 3, height: 1 });
    expect(Array.from(sumAbsChannels([1, -5, 0, -2, 3, 0.5], [1, 2, 1, 3]).data)).toEqual([3, 8, 0.5]);
  });

  it("normalises signed maps to [-1, 1] and magnitudes to [0, 1]; zeros stay zeros", () => {
    expect(Array.from(normalise([2, -4, 1], "signed"))).toEqual([0.5, -1, 0.25]);
    expect(Array.from(normalise([2, -4, 1], "magnitude"))).toEqual([0.5, 1, 0.25]);
    expect(Array.from(normalise([0, 0], "signed"))).toEqual([0, 0]);
    expect(Array.from(normalise([NaN, 2], "magnitude"))).toEqual([0, 1]);
  });

  it("upsamples bilinearly like F.interpolate(align_corners=False)", () => {
    const up = upsampleBilinear({ width: 2, height: 2, data: Float32Array.from([1, 2, 3, 4]) }, 4, 4);
    // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), size=4, mode="bilinear")
    expect(Array.from(up.data)).toEqual([
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4,
    ]);
    const one = upsampleBilinear({ width: 1, height: 1, data: Float32Array.from([0.7]) }, 3, 2);
    expect(Array.from(one.data).every((v) => Math.abs(v - 0.7) < 1e-7)).toBe(true);
    // 16 → 64 keeps the mean of a linear ramp and the range.
    const ramp = Float32Array.from({ length: 16 * 16 }, (_, i) => i % 16);
    const big = upsampleBilinear({ width: 16, height: 16, data: ramp }, 64, 64);
    expect(Math.min(...big.data)).toBe(0);
    expect(Math.max(...big.data)).toBe(15);
  });

  it("multiplies every guided-backprop channel by the CAM (Guided Grad-CAM)", () => {
    const cam = { width: 2, height: 1, data: Float32Array.from([0.5, 2]) };
    expect(Array.from(guidedGradCam([1, 1, -2, 3], [1, 2, 1, 2], cam))).toEqual([0.5, 2, -1, 6]);
    expect(() =>
      guidedGradCam([1, 1], [1, 1, 1, 2], { width: 3, height: 1, data: new Float32Array(3) }),
    ).toThrow();
  });

  it("colours: diverging is white at 0, blue below, red above; magnitude uses viridis", () => {
    expect(colourIndex(0, "signed")).toBe(128);
    expect(colourIndex(-1, "signed")).toBe(0);
    expect(colourIndex(1, "magnitude")).toBe(255);
    const rgba = mapRgba([-1, 0, 1], "signed");
    expect(rgba[0]! < rgba[2]!).toBe(true); // blue end
    expect(rgba[8]! > rgba[10]!).toBe(true); // red end
    expect(Math.min(rgba[4]!, rgba[5]!, rgba[6]!)).toBeGreaterThan(230); // near white
    expect(Array.from(mapRgba([0], "magnitude").slice(0, 3))).toEqual([68, 1, 84]);
  });

  it("blends by opacity × |value|: zero leaves the picture, full value at opacity 1 shows the map", () => {
    const img = [100, 100, 100, 255, 100, 100, 100, 255];
    const col = [200, 0, 0, 255, 200, 0, 0, 255];
    expect(Array.from(blend(img, col, [0, 1], 1))).toEqual([100, 100, 100, 255, 200, 0, 0, 255]);
    expect(Array.from(blend(img, col, [0, 1], 0.5)).slice(4, 7)).toEqual([150, 50, 50]);
  });

  it("draws the input tensor back as a picture over its value range", () => {
    const t = tensorRgba([0, 1, 0.5, 0.5, 0, 1], [1, 3, 1, 2], 0, 1);
    expect(Array.from(t.rgba)).toEqual([0, 128, 0, 255, 255, 128, 255, 255]);
    expect(Array.from(tensorRgba([0, 2], [1, 1, 1, 2], 0, 2).rgba)).toEqual([
      0, 0, 0, 255, 255, 255, 255, 255,
    ]);
  });

  it("finds the strongest unit, overall or in one channel", () => {
    const data = [0, 1, 2, 3, 9, 0, 0, 0];
    expect(strongestUnit(data, [1, 2, 2, 2])).toEqual({ channel: 1, y: 0, x: 0, value: 9 });
    expect(strongestUnit(data, [1, 2, 2, 2], 0)).toEqual({ channel: 0, y: 1, x: 1, value: 3 });
  });

  it("crops a box of RGBA pixels", () => {
    const rgba = Uint8ClampedArray.from({ length: 3 * 2 * 4 }, (_, i) => i);
    expect(Array.from(cropRgba(rgba, 3, { x: 1, y: 1, width: 2, height: 1 }))).toEqual([
      16, 17, 18, 19, 20, 21, 22, 23,
    ]);
  });
});

describe("receptive fields", () => {
  it("knows spatial layers and picks the last non-pooling one as default", () => {
    expect(isSpatial(SHAPES[3]!)).toBe(true);
    expect(isSpatial(SHAPES[5]!)).toBe(false);
    expect(defaultSpatialLayer(SHAPES)?.name).toBe("relu3");
    expect(defaultSpatialLayer([SHAPES[6]!])).toBeNull();
  });

  it("places a unit's box from rf start/stride/size and clips it to the image", () => {
    const rf = (SHAPES[3]!.rf as Extract<LayerRow["rf"], { kind: "spatial" }>).axes;
    // relu3 unit (6, 6): first pixel −8 + 6·4 = 16, 20 pixels wide.
    expect(rfBox(rf, [6, 6])).toEqual({ x: 16, y: 16, width: 20, height: 20 });
    expect(rfBox(rf, [0, 2])).toEqual({ x: 0, y: -8, width: 20, height: 20 });
    expect(clipBox(rfBox(rf, [0, 0]), 64, 64)).toEqual({ x: 0, y: 0, width: 12, height: 12 });
    expect(clipBox({ x: 60, y: -30, width: 10, height: 10 }, 64, 64)).toEqual({
      x: 60,
      y: 0,
      width: 4,
      height: 0,
    });
    expect(rfBox([axis(3, 1, -1)], [5])).toEqual({ x: 4, y: 0, width: 3, height: 1 });
    expect(centrePosition([16, 16])).toEqual([8, 8]);
    expect(centrePosition([7])).toEqual([3]);
  });

  it("measures the share of the theoretical field holding 95 % of the gradient mass", () => {
    // 8×8 map: mass 10 on 4 pixels, 0.1 on 4 more, inside a 4×4 box.
    const map = new Float32Array(64);
    for (const i of [18, 19, 26, 27]) map[i] = 10;
    for (const i of [20, 28, 34, 35]) map[i] = 0.1;
    const box = { x: 2, y: 2, width: 4, height: 4 };
    const m = massShare(map, 8, box);
    expect(m.pixels).toBe(4);
    expect(m.area).toBe(16);
    expect(m.share).toBe(0.25);
    expect(m.inside).toBeCloseTo(1, 12);
    // Spread evenly: 95 % of 16 equal pixels needs 16 of them (15.2 rounded up).
    const flat = new Float32Array(64);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) flat[y * 8 + x] = 1;
    expect(massShare(flat, 8, box).pixels).toBe(16);
    expect(massShare(flat, 8, box).share).toBe(1);
    expect(massShare(new Float32Array(64), 8, box)).toEqual({ pixels: 0, area: 16, share: 0, inside: 0 });
    // Mass outside the box lowers `inside`.
    const out = Float32Array.from(flat);
    out[0] = 16;
    expect(massShare(out, 8, box).inside).toBeCloseTo(0.5, 12);
  });
});

describe("explain model", () => {
  it("lists the eight methods; which use a class", () => {
    expect(EXPLAIN_METHODS.map((m) => m.id)).toEqual([
      "saliency",
      "guided",
      "gradcam",
      "guidedGradcam",
      "deconvnet",
      "erf",
      "activationMax",
      "deepDream",
    ]);
    expect(methodInfo("gradcam").layer).toBe("spatial");
    expect(runUsesClass("saliency", "channel")).toBe(true);
    expect(runUsesClass("deconvnet", "channel")).toBe(false);
    expect(runUsesClass("activationMax", "channel")).toBe(false);
    expect(runUsesClass("activationMax", "class")).toBe(true);
  });

  it("uses the selected layer when it fits, else the last spatial one with a note", () => {
    expect(chooseLayer("saliency", SHAPES[3]!, SHAPES)).toEqual({ layer: null, note: null, error: null });
    expect(chooseLayer("gradcam", SHAPES[3]!, SHAPES).layer?.name).toBe("relu3");
    const fc = chooseLayer("gradcam", SHAPES[6]!, SHAPES);
    expect(fc.layer?.name).toBe("relu3");
    expect(fc.note).toMatch(/fc has no spatial units/);
    expect(chooseLayer("erf", null, SHAPES).note).toMatch(/No layer selected: using relu3/);
    expect(chooseLayer("deepDream", SHAPES[6]!, SHAPES).layer?.name).toBe("fc");
    expect(chooseLayer("activationMax", SHAPES[6]!, SHAPES, "class").layer).toBeNull();
    expect(chooseLayer("deconvnet", null, [SHAPES[6]!]).error).toMatch(/no layer with spatial units/);
  });

  it("represents a layer of several nodes by its last row, as the host does", () => {
    const twice = [
      SHAPES[0]!,
      layer(3, "relu", "Relu", [1, 16, 8, 8], null),
      layer(5, "relu", "Relu", [1, 16, 8, 8], null),
    ];
    expect(hostLayer(twice[1]!, twice).index).toBe(5);
    expect(hostLayer(SHAPES[3]!, SHAPES).index).toBe(7);
  });

  it("counts classes of a vector output; labels them", () => {
    expect(classCount({ outputs: [{ name: "o", dtype: "float32", shape: [1, 4] }] })).toBe(4);
    expect(classCount({ outputs: [{ name: "o", dtype: "float32", shape: [1, 2, 8, 8] }] })).toBe(0);
    expect(classCount({ outputs: [{ name: "o", dtype: "float32", shape: ["N", 10] }] })).toBe(0);
    expect(classLabel(2, ["circle", "square", "triangle"])).toBe("2 · triangle");
    expect(classLabel(5, null)).toBe("class 5");
    expect(argmax([0.1, 3, 3, -1])).toBe(1);
  });

  it("puts all values of small maps in data-values, the first ones of any in data-head", () => {
    const small = mapDataAttrs([16, 16], new Float32Array(256).fill(0.5));
    expect(JSON.parse(small["data-shape"]!)).toEqual([16, 16]);
    expect(JSON.parse(small["data-values"]!)).toHaveLength(256);
    const big = mapDataAttrs(
      [1, 3, 64, 64],
      Float32Array.from({ length: 12288 }, (_, i) => i),
    );
    expect(big["data-values"]).toBeUndefined();
    expect(JSON.parse(big["data-head"]!)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it("hashes input data: equal arrays agree, a changed value does not", () => {
    const a = Float32Array.from([0.1, 0.2, 0.3]);
    expect(dataHash(a)).toBe(dataHash(Float32Array.from(a)));
    const b = Float32Array.from(a);
    b[1] = 0.2000001;
    expect(dataHash(b)).not.toBe(dataHash(a));
    expect(dataHash(new Float32Array(2))).not.toBe(dataHash(new Float32Array(3)));
  });

  it("keys graphs by method and parameters; formats shares", () => {
    // Grad-CAM's class and deconvnet's channel are fed at run time: one graph per layer.
    expect(explainKey("gradcam", { layerIndex: 7, classIndex: 2 })).toBe("gradcam|7|-|-");
    expect(explainKey("deconvnet", { layerIndex: 7, channel: 3 })).toBe("deconvnet|7|-|-");
    expect(explainKey("erf", { layerIndex: 7, channel: 3 })).toBe("erf|7|3|-");
    expect(explainKey("saliency", {})).not.toBe(explainKey("guided", {}));
    expect(formatShare(0.4234)).toBe("42 %");
    expect(formatShare(0.0512)).toBe("5.1 %");
  });
});
