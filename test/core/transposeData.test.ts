/**
 * transposeData (core/ir/tensorData.ts), used to show a TFLite conv's OHWI / depthwise 1HWC weights
 * in the axes the converted conv uses: each element names its own source index, and the expected
 * tensor is built from the index arithmetic of the target layout.
 */
import { describe, expect, it } from "vitest";
import { transposeData } from "../../src/core/ir/tensorData";

const [O, H, W, I] = [2, 3, 2, 4];
/** OHWI element (o, h, w, i) holds this number. */
const code = (o: number, h: number, w: number, i: number) => 1000 * o + 100 * h + 10 * w + i;

describe("transposeData", () => {
  it("turns OHWI weights into OIHW", () => {
    const ohwi = new Float32Array(O * H * W * I);
    for (let o = 0; o < O; o++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++)
          for (let i = 0; i < I; i++) ohwi[((o * H + h) * W + w) * I + i] = code(o, h, w, i);
    const got = transposeData(ohwi, [O, H, W, I], [0, 3, 1, 2]);
    const want: number[] = [];
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++)
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) want.push(code(o, h, w, i));
    expect(Array.from(got)).toEqual(want);
  });

  it("turns depthwise 1HWC weights into C1HW", () => {
    const hwc = Float32Array.from({ length: H * W * I }, (_, k) => k);
    const got = transposeData(hwc, [1, H, W, I], [3, 0, 1, 2]);
    // Channel c's 3×2 kernel: elements c, c + I, c + 2I, … of the HWC data.
    const want = Array.from({ length: I }, (_, c) =>
      Array.from({ length: H * W }, (_, k) => c + k * I),
    ).flat();
    expect(Array.from(got)).toEqual(want);
  });
});
