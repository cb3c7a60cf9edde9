import { describe, expect, it } from "vitest";
import { uniformValues } from "../../src/core/random";
import {
  ascentStep,
  blur,
  isShowStep,
  jitterSource,
  parseParam,
  rms,
  roll,
  startNoise,
} from "../../webview/run/explain/ascent";

describe("gradient ascent", () => {
  it("steps x ← x + lr·g/(‖g‖ + ε) − decay·x with ‖g‖ the RMS", () => {
    const x = Float32Array.from([1, 0]);
    const norm = ascentStep(x, [3, 4], 0.1, 0.01);
    const r = Math.sqrt(12.5);
    expect(norm).toBeCloseTo(r, 6);
    expect(x[0]).toBeCloseTo(1 + (0.1 * 3) / r - 0.01, 6);
    expect(x[1]).toBeCloseTo((0.1 * 4) / r, 6);
    // A zero gradient only decays.
    const y = Float32Array.from([2]);
    ascentStep(y, [0], 1, 0.5);
    expect(y[0]).toBeCloseTo(1, 6);
    expect(rms([])).toBe(0);
  });

  it("the step has the same size whatever the gradient's scale", () => {
    const a = Float32Array.from([0, 0, 0]);
    const b = Float32Array.from([0, 0, 0]);
    ascentStep(a, [1, 2, 3], 0.5, 0);
    ascentStep(b, [100, 200, 300], 0.5, 0);
    expect(Array.from(a).map((v) => v.toFixed(5))).toEqual(Array.from(b).map((v) => v.toFixed(5)));
    expect(rms(a)).toBeCloseTo(0.5, 6);
  });

  it("rolls planes with wrap-around and rolls back exactly", () => {
    const dims = [1, 2, 2, 3];
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const r = roll(x, dims, 1, -1);
    // Channel 0 [[0,1,2],[3,4,5]] rolled down 1 and left 1: [[4,5,3],[1,2,0]].
    expect(Array.from(r.slice(0, 6))).toEqual([4, 5, 3, 1, 2, 0]);
    expect(Array.from(roll(r, dims, -1, 1))).toEqual(Array.from(x));
    expect(Array.from(roll([1, 2, 3], [1, 1, 3], 5, 1))).toEqual([3, 1, 2]);
  });

  it("blurs with [1, 2, 1]/4: constants stay, a spike spreads", () => {
    expect(Array.from(blur(new Float32Array(9).fill(2), [1, 1, 3, 3]))).toEqual(new Array(9).fill(2));
    const spike = new Float32Array(9);
    spike[4] = 16;
    expect(Array.from(blur(spike, [1, 1, 3, 3]))).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
    expect(Array.from(blur([0, 4, 0], [1, 1, 3]))).toEqual([1, 2, 1]);
  });

  it("jitters within ±j, starts from faint noise, random inputs fill the range", () => {
    const j = jitterSource(3, 2);
    for (let i = 0; i < 50; i++) for (const d of j()) expect(Math.abs(d)).toBeLessThanOrEqual(2);
    expect(jitterSource(3, 0)()).toEqual([0, 0]);
    const n = startNoise(1000, 0, 1, 1);
    expect(Math.min(...n)).toBeGreaterThanOrEqual(0.45);
    expect(Math.max(...n)).toBeLessThanOrEqual(0.55);
    const r = uniformValues(1000, -1, 1, 2);
    expect(Math.min(...r)).toBeLessThan(-0.9);
    expect(Math.max(...r)).toBeGreaterThan(0.9);
    expect(Array.from(uniformValues(5, 0, 1, 9))).toEqual(Array.from(uniformValues(5, 0, 1, 9)));
  });

  it("shows every few steps and the last; parses typed parameters", () => {
    const p = { steps: 10, showEvery: 4 };
    expect([1, 4, 8, 9, 10].map((s) => isShowStep(s, p))).toEqual([false, true, true, false, true]);
    expect(parseParam("12.7", 5, 1, 100, true)).toBe(13);
    expect(parseParam("-3", 5, 0, 1)).toBe(0);
    expect(parseParam("abc", 5, 0, 10)).toBe(5);
    expect(parseParam("", 5, 0, 10)).toBe(5);
  });
});
