/**
 * `npm run bench`, runtime part: forward latency of the same runnable models on both engines
 * (onnxruntime-node, the host engine, and onnxruntime-web), in Node and in headless Chromium
 * (scripts/benchBrowser.mjs), plus a 1,000-pass memory check. Printed as Markdown tables and
 * written to dist/bench-runtime.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type * as OrtWeb from "onnxruntime-web";
import { readOnnx } from "../src/core/formats/onnx/reader";
import type { Model } from "../src/core/ir/types";
import { buildRunnable } from "../src/core/onnx/runnable";
import { loadNative, NativeEngine } from "../src/runtime/nativeEngine";
import {
  check,
  median,
  printBrowser,
  printMemory,
  printNode,
  summary,
  type BrowserResult,
  type MemoryResult,
  type NodeRow,
  type Timing,
} from "./benchReport";
import { captureWasmMemory } from "./wasmMemory.mjs";

/**
 * Call before onnxruntime-web creates its first session (bench.ts does, first thing): the Node
 * memory table then includes the wasm heap, which process.memoryUsage() does not count.
 */
export function watchWasmMemory(): void {
  captureWasmMemory();
}

/** Bytes of the captured wasm memories, or null when onnxruntime-web started before the capture. */
function wasmBytes(): number | null {
  const mems = (globalThis as { __wasmMemories?: WebAssembly.Memory[] }).__wasmMemories ?? [];
  return mems.length === 0 ? null : mems.reduce((s, m) => s + m.buffer.byteLength, 0);
}

const MODEL_NAMES = ["lenet5_digits", "shapes_cnn", "resnet18", "mobilenet_v2"];
/** Big enough that SwiftShader WebGL/WebGPU runs take seconds: fewer runs. */
const BIG = new Set(["resnet18", "mobilenet_v2"]);
const MEMORY_MODEL = "shapes_cnn";
const PASSES = 1000;
const WARMUP = 50;

interface Prepared {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly input: Float32Array;
  readonly inputName: string;
  readonly dims: number[];
  readonly output: string;
  readonly big: boolean;
}

/** Deterministic inputs in [0, 1) (the same bytes for every engine, so outputs can be compared). */
function seededInput(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}

function prepare(name: string, model: Model, extraOutputs: readonly string[] = []): Prepared {
  const input = model.graph.inputs[0];
  const dims = (input?.shape ?? []).map((d) => (typeof d === "number" ? d : 1));
  const runnable = buildRunnable(model, { extraOutputs });
  return {
    name,
    bytes: runnable.bytes,
    input: seededInput(
      dims.reduce((a, b) => a * b, 1),
      42,
    ),
    inputName: input?.name ?? "input",
    dims,
    output: model.graph.outputs[0]?.name ?? "output",
    big: BIG.has(name),
  };
}

async function timeWasm(
  ort: typeof OrtWeb,
  m: Prepared,
  runs: number,
): Promise<Timing & { output: Float32Array }> {
  let t0 = performance.now();
  const session = await ort.InferenceSession.create(m.bytes);
  const createMs = performance.now() - t0;
  const feeds = { [m.inputName]: new ort.Tensor("float32", m.input, m.dims) };
  t0 = performance.now();
  const out = await session.run(feeds, [m.output]);
  const firstMs = performance.now() - t0;
  const runMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    t0 = performance.now();
    await session.run(feeds, [m.output]);
    runMs.push(performance.now() - t0);
  }
  await session.release();
  return { createMs, firstMs, runMs, output: out[m.output]!.data as Float32Array };
}

/** Through NativeEngine as the extension host uses it: the first call creates the session. */
async function timeNative(
  engine: NativeEngine,
  m: Prepared,
  runs: number,
): Promise<Timing & { output: Float32Array }> {
  const feeds = { [m.inputName]: { dtype: "float32" as const, dims: m.dims, data: m.input } };
  const t0 = performance.now();
  const first = await engine.run(m.name, () => m.bytes, feeds, [m.output]);
  const createMs = performance.now() - t0 - first.ms;
  const runMs: number[] = [];
  for (let i = 0; i < runs; i++) runMs.push((await engine.run(m.name, () => m.bytes, feeds, [m.output])).ms);
  engine.drop(m.name);
  return { createMs, firstMs: first.ms, runMs, output: first.outputs.get(m.output)!.data };
}

/** `gc()` even without --expose-gc (the flag can be set at run time; a new context then sees it). */
function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** 1,000 passes fetching the logits and the first conv's output (as the Run panel does) on wasm in Node. */
async function memoryNode(ort: typeof OrtWeb, m: Prepared, fetches: string[]): Promise<MemoryResult> {
  const gc = gcFunction();
  const session = await ort.InferenceSession.create(m.bytes);
  const pass = async () => {
    const out = await session.run(
      { [m.inputName]: new ort.Tensor("float32", m.input.slice(), m.dims) },
      fetches,
    );
    for (const f of fetches) Float32Array.from(out[f]!.data as Float32Array);
  };
  for (let i = 0; i < WARMUP; i++) await pass();
  const snap = async () => {
    // Twice, a turn apart: external memory is freed by finalizers that run after the first GC.
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const u = process.memoryUsage();
    return {
      heapUsed: u.heapUsed,
      rss: u.rss,
      external: u.external,
      arrayBuffers: u.arrayBuffers,
      wasmMemory: wasmBytes(),
    };
  };
  const before = await snap();
  const t0 = performance.now();
  for (let i = 0; i < PASSES; i++) await pass();
  const msPerPass = (performance.now() - t0) / PASSES;
  const after = await snap();
  await session.release();
  return { passes: PASSES, warmup: WARMUP, fetches, msPerPass, before, after };
}

interface BrowserModule {
  benchBrowser(opts: {
    models: Prepared[];
    memory: (Prepared & { fetches: string[]; passes: number; warmup: number }) | null;
    log: (s: string) => void;
  }): Promise<BrowserResult>;
}

const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

export async function benchEngines(modelsDir: string): Promise<void> {
  watchWasmMemory(); // a no-op when bench.ts already called it
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  const prepared: Prepared[] = [];
  let memoryModel: (Prepared & { fetches: string[] }) | null = null;
  for (const name of MODEL_NAMES) {
    const file = join(modelsDir, `${name}.onnx`);
    if (!existsSync(file)) continue;
    const model = readOnnx(readFileSync(file), { externalExists: () => false });
    prepared.push(prepare(name, model));
    if (name === MEMORY_MODEL) {
      const conv = model.graph.nodes.find((n) => n.opType === "Conv")?.outputs[0];
      const m = prepare(`${name}_conv1`, model, conv === undefined ? [] : [conv]);
      memoryModel = { ...m, fetches: conv === undefined ? [m.output] : [m.output, conv] };
    }
  }

  // 1. Node: both engines on the same bytes and input.
  // These machines are shared: a load average above the core count means noisy timings.
  const load = loadavg()[0]!.toFixed(1);
  const native = loadNative();
  const engine = native.ok ? new NativeEngine(native.ort) : null;
  const nodeRows: NodeRow[] = [];
  for (const m of prepared) {
    const runs = m.big ? 10 : 20;
    log(`node: ${m.name}`);
    const w = await timeWasm(ort, m, runs);
    const n = engine === null ? null : await timeNative(engine, m, runs);
    nodeRows.push({
      model: m.name,
      native: n === null ? null : summary(n),
      wasm: summary(w),
      ratio: n === null ? null : median(w.runMs) / median(n.runMs),
      check: n === null ? null : check(n.output, w.output),
    });
  }
  engine?.dispose();
  const cores = availableParallelism();
  printNode(nodeRows, cores, load, native.ok ? null : native.why);

  // 3a. Memory in Node (wasm's heap is a WebAssembly.Memory: Node counts it in `external`).
  let nodeMemory: MemoryResult | null = null;
  if (memoryModel !== null) {
    log(`node: ${PASSES} passes of ${MEMORY_MODEL}`);
    nodeMemory = await memoryNode(ort, memoryModel, memoryModel.fetches);
    printMemory(
      `${MEMORY_MODEL} on onnxruntime-web wasm in Node`,
      nodeMemory,
      "process.memoryUsage() after two GCs; wasmMemory: onnxruntime-web's WebAssembly.Memory, shared (so not in external) and the whole process's (it never shrinks; earlier sections grew it).",
    );
  }

  // 2 + 3b. Headless Chromium: a plain ES module, loaded at run time (see its header).
  const browserModule = resolve(__dirname, "../scripts/benchBrowser.mjs");
  const { benchBrowser } = (await import(pathToFileURL(browserModule).href)) as BrowserModule;
  let browser: BrowserResult;
  try {
    browser = await benchBrowser({
      models: prepared,
      memory: memoryModel === null ? null : { ...memoryModel, passes: PASSES, warmup: WARMUP },
      log,
    });
  } catch (err) {
    browser = { skipped: `failed: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}` };
  }
  printBrowser(browser, MEMORY_MODEL);

  const out = resolve(__dirname, "../dist/bench-runtime.json");
  mkdirSync(resolve(out, ".."), { recursive: true });
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    cores,
    loadAverage: loadavg(),
    nodeEngines: nodeRows,
    nodeMemory,
    browser,
  };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n(runtime results as JSON: ${out})`);
}
