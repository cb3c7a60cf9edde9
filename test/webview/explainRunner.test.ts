import { describe, expect, it } from "vitest";
import { ERF_SAMPLES } from "../../src/core/explain/erf";
import type { GraphMethod } from "../../src/core/explain/methods";
import type { LayerRow } from "../../src/core/analysis/result";
import type { RunnableInfo } from "../../src/protocol/messages";
import { DEFAULT_ASCENT } from "../../webview/run/explain/ascent";
import type { ExplainParams } from "../../webview/run/explain/explainModel";
import { ExplainRunner, type ExplainResult, type ExplainSpec } from "../../webview/run/explain/explainRunner";
import type { FeedData, OutputData, RunResult } from "../../webview/run/engine";
import { CancelledError } from "../../webview/run/jobQueue";

const INPUT = { name: "input", dtype: "float32", shape: [1, 3, 8, 8] };
const FORWARD: RunnableInfo = {
  modelUri: "forward",
  inputs: [INPUT],
  outputs: ["output"],
  layers: [{ index: 7, value: "relu3_out" }],
  randomWeights: false,
};
// A [1, 2, 4, 4] feature map whose largest value (9) is channel 1 at (2, 3).
const LAYER_MAP = Float32Array.from({ length: 32 }, (_, i) => (i === 16 + 2 * 4 + 3 ? 9 : i % 5));
const RELU3: LayerRow = {
  index: 7,
  id: "relu3",
  name: "relu3",
  groups: [],
  opType: "Relu",
  inputs: [],
  outputs: [{ name: "relu3_out", dtype: "float32", shape: [1, 2, 4, 4] }],
  params: 0,
  macs: 0,
  flops: 0,
  outputBytes: 0,
  rf: {
    kind: "spatial",
    axes: [
      { size: 3, stride: 2, start: -1 },
      { size: 3, stride: 2, start: -1 },
    ],
    misaligned: false,
  },
  attrs: {},
  weights: [],
  predecessors: [],
  warnings: [],
};

interface Harness {
  runner: ExplainRunner;
  prepared: { method: GraphMethod; p: ExplainParams }[];
  runs: { uri: string; data: Float32Array; fetches: readonly string[]; mask?: Float32Array }[];
  input: { data: Float32Array };
}

const MASK = "/backward/channelMask";

/**
 * `layerMap`: deconvnet's graph is fed its channel and gives the layer's activations (these), as
 * the host builds it for a channels-first model.
 */
function harness(
  grad: (x: Float32Array) => Float32Array = (x) => x.map((v) => 2 * v),
  layerMap?: Float32Array,
): Harness {
  const prepared: Harness["prepared"] = [];
  const runs: Harness["runs"] = [];
  const input = { data: Float32Array.from({ length: 3 * 64 }, (_, i) => (i % 7) / 7) };
  const engine = {
    async run(
      runnable: RunnableInfo,
      feeds: Readonly<Record<string, FeedData>>,
      fetches: readonly string[],
    ): Promise<RunResult> {
      const x = feeds["input"]!.data as Float32Array;
      const mask = feeds[MASK]?.data as Float32Array | undefined;
      runs.push({ uri: runnable.modelUri, data: x, fetches, ...(mask ? { mask } : {}) });
      const outputs = new Map<string, OutputData>();
      if (runnable.modelUri === "forward") {
        outputs.set("output", { dims: [1, 3], data: Float32Array.from([0.1, 2, 0.5]) });
        if (fetches.includes("relu3_out")) outputs.set("relu3_out", { dims: [1, 2, 4, 4], data: LAYER_MAP });
      } else if (runnable.modelUri.startsWith("gradcam")) {
        outputs.set("gradcam", { dims: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => i) });
      } else {
        outputs.set("input_grad", { dims: [1, 3, 8, 8], data: grad(x) });
        if (layerMap && fetches.includes("relu3_out"))
          outputs.set("relu3_out", { dims: [1, 2, 4, 4], data: layerMap });
      }
      return { backend: "wasm", ms: 2, firstRun: runs.length === 1, outputs, notes: [] };
    },
  };
  const runner = new ExplainRunner({
    engine: () => engine,
    input: () => ({ feed: async () => ({ dtype: "float32", data: input.data, dims: [1, 3, 8, 8] }) }),
    forwardRunnable: async (layers) => ({ ...FORWARD, layers: layers.length ? FORWARD.layers : [] }),
    explainRunnable: async (method, p) => {
      prepared.push({ method, p });
      return {
        runnable: {
          ...FORWARD,
          modelUri: `${method}:${JSON.stringify(p)}`,
          layers: [],
          outputs: ["output", "m"],
        },
        map: method === "gradcam" ? "gradcam" : "input_grad",
        ...(layerMap && method === "deconvnet"
          ? { seed: { name: MASK, kind: "channelMask", dims: [1, 2, 1, 1] }, layer: "relu3_out" }
          : {}),
      } as const;
    },
    progress: () => {},
  });
  return { runner, prepared, runs, input };
}

const spec = (method: ExplainSpec["method"], patch: Partial<ExplainSpec> = {}): ExplainSpec => ({
  method,
  layer: RELU3,
  channel: null,
  classIndex: null,
  target: "channel",
  ascent: DEFAULT_ASCENT,
  ...patch,
});
const token = { cancelled: false };
const noFrames = (): void => {};

describe("explain runner", () => {
  it("Grad-CAM: the predicted class from a forward pass, the map upsampled to the input", async () => {
    const h = harness();
    const r = await h.runner.run(spec("gradcam"), token, noFrames);
    // The graph is asked for at the click (its class is fed), then run for the predicted class.
    expect(h.prepared).toEqual([
      { method: "gradcam", p: { layerIndex: 7 } },
      { method: "gradcam", p: { layerIndex: 7, classIndex: 1 } },
    ]);
    expect(r.classIndex).toBe(1);
    expect(r.predicted).toBe(1);
    expect(r.map.dims).toEqual([4, 4]);
    expect(r.plane).toMatchObject({ width: 8, height: 8 });
    expect(r.plane.data[0]).toBe(0);
    expect(r.plane.data[63]).toBe(15);
    expect(r.timing).toMatchObject({ backend: "wasm", runs: 1, ms: 2 });
  });

  it("a chosen class needs no forward pass; the same input is not run forward twice", async () => {
    const h = harness();
    await h.runner.run(spec("saliency", { classIndex: 2 }), token, noFrames);
    expect(h.runs.map((r) => r.uri)).toEqual(['saliency:{"classIndex":2}']);
    await h.runner.run(spec("guided"), token, noFrames);
    await h.runner.run(spec("saliency"), token, noFrames);
    expect(h.runs.filter((r) => r.uri === "forward")).toHaveLength(1);
    h.input.data = h.input.data.map((v) => v + 1);
    await h.runner.run(spec("saliency"), token, noFrames);
    expect(h.runs.filter((r) => r.uri === "forward")).toHaveLength(2);
  });

  it("deconvnet: the strongest unit's channel and position, and its receptive field", async () => {
    const h = harness();
    const r = await h.runner.run(spec("deconvnet"), token, noFrames);
    // Asked for at the click, then whether it gives the layer's activations (not here), then run.
    expect(h.prepared).toEqual([
      { method: "deconvnet", p: { layerIndex: 7 } },
      { method: "deconvnet", p: { layerIndex: 7 } },
      { method: "deconvnet", p: { layerIndex: 7, channel: 1 } },
    ]);
    expect(h.runs.map((x) => x.uri)).toEqual(["forward", 'deconvnet:{"layerIndex":7,"channel":1}']);
    expect(r.unit).toEqual({
      channel: 1,
      position: [2, 3],
      value: 9,
      box: { x: 5, y: 3, width: 3, height: 3 },
    });
    expect(r.classIndex).toBeNull();
    // A typed channel is kept.
    const r0 = await h.runner.run(spec("deconvnet", { channel: 0 }), token, noFrames);
    expect(r0.unit?.channel).toBe(0);
  });

  it("deconvnet in one graph: no forward pass, any channel fed, the unit read from its layer output", async () => {
    const h = harness(undefined, LAYER_MAP);
    const r = await h.runner.run(spec("deconvnet"), token, noFrames);
    expect(h.runs.map((x) => x.uri)).toEqual(['deconvnet:{"layerIndex":7}']);
    expect(h.runs[0]!.fetches).toEqual(["input_grad", "relu3_out"]);
    expect(Array.from(h.runs[0]!.mask ?? [])).toEqual([0, 0]);
    expect(r.unit).toEqual({
      channel: 1,
      position: [2, 3],
      value: 9,
      box: { x: 5, y: 3, width: 3, height: 3 },
    });
    expect(r.map.dims).toEqual([1, 3, 8, 8]);
    expect(r.timing.runs).toBe(1);
    // A typed channel is fed from the start: one run.
    const r0 = await h.runner.run(spec("deconvnet", { channel: 0 }), token, noFrames);
    expect(r0.unit?.channel).toBe(0);
    expect(h.runs).toHaveLength(2);
    expect(Array.from(h.runs[1]!.mask ?? [])).toEqual([0, Math.fround(-1e30)]);
  });

  it("deconvnet in one graph: a largest value in two channels runs again for the unit's channel alone", async () => {
    // 9 in channel 0 (at 0, 1) as well: the graph fed any channel would project the units of both.
    const tied = Float32Array.from(LAYER_MAP, (v, i) => (i === 1 ? 9 : v));
    const h = harness(undefined, tied);
    const r = await h.runner.run(spec("deconvnet"), token, noFrames);
    expect(r.unit).toMatchObject({ channel: 0, position: [0, 1], value: 9 });
    expect(h.runs.map((x) => Array.from(x.mask ?? []))).toEqual([
      [0, 0],
      [0, Math.fround(-1e30)],
    ]);
    expect(r.timing.runs).toBe(2);
  });

  it("Guided Grad-CAM multiplies guided backprop by the upsampled CAM", async () => {
    const h = harness(() => new Float32Array(192).fill(1));
    const r = await h.runner.run(spec("guidedGradcam"), token, noFrames);
    // Both graphs asked for at the click, then each run.
    expect(h.prepared.map((p) => p.method)).toEqual(["gradcam", "guided", "gradcam", "guided"]);
    expect(r.map.dims).toEqual([1, 3, 8, 8]);
    expect(r.map.data[63]).toBe(15);
    expect(r.map.data[64 + 63]).toBe(15);
    expect(r.timing.runs).toBe(2);
  });

  it("ERF: mean |gradient| over random inputs, the centre unit's box and the mass share", async () => {
    const h = harness((x) => x.map((v, i) => (i % 64 === 27 ? v : 0)));
    const r = await h.runner.run(spec("erf"), token, noFrames);
    expect(h.runs).toHaveLength(ERF_SAMPLES);
    expect(h.runs[0]!.data).not.toEqual(h.runs[1]!.data);
    expect(r.erf?.box).toEqual({ x: 3, y: 3, width: 3, height: 3 });
    expect(r.erf?.mass.pixels).toBe(1);
    expect(r.erf?.mass.share).toBeCloseTo(1 / 9, 12);
    expect(r.plane.data[27]).toBeGreaterThan(0);
  });

  it("gradient ascent: frames every few steps, the last one returned; cancel stops it", async () => {
    const h = harness(() => new Float32Array(192).fill(1));
    const frames: ExplainResult[] = [];
    const ascent = { ...DEFAULT_ASCENT, steps: 5, showEvery: 2, jitter: 0, blurEvery: 0, decay: 0, lr: 0.5 };
    const r = await h.runner.run(spec("activationMax", { channel: 1, ascent }), token, (f) => frames.push(f));
    expect(frames.map((f) => f.ascent?.step)).toEqual([2, 4, 5]);
    expect(r.ascent?.step).toBe(5);
    expect(h.prepared[0]).toEqual({ method: "activationMax", p: { layerIndex: 7, channel: 1 } });
    // Every step adds lr along the (constant) gradient.
    const start = h.runs[0]!.data;
    expect(r.map.data[0]! - start[0]!).toBeCloseTo(5 * 0.5, 5);
    // Deep Dream starts from the input itself.
    const dream = await h.runner.run(spec("deepDream", { ascent: { ...ascent, steps: 1 } }), token, noFrames);
    expect(dream.map.data[1]).toBeCloseTo(h.input.data[1]! + 0.5, 5);
    const cancel = { cancelled: false };
    const p = h.runner.run(spec("deepDream", { ascent: { ...ascent, steps: 50 } }), cancel, () => {
      cancel.cancelled = true;
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });

  it("refuses token inputs", async () => {
    const h = harness();
    const runner = new ExplainRunner({
      engine: () => ({ run: async () => Promise.reject(new Error("not reached")) }),
      input: () => ({ feed: async () => ({ dtype: "int64", data: new BigInt64Array(4), dims: [1, 4] }) }),
      forwardRunnable: async () => FORWARD,
      explainRunnable: async () => Promise.reject(new Error("not reached")),
      progress: () => {},
    });
    await expect(runner.run(spec("saliency"), token, noFrames)).rejects.toThrow(/float input/);
    expect(h.runs).toHaveLength(0);
  });
});
