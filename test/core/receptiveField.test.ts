import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import {
  IDENTITY_AXIS,
  applyWindow,
  regionOf,
  slidingWindow,
  transposedWindow,
  unionAxis,
  type ValueField,
} from "../../src/core/fields/receptiveField";

describe("receptive-field algebra", () => {
  it("composes convolutions as Araujo et al. (Distill 2019)", () => {
    // conv 3×3 s1 p1, then conv 3×3 s2 p1, then pool 2 s2: r = 1+2+2·2+1·2... computed by hand.
    let f = applyWindow(IDENTITY_AXIS, slidingWindow(3, 1, 1, 1)); // size 3, start -1, stride 1
    expect(regionOf(f, 0)).toEqual([-1, 1]);
    f = applyWindow(f, slidingWindow(3, 2, 1, 1)); // size 3 + 2·1 = 5, start -1 - 1 = -2, stride 2
    expect(regionOf(f, 0)).toEqual([-2, 2]);
    expect(regionOf(f, 1)).toEqual([0, 4]);
    f = applyWindow(f, slidingWindow(2, 2, 0, 1)); // size 5 + 1·2 = 7, stride 4
    expect(regionOf(f, 0)).toEqual([-2, 4]);
    expect(f.step / f.period).toBe(4);
  });

  it("handles dilation", () => {
    const f = applyWindow(IDENTITY_AXIS, slidingWindow(3, 1, 2, 2));
    expect(regionOf(f, 0)).toEqual([-2, 2]);
  });

  it("a stride-2 transposed convolution gives a field that depends on the unit's parity", () => {
    const down = applyWindow(IDENTITY_AXIS, slidingWindow(2, 2, 0, 1)); // unit i covers [2i, 2i+1]
    const up = applyWindow(down, transposedWindow(2, 2, 0, 1)); // unit o reads input floor(o/2)
    expect(up.period).toBe(2);
    expect(regionOf(up, 0)).toEqual([0, 1]);
    expect(regionOf(up, 1)).toEqual([0, 1]);
    expect(regionOf(up, 2)).toEqual([2, 3]);
  });

  it("flags the union of misaligned paths", () => {
    const a = applyWindow(IDENTITY_AXIS, slidingWindow(1, 2, 0, 1));
    expect(unionAxis(a, IDENTITY_AXIS).aligned).toBe(false);
    expect(unionAxis(a, a).aligned).toBe(true);
  });

  it("reproduces the per-unit regions of unet_small's head given in the fixture README", () => {
    const path = resolve(__dirname, "../../../shared/fixtures/models/unet_small.onnx");
    const fields = new Map<string, ValueField>();
    const a = analyzeFile(path, readFileSync(path), {}, { onField: (n, f) => fields.set(n, f) });
    const out = fields.get(a.outputs[0]?.name ?? "");
    expect(out?.kind).toBe("axes");
    if (out?.kind !== "axes") return;
    const h = out.axes[2];
    expect(h).toBeTruthy();
    if (!h) return;
    // README: "at head, units 0 and 1 both cover -22..21 and units 2 to 5 all cover -18..25".
    expect(regionOf(h, 0)).toEqual([-22, 21]);
    expect(regionOf(h, 1)).toEqual([-22, 21]);
    for (const o of [2, 3, 4, 5]) expect(regionOf(h, o)).toEqual([-18, 25]);
  });
});
