import { describe, expect, it } from "vitest";
import { backendPlan, outputsAgree } from "../../webview/run/backend";
import { colormapLut, lutIndex, planeToRgba } from "../../webview/run/colormap";
import { defaultFilterMode, filterLayout, filterPlanes, filterRgba } from "../../webview/run/filterModel";
import { JobQueue } from "../../webview/run/jobQueue";
import {
  formatProb,
  looksLikeProbabilities,
  predictions,
  softmax,
  topK,
  vectorLength,
} from "../../webview/run/predictions";
import { formatMs, hasFilters, layersKey, pickSample, pngName } from "../../webview/run/runModel";
import { describeInput } from "../../webview/run/inputModel";
import {
  displayRange,
  gridLayout,
  histogram,
  layoutOf,
  mapStats,
  stats,
  tileScale,
  toNumbers,
} from "../../webview/run/tensorLayout";

describe("predictions", () => {
  it("softmax is stable and sums to 1", () => {
    const p = softmax([1000, 1001, 1002]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(1) + Math.exp(2)), 12);
  });

  it("top-k orders by value, ties by index", () => {
    expect(topK([0.1, 0.5, 0.5, 0.2], 3)).toEqual([1, 2, 3]);
    expect(topK([1, 2], 5)).toEqual([1, 0]);
  });

  it("uses softmax on logits and keeps probability outputs as they are", () => {
    const logits = [-3.55, 0.12, 2.62, 12.01, -10.78, 0.43, -2.41, -0.73, 0.54, 1.69];
    const p = predictions(logits, null);
    expect(p.mode).toBe("softmax");
    expect(p.rows.map((r) => r.index)).toEqual([3, 2, 9, 8, 5]);
    expect(p.rows[0]?.label).toBe("3");
    expect(p.rows[0]?.prob).toBeGreaterThan(0.999);
    expect(p.rows[0]?.value).toBe(12.01);
    const probs = [0.1, 0.7, 0.2];
    expect(looksLikeProbabilities(probs)).toBe(true);
    const q = predictions(probs, ["cat", "dog", " "]);
    expect(q.mode).toBe("probabilities");
    expect(q.rows.map((r) => [r.label, r.prob])).toEqual([
      ["dog", 0.7],
      ["2", 0.2],
      ["cat", 0.1],
    ]);
    expect(looksLikeProbabilities([0.5, 0.6])).toBe(false);
    expect(looksLikeProbabilities([-0.1, 1.1])).toBe(false);
  });

  it("knows a class vector from a map", () => {
    expect(vectorLength([1, 10])).toBe(10);
    expect(vectorLength([1, 1000, 1, 1])).toBe(1000);
    expect(vectorLength([1, 2, 64, 64])).toBeNull();
    expect(vectorLength([1, 1])).toBe(1);
    expect(formatProb(0.9731)).toBe("97.3 %");
    expect(formatProb(0.0002)).toBe("0.020 %");
    expect(formatProb(1e-9)).toBe("< 0.01 %");
  });
});

describe("tensor layout and statistics", () => {
  it("maps, 3-D maps, rows, vectors", () => {
    expect(layoutOf([1, 6, 28, 28])).toMatchObject({
      kind: "maps",
      channels: 6,
      height: 28,
      width: 28,
      channelStride: 784,
      frameOffset: 0,
    });
    expect(layoutOf([1, 4, 16, 7, 7])).toMatchObject({
      kind: "maps",
      channels: 4,
      channelStride: 16 * 49,
      frameOffset: 8 * 49,
      note: "frame 9 of 16",
    });
    expect(layoutOf([1, 100, 48])).toEqual({ kind: "rows", channels: 100, length: 48 });
    expect(layoutOf([1, 120])).toEqual({ kind: "vector", length: 120 });
    expect(layoutOf([84])).toEqual({ kind: "vector", length: 84 });
    expect(layoutOf([2, 3, 4, 4])).toMatchObject({ kind: "maps", note: "first of 2 samples" });
    expect(layoutOf([1, 1, 1, 1, 1, 1]).kind).toBe("none");
  });

  it("stats: min, max, mean, std, zeros", () => {
    const s = stats([0, 0, 2, -2, NaN]);
    expect(s).toMatchObject({ min: -2, max: 2, mean: 0, count: 4 });
    expect(s.std).toBeCloseTo(Math.sqrt(2), 12);
    expect(s.zeros).toBeCloseTo(2 / 5, 12);
    expect(stats([])).toMatchObject({ count: 0, min: 0, max: 0 });
  });

  it("per-channel statistics of maps honour frames", () => {
    const l = layoutOf([1, 2, 2, 1, 2]);
    if (l.kind !== "maps") throw new Error("maps expected");
    // channel 0: frames [1,2] [3,4]; channel 1: [5,6] [7,8]; middle frame = 1
    const data = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(mapStats(data, l, 0)).toMatchObject({ min: 3, max: 4 });
    expect(mapStats(data, l)).toMatchObject({ min: 3, max: 8, count: 4 });
  });

  it("histogram bins cover [min, max]", () => {
    const h = histogram([0, 1, 2, 3, 4], 4);
    expect(h).toEqual({ lo: 0, hi: 4, counts: [1, 1, 1, 2] });
    expect(histogram([5, 5, 5], 10).counts).toEqual([3]);
    expect(displayRange("layer", stats([1, 2]), stats([-1, 9]))).toEqual([-1, 9]);
    expect(displayRange("channel", stats([1, 2]), stats([-1, 9]))).toEqual([1, 2]);
  });

  it("tiles grids and scales small maps up", () => {
    const g = gridLayout(6, 10, 10, 2);
    expect([g.cols, g.rows, g.width, g.height]).toEqual([3, 2, 34, 22]);
    expect(g.position(4)).toEqual({ x: 12, y: 12 });
    expect(gridLayout(5, 8, 8, 0, 10).cols).toBe(5);
    expect(tileScale(28, 28)).toBe(3);
    expect(tileScale(224, 224)).toBe(1);
    expect(tileScale(5, 5, 64)).toBe(13);
    expect(Array.from(toNumbers(BigInt64Array.from([3n, -1n])))).toEqual([3, -1]);
  });
});

describe("colour maps", () => {
  it("grey and viridis end points", () => {
    expect(Array.from(colormapLut("grey").slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(colormapLut("viridis").slice(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(colormapLut("viridis").slice(255 * 3))).toEqual([253, 231, 37]);
  });

  it("maps values into 0..255, flat planes to black (zeros) or mid-grey", () => {
    expect(lutIndex(5, 0, 10)).toBe(128);
    expect(lutIndex(-3, 0, 10)).toBe(0);
    expect(lutIndex(30, 0, 10)).toBe(255);
    expect(lutIndex(0, 0, 0)).toBe(0);
    expect(lutIndex(2, 2, 2)).toBe(128);
    expect(Array.from(planeToRgba([0, 1, 2, 3], 1, 2, 1, 1, 2, "grey"))).toEqual([
      0, 0, 0, 255, 255, 255, 255, 255,
    ]);
  });
});

describe("filters", () => {
  const dims = [2, 3, 1, 2];
  // filter 0: R [1, -1], G [0, 0], B [2, 2]; filter 1: all 0.5
  const data = [1, -1, 0, 0, 2, 2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];

  it("lays out 1-D, 2-D and 3-D kernels", () => {
    expect(filterLayout([6, 1, 5, 5])).toMatchObject({
      filters: 6,
      inChannels: 1,
      kh: 5,
      kw: 5,
      filterStride: 25,
    });
    expect(filterLayout([100, 64, 3])).toMatchObject({ kh: 1, kw: 3, channelStride: 3 });
    expect(filterLayout([64, 3, 3, 7, 7])).toMatchObject({ sliceOffset: 49, note: "depth slice 2 of 3" });
    expect(filterLayout([10, 5])).toBeNull();
  });

  it("RGB patches share one scale per filter; BGR swaps back", () => {
    const l = filterLayout(dims)!;
    expect(defaultFilterMode(l)).toEqual({ kind: "rgb", bgr: false });
    const px = Array.from(filterRgba(data, l, 0, { kind: "rgb", bgr: false }, "grey"));
    // max |w| = 2: 1 → 191, -1 → 64, 0 → 128, 2 → 255
    expect(px).toEqual([191, 128, 255, 255, 64, 128, 255, 255]);
    const swapped = Array.from(filterRgba(data, l, 0, { kind: "rgb", bgr: true }, "grey"));
    expect(swapped.slice(0, 3)).toEqual([255, 128, 191]);
  });

  it("one input channel or the mean", () => {
    const l = filterLayout(dims)!;
    expect(Array.from(filterPlanes(data, l, 0, { kind: "channel", channel: 2 })[0]!)).toEqual([2, 2]);
    const mean = filterPlanes(data, l, 0, { kind: "mean" })[0]!;
    expect(mean[0]).toBeCloseTo(1, 6);
    expect(mean[1]).toBeCloseTo(1 / 3, 6);
    expect(defaultFilterMode(filterLayout([8, 16, 3, 3])!)).toEqual({ kind: "mean" });
    expect(defaultFilterMode(filterLayout([8, 1, 3, 3])!)).toEqual({ kind: "channel", channel: 0 });
  });
});

describe("backends", () => {
  const host = { available: true };
  const noHost = { available: false, why: "no binary for linux-riscv64" };
  it("plans the order to try: WebGPU on a real GPU, then the host engine, then wasm", () => {
    expect(backendPlan("auto", "real", host).order).toEqual(["webgpu", "native", "wasm"]);
    expect(backendPlan("auto", "fallback", host).order).toEqual(["native", "wasm"]);
    expect(backendPlan("auto", "none", host).order).toEqual(["native", "wasm"]);
    expect(backendPlan("auto", "real", noHost).order).toEqual(["webgpu", "wasm"]);
    expect(backendPlan("auto", "fallback", noHost).order).toEqual(["wasm"]);
    expect(backendPlan("webgpu", "fallback", host).order).toEqual(["webgpu", "wasm"]);
    expect(backendPlan("webgpu", "none", noHost)).toEqual({
      order: ["wasm"],
      note: "WebGPU is not available here",
    });
    expect(backendPlan("webgpu", "none", host).order).toEqual(["native", "wasm"]);
    expect(backendPlan("webgl", "none", host).order).toEqual(["webgl", "wasm"]);
    expect(backendPlan("wasm", "real", host).order).toEqual(["wasm"]);
    expect(backendPlan("native", "real", host)).toEqual({ order: ["native", "wasm"], note: null });
    expect(backendPlan("native", "real", noHost)).toEqual({
      order: ["wasm"],
      note: "the host engine is not available (no binary for linux-riscv64): using wasm",
    });
  });

  it("WebGL must agree with wasm within 1e-3 of the largest |value|", () => {
    expect(outputsAgree([10, -20], [10.01, -20.01]).ok).toBe(true);
    expect(outputsAgree([10, -20], [10.05, -20]).ok).toBe(false);
    expect(outputsAgree([1, 2], [1]).ok).toBe(false);
    expect(outputsAgree([1], [NaN]).ok).toBe(false);
    expect(outputsAgree([0, 0], [0, 0]).ok).toBe(true);
  });
});

describe("job queue", () => {
  it("runs one job at a time and keeps only the latest waiting one", async () => {
    const busy: boolean[] = [];
    const q = new JobQueue((b) => busy.push(b));
    const ran: string[] = [];
    let release!: () => void;
    q.submit(async () => {
      ran.push("a");
      await new Promise<void>((r) => (release = r));
    });
    q.submit(async () => void ran.push("b"));
    q.submit(async () => void ran.push("c"));
    expect(q.busy).toBe(true);
    expect(q.hasWaiting).toBe(true);
    release();
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual(["a", "c"]);
    expect(q.busy).toBe(false);
    expect(busy).toEqual([true, false]);
  });

  it("cancel flags the running job and drops the waiting one; errors do not stop the queue", async () => {
    const q = new JobQueue();
    let seen = false;
    let aborted = false;
    let release!: () => void;
    q.submit(async (token) => {
      // The job's host requests carry token.signal: cancel aborts them too.
      token.signal?.addEventListener("abort", () => (aborted = true));
      await new Promise<void>((r) => (release = r));
      seen = token.cancelled;
      throw new Error("boom");
    });
    q.submit(async () => {
      throw new Error("must not run");
    });
    q.cancel();
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toBe(true);
    expect(aborted).toBe(true);
    expect(q.busy).toBe(false);
    let after = false;
    q.submit(async () => void (after = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(after).toBe(true);
  });
});

describe("run tab decisions", () => {
  it("picks the sample that fits the input", () => {
    const samples = [
      { name: "astronaut.png", uri: "a", width: 224, height: 224, grey: false },
      { name: "camera.png", uri: "c", width: 224, height: 224, grey: true },
      { name: "digit_3.png", uri: "d", width: 32, height: 32, grey: true },
      { name: "shape_0_circle.png", uri: "s", width: 64, height: 64, grey: false },
    ];
    const spec = (shape: (number | string)[]) => describeInput({ name: "x", dtype: "float32", shape });
    expect(pickSample(samples, spec([1, 1, 32, 32]))?.name).toBe("digit_3.png");
    expect(pickSample(samples, spec([1, 3, 64, 64]))?.name).toBe("shape_0_circle.png");
    expect(pickSample(samples, spec([1, 3, 224, 224]))?.name).toBe("astronaut.png");
    // The size counts most: no resizing beats the right colour.
    expect(pickSample(samples, spec([1, 1, 64, 64]))?.name).toBe("shape_0_circle.png");
    expect(pickSample(samples, spec([1, 1, 224, 224]))?.name).toBe("camera.png");
    expect(pickSample([], spec([1, 3, 8, 8]))).toBeNull();
  });

  it("filters only for convolutions with weights; names, keys, times", () => {
    expect(hasFilters({ opType: "Conv", weights: [{ name: "w", shape: [6, 1, 5, 5] }] })).toBe(true);
    expect(hasFilters({ opType: "ConvTranspose", weights: [{ name: "w", shape: [6, 1, 2, 2] }] })).toBe(true);
    expect(hasFilters({ opType: "Relu", weights: [] })).toBe(false);
    expect(hasFilters({ opType: "Conv", weights: [] })).toBe(false);
    expect(pngName("lenet5_digits", "c1", "feature-maps")).toBe("lenet5_digits-c1-feature-maps.png");
    expect(pngName("m", "/features/0/Conv", "")).toBe("m-features_0_Conv.png");
    expect(layersKey([5, 2])).toBe("2,5");
    expect(formatMs(1.234)).toBe("1.2 ms");
    expect(formatMs(532.4)).toBe("532 ms");
    expect(formatMs(1520)).toBe("1.52 s");
  });
});
