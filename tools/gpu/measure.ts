/**
 * Timing one ONNX model on one execution provider, and comparing outputs.
 * Every timed run feeds a CPU tensor and reads the outputs back to the CPU, as the
 * Run tab does, so upload and readback are part of each number.
 */
import type { BufferStats, Ort } from "./gpuEnv";

export type Ep = "webgpu" | "wasm";
export const EPS: readonly Ep[] = ["webgpu", "wasm"];

export interface Timing {
  readonly ep: Ep;
  readonly createMs: number;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly minMs: number;
  /** Timed runs after the first. */
  readonly runs: number;
}

export interface Timed {
  readonly timing: Timing;
  /** The first run's output (later runs are not kept: they are the same computation). */
  readonly output: Float32Array;
  readonly dims: readonly number[];
}

export interface Feed {
  readonly name: string;
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export const now = (): number => performance.now();

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] ?? -Infinity) > (xs[best] ?? -Infinity)) best = i;
  return best;
}

/** Creates a session, runs it once (the first run compiles WebGPU shaders), then `runs` more times. */
export async function timeModel(
  ort: Ort,
  bytes: Uint8Array,
  ep: Ep,
  feed: Feed,
  output: string,
  /** How many timed runs, or a rule from the first run's time (keeps slow wasm runs bounded). */
  runsFor: number | ((firstMs: number) => number),
): Promise<Timed> {
  let t = now();
  // As the Run tab creates them (webview/run/engine.ts); warnings about CPU fallback nodes off.
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [ep],
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  });
  const createMs = now() - t;
  try {
    const x = new ort.Tensor("float32", feed.data, [...feed.dims]);
    const once = async () => {
      const out = await session.run({ [feed.name]: x }, [output]);
      const y = out[output];
      if (!y) throw new Error(`no output ${output}`);
      // Outputs are CPU tensors (the default location): reading data includes the GPU readback.
      return { data: y.data as Float32Array, dims: [...y.dims] };
    };
    t = now();
    const first = await once();
    const firstMs = now() - t;
    const runs = typeof runsFor === "number" ? runsFor : runsFor(firstMs);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = now();
      await once();
      times.push(now() - t);
    }
    return {
      timing: { ep, createMs, firstMs, medianMs: median(times), minMs: Math.min(...times), runs },
      output: Float32Array.from(first.data),
      dims: first.dims,
    };
  } finally {
    await session.release();
  }
}

/** One session for several inputs (the ground-truth images); released afterwards. */
export async function withSession<T>(
  ort: Ort,
  bytes: Uint8Array,
  ep: Ep,
  body: (run: (feed: Feed, output: string) => Promise<Float32Array>) => Promise<T>,
): Promise<T> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 3 });
  try {
    return await body(async (feed, output) => {
      const out = await session.run({ [feed.name]: new ort.Tensor("float32", feed.data, [...feed.dims]) }, [
        output,
      ]);
      const y = out[output];
      if (!y) throw new Error(`no output ${output}`);
      return Float32Array.from(y.data as Float32Array);
    });
  } finally {
    await session.release();
  }
}

export interface Agreement {
  /** max |got − ref| */
  readonly maxAbs: number;
  /** max |ref| */
  readonly scale: number;
  /** maxAbs / scale: the measure the backward-map unit tests use. */
  readonly rel: number;
  readonly top1Ref: number;
  readonly top1Got: number;
}

export function compare(ref: ArrayLike<number>, got: ArrayLike<number>): Agreement {
  if (ref.length !== got.length)
    throw new Error(`length ${got.length} differs from the reference's ${ref.length}`);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] ?? NaN;
    const d = Math.abs(r - (got[i] ?? NaN));
    // NaN must not hide behind Math.max: it makes the comparison fail outright.
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    scale = Math.max(scale, Math.abs(r));
  }
  return { maxAbs, scale, rel: maxAbs / Math.max(scale, 1e-30), top1Ref: argmax(ref), top1Got: argmax(got) };
}

export interface MemorySample {
  readonly label: string;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
  readonly liveGpuBuffers: number;
  readonly liveGpuMiB: number;
}

const MiB = 1024 * 1024;

/** Process memory after a full GC (when node runs with --expose-gc), plus the GPU buffers ORT holds. */
export function memorySample(label: string, buffers: BufferStats): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  return {
    label,
    rssMiB: m.rss / MiB,
    heapUsedMiB: m.heapUsed / MiB,
    externalMiB: m.external / MiB,
    arrayBuffersMiB: m.arrayBuffers / MiB,
    liveGpuBuffers: buffers.created - buffers.destroyed,
    liveGpuMiB: buffers.liveBytes / MiB,
  };
}

export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split("\n").find((l) => l.trim() !== "") ?? text).slice(0, 400);
}
