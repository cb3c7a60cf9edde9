/**
 * The host engine's worker thread (src/host/engineWorker.ts via src/runtime/workerEngine.ts): its
 * outputs must be those of the in-thread engine (onnxruntime-node, same model, same input) for
 * LeNet-5's forward graph and a backward graph; a run cancelled before it is posted is not run; a
 * session the worker evicted is created again from its model; a worker that dies fails its runs
 * with one line, and the next run gets a fresh worker.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { defaultSpatialLayer, hostLayer } from "../../src/core/explain/layers";
import { explainGraph } from "../../src/core/explain/methods";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildRunnable, WEIGHTS_SEED } from "../../src/core/onnx/runnable";
import { loadNative, NativeEngine, type NativeFeed } from "../../src/runtime/nativeEngine";
import { WorkerEngine } from "../../src/runtime/workerEngine";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
const digits = readOnnx(readFileSync(resolve(FIXTURES, "models/lenet5_digits.onnx")));
const layers = analyzeModel(digits, { modelName: "lenet5_digits" }).layers;
const layer = hostLayer(defaultSpatialLayer(layers)!, layers);
const forward = buildRunnable(digits, { seed: WEIGHTS_SEED }).bytes;
const gradcamGraph = explainGraph(digits, layers, {
  method: "gradcam",
  layerIndex: layer.index,
  classIndex: 0,
  fedSeed: true,
});
const gradcam = buildRunnable(gradcamGraph.model, { seed: WEIGHTS_SEED }).bytes;

/** A deterministic input (not constant: every output depends on it). */
function image(): NativeFeed {
  const data = new Float32Array(32 * 32).map((_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
  return { dtype: "float32", dims: [1, 1, 32, 32], data };
}
const oneHot = (k: number): NativeFeed => ({
  dtype: "float32",
  dims: [1, 10],
  data: Float32Array.from({ length: 10 }, (_, i) => (i === k ? 1 : 0)),
});

/** onnxruntime-node stays outside the bundle, required by its absolute path (the bundle is in a temp dir). */
const ortExternal: Plugin = {
  name: "ort-external",
  setup(b) {
    const path = createRequire(__filename).resolve("onnxruntime-node");
    b.onResolve({ filter: /^onnxruntime-node$/ }, () => ({ path, external: true }));
  },
};

const native = loadNative();
if (!native.ok) throw new Error(native.why);
const inThread = new NativeEngine(native.ort);

describe("host engine in a worker thread", () => {
  let dir: string;
  let script: string;
  let engine: WorkerEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "convlens-engine-"));
    script = join(dir, "engineWorker.js");
    await build({
      entryPoints: [resolve(__dirname, "../../src/host/engineWorker.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      outfile: script,
      logLevel: "warning",
      plugins: [ortExternal],
    });
    engine = new WorkerEngine(script);
    // Started ahead, as when a model starts being prepared: the runs below find it running.
    engine.start();
  });
  afterAll(() => {
    engine.dispose();
    inThread.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs LeNet-5 forward and a Grad-CAM graph with the in-thread engine's outputs", async () => {
    const fwdFetch = digits.graph.outputs.map((o) => o.name);
    const want = await inThread.run(
      "fwd",
      () => forward,
      { [digits.graph.inputs[0]!.name]: image() },
      fwdFetch,
    );
    // The worker gets its own copy of the model (its buffer is transferred).
    const got = await engine.run(
      "fwd",
      () => forward.slice(),
      { [digits.graph.inputs[0]!.name]: image() },
      fwdFetch,
    );
    expect(fwdFetch.length).toBeGreaterThan(0);
    for (const name of fwdFetch) {
      expect(got.outputs.get(name)?.dims).toEqual([1, 10]);
      expect(Array.from(got.outputs.get(name)!.data)).toEqual(Array.from(want.outputs.get(name)!.data));
    }
    expect(got.firstRun).toBe(true);

    // The predicted class: its Grad-CAM map is not all zero.
    const logits = Array.from(want.outputs.get(fwdFetch[0]!)!.data);
    const top = logits.indexOf(Math.max(...logits));
    const seed = gradcamGraph.seedInput!;
    const feeds = () => ({ [digits.graph.inputs[0]!.name]: image(), [seed.name]: oneHot(top) });
    const map = gradcamGraph.output;
    const wantMap = await inThread.run("gradcam", () => gradcam, feeds(), [map]);
    const gotMap = await engine.run("gradcam", () => gradcam.slice(), feeds(), [map]);
    expect(gotMap.outputs.get(map)?.dims).toEqual(wantMap.outputs.get(map)?.dims);
    expect(Array.from(gotMap.outputs.get(map)!.data)).toEqual(Array.from(wantMap.outputs.get(map)!.data));
    expect(wantMap.outputs.get(map)!.data.some((v) => v !== 0)).toBe(true);
    // A later run reuses the session: not the first, and the model is not read again.
    const later = await engine.run("gradcam", () => Promise.reject(new Error("read again")), feeds(), [map]);
    expect(later.firstRun).toBe(false);
  });

  it("runs a backward graph warmed at the quicker level with the outputs of the full one (1e-5)", async () => {
    const logits = await inThread.run("fwd", () => forward, { [digits.graph.inputs[0]!.name]: image() }, [
      digits.graph.outputs[0]!.name,
    ]);
    const values = Array.from(logits.outputs.get(digits.graph.outputs[0]!.name)!.data);
    const seed = gradcamGraph.seedInput!;
    const feeds = () => ({
      [digits.graph.inputs[0]!.name]: image(),
      [seed.name]: oneHot(values.indexOf(Math.max(...values))),
    });
    const map = gradcamGraph.output;
    const want = Array.from(
      (await inThread.run("gradcam", () => gradcam, feeds(), [map])).outputs.get(map)!.data,
    );
    engine.warm("extended", () => gradcam.slice(), "extended");
    const got = await engine.run("extended", () => Promise.reject(new Error("read again")), feeds(), [map]);
    const scale = Math.max(...want.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    const diff = Math.max(...Array.from(got.outputs.get(map)!.data, (v, i) => Math.abs(v - want[i]!)));
    expect(diff).toBeLessThanOrEqual(1e-5 * scale);
  });

  it("creates an evicted session again from its model, and runs a warmed one without reading it", async () => {
    engine.warm("warm", () => forward.slice());
    const out = digits.graph.outputs[0]!.name;
    const feeds = () => ({ [digits.graph.inputs[0]!.name]: image() });
    const r = await engine.run("warm", () => Promise.reject(new Error("read again")), feeds(), [out]);
    expect(r.outputs.get(out)?.data.length).toBe(10);
    // NativeEngine keeps 3 sessions: 4 more models evict "warm" there; its next run loads it again.
    for (const k of ["a", "b", "c", "d"]) await engine.run(k, () => forward.slice(), feeds(), [out]);
    let reads = 0;
    const again = await engine.run("warm", () => (reads++, forward.slice()), feeds(), [out]);
    expect(reads).toBe(1);
    expect(Array.from(again.outputs.get(out)!.data)).toEqual(Array.from(r.outputs.get(out)!.data));
  });

  it("does not start a run cancelled before it is posted", async () => {
    const stop = new AbortController();
    stop.abort();
    let reads = 0;
    const run = engine.run("never", () => (reads++, forward.slice()), {}, [], stop.signal);
    await expect(run).rejects.toThrow();
    expect(reads).toBe(1);
  });

  it("fails the runs of a worker that died with one line; the next run gets a fresh worker", async () => {
    const out = digits.graph.outputs[0]!.name;
    const feeds = { [digits.graph.inputs[0]!.name]: image() };
    const dying = engine.run("dies", () => forward.slice(), feeds, [out]);
    // Killed as a crash would end it, while the run is in flight.
    await (engine as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const err = await dying.then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^the host engine's worker exited \(code \d+\)$/);
    const fresh = await engine.run(
      "dies",
      () => forward.slice(),
      { [digits.graph.inputs[0]!.name]: image() },
      [out],
    );
    expect(fresh.firstRun).toBe(true);
    expect(fresh.outputs.get(out)?.data.length).toBe(10);
  });

  it("reports a worker that cannot start in one line", async () => {
    const broken = new WorkerEngine(join(dir, "missing.js"));
    const err = await broken
      .run("x", () => forward.slice(), {}, [])
      .then(
        () => null,
        (e: Error) => e,
      );
    broken.dispose();
    expect(err?.message).toMatch(/^the host engine's worker (failed|exited)/);
    expect(err?.message).not.toContain("\n");
  });
});
