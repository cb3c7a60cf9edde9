import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  describeInput,
  concreteShape,
  idsTensorData,
  parseIds,
  randomIds,
} from "../../webview/run/inputModel";
import { valueRange } from "../../src/core/ir/tensorData";
import {
  luma,
  noiseImage,
  PRESETS,
  presetOf,
  previewRgba,
  repeatFrames,
  resizeRgba,
  toTensor,
  type RgbaImage,
} from "../../webview/run/preprocess";
import { decodePng, toChw, toRgba } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

/** A fixture PNG as the browser hands it over: RGBA. */
const rgbaOf = (file: string): RgbaImage => toRgba(decodePng(readFileSync(resolve(FIXTURES, file))));

/** One-row image from grey levels. */
const row = (levels: number[]): RgbaImage => ({
  width: levels.length,
  height: 1,
  data: Uint8ClampedArray.from(levels.flatMap((v) => [v, v, v, 255])),
});

describe("preprocessing for the trained fixtures", () => {
  it("digit_3.png with [0,1] and 1 channel is exactly the README's pixel / 255", () => {
    const img = rgbaOf("images/digit_3.png");
    const t = toTensor(resizeRgba(img, 32, 32), {
      width: 32,
      height: 32,
      channels: 1,
      order: "RGB",
      norm: PRESETS["[0,1]"],
    });
    const expected = toChw(decodePng(readFileSync(resolve(FIXTURES, "images/digit_3.png"))), 1);
    expect(t).toHaveLength(32 * 32);
    expect(Array.from(t)).toEqual(Array.from(expected));
  });

  it("shape_0_circle.png with [0,1] and RGB is the README's CHW pixel / 255", () => {
    const img = rgbaOf("images/shape_0_circle.png");
    const t = toTensor(img, { width: 64, height: 64, channels: 3, order: "RGB", norm: PRESETS["[0,1]"] });
    const expected = toChw(decodePng(readFileSync(resolve(FIXTURES, "images/shape_0_circle.png"))), 3);
    expect(Array.from(t)).toEqual(Array.from(expected));
  });
});

describe("normalisation presets", () => {
  const px: RgbaImage = { width: 1, height: 1, data: Uint8ClampedArray.from([255, 128, 0, 255]) };
  const opts = (norm: (typeof PRESETS)[keyof typeof PRESETS], order: "RGB" | "BGR" = "RGB") =>
    ({ width: 1, height: 1, channels: 3, order, norm }) as const;

  it("[0,1], [-1,1], [0,255] and ImageNet", () => {
    expect(Array.from(toTensor(px, opts(PRESETS["[0,1]"])))).toEqual([1, Math.fround(128 / 255), 0]);
    const m11 = Array.from(toTensor(px, opts(PRESETS["[-1,1]"])));
    expect(m11[0]).toBeCloseTo(1, 6);
    expect(m11[1]).toBeCloseTo(128 / 255 / 0.5 - 1, 6);
    expect(m11[2]).toBeCloseTo(-1, 6);
    expect(Array.from(toTensor(px, opts(PRESETS["[0,255]"])))).toEqual([255, 128, 0]);
    const inet = Array.from(toTensor(px, opts(PRESETS.ImageNet)));
    expect(inet[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(inet[1]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 5);
    expect(inet[2]).toBeCloseTo((0 - 0.406) / 0.225, 5);
  });

  it("BGR swaps the planes and keeps each colour's mean/std", () => {
    const bgr = Array.from(toTensor(px, opts(PRESETS.ImageNet, "BGR")));
    expect(bgr[0]).toBeCloseTo((0 - 0.406) / 0.225, 5);
    expect(bgr[2]).toBeCloseTo((1 - 0.485) / 0.229, 5);
  });

  it("grey uses ITU-R 601 luma and the first mean/std", () => {
    expect(luma(255, 0, 0)).toBeCloseTo(76.245, 6);
    const g = toTensor(px, { width: 1, height: 1, channels: 1, order: "RGB", norm: PRESETS["[-1,1]"] });
    expect(g[0]).toBeCloseTo((luma(255, 128, 0) / 255 - 0.5) / 0.5, 6);
  });

  it("recognises a preset from its numbers, else custom", () => {
    expect(presetOf(PRESETS.ImageNet)).toBe("ImageNet");
    expect(presetOf({ ...PRESETS.ImageNet, mean: [0.5, 0.456, 0.406] })).toBeNull();
  });
});

describe("resizing", () => {
  it("enlarges like PyTorch bilinear with align_corners=False", () => {
    // F.interpolate([0, 1] → 4) = [0, 0.25, 0.75, 1]
    const r = resizeRgba(row([0, 255]), 4, 1);
    expect(Array.from(r.data.filter((_, i) => i % 4 === 0))).toEqual([0, 64, 191, 255]);
  });

  it("shrinks by area averaging (anti-aliased)", () => {
    const r = resizeRgba(row([0, 100, 200, 40]), 2, 1);
    expect(Array.from(r.data.filter((_, i) => i % 4 === 0))).toEqual([50, 120]);
    const third = resizeRgba(row([0, 30, 60]), 2, 1);
    // Footprints [0, 1.5) and [1.5, 3): (0 + 0.5·30)/1.5 = 10, (0.5·30 + 60)/1.5 = 50.
    expect(Array.from(third.data.filter((_, i) => i % 4 === 0))).toEqual([10, 50]);
  });

  it("returns the same image at the same size, and handles both axes", () => {
    const img = row([1, 2, 3]);
    expect(resizeRgba(img, 3, 1)).toBe(img);
    const big = resizeRgba(noiseImage(224, 224, 3), 32, 32);
    expect(big.width).toBe(32);
    expect(big.height).toBe(32);
    expect(big.data).toHaveLength(32 * 32 * 4);
    expect(big.data[3]).toBe(255);
  });
});

describe("other input helpers", () => {
  it("previews in grey for 1-channel models", () => {
    const p = previewRgba({ width: 1, height: 1, data: Uint8ClampedArray.from([255, 0, 0, 255]) }, 1);
    expect(Array.from(p.data)).toEqual([76, 76, 76, 255]);
  });

  it("repeats a frame for video inputs [N, C, D, H, W]", () => {
    const out = repeatFrames(Float32Array.from([1, 2, 3, 4]), 2, 3);
    expect(Array.from(out)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
  });

  it("noise repeats for a seed", () => {
    expect(noiseImage(4, 4, 7).data).toEqual(noiseImage(4, 4, 7).data);
    expect(noiseImage(4, 4, 7).data).not.toEqual(noiseImage(4, 4, 8).data);
    expect(valueRange([3, -1, 2])).toEqual([-1, 3]);
  });
});

describe("input description", () => {
  it("images, video, tokens and other tensors", () => {
    expect(describeInput({ name: "input", dtype: "float32", shape: [1, 1, 32, 32] })).toMatchObject({
      kind: "image",
      channels: 1,
      height: 32,
      width: 32,
    });
    expect(describeInput({ name: "x", dtype: "float32", shape: ["N", 3, "H", "W"] })).toMatchObject({
      kind: "image",
      channels: 3,
      height: null,
      width: null,
    });
    expect(describeInput({ name: "v", dtype: "float32", shape: [1, 3, 16, 112, 112] })).toMatchObject({
      kind: "image",
      frames: 16,
      height: 112,
    });
    expect(describeInput({ name: "t", dtype: "int64", shape: [1, 50] })).toMatchObject({
      kind: "tokens",
      length: 50,
    });
    expect(describeInput({ name: "t", dtype: "int64", shape: ["batch", "seq"] })).toMatchObject({
      kind: "tokens",
      length: null,
    });
    expect(describeInput({ name: "b", dtype: "float32", shape: [1, 48, 19, 19] }).kind).toBe("tensor");
    expect(concreteShape({ name: "x", dtype: "float32", shape: ["N", 3, "H", "W"] }, [64, 48])).toEqual([
      1, 3, 64, 48,
    ]);
  });

  it("parses typed ids, pads or cuts to a fixed length", () => {
    expect(parseIds("1, 2 3", null)).toEqual({ ids: [1, 2, 3], note: null });
    expect(parseIds("1,2", 4)).toEqual({ ids: [1, 2, 0, 0], note: "padded with 0 to the model's 4 tokens" });
    expect(parseIds("1 2 3", 2)).toEqual({ ids: [1, 2], note: "cut to the model's 2 tokens" });
    expect(parseIds("1, x", null)).toEqual({ error: '"x" is not a token id (a whole number ≥ 0)' });
    expect(parseIds("  ", 3)).toHaveProperty("error");
  });

  it("draws random ids in 0..999, the same for a seed, as int64 or int32", () => {
    const ids = randomIds(200, 5);
    expect(ids).toEqual(randomIds(200, 5));
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids)).toBeLessThan(1000);
    expect(idsTensorData([1, 2], "int64")).toEqual(BigInt64Array.from([1n, 2n]));
    expect(idsTensorData([1, 2], "int32")).toEqual(Int32Array.from([1, 2]));
  });
});
