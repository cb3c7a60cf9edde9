/**
 * The second engine: onnxruntime-node (native, multi-threaded) in the extension host
 * or the CLI. Loaded on demand — `summary` and the analysis never pay for it, and a
 * platform without its binary degrades to "not available: why" instead of failing.
 * Sessions are cached per model and released when evicted or disposed. Node-only
 * (no vscode import): the extension host and the CLI share it.
 */
import { performance } from "node:perf_hooks";
import type * as OrtNode from "onnxruntime-node";
import type { NativeTensor } from "../protocol/messages";
import { runtimeErrorText } from "./shared/runtimeErrors";

type Ort = typeof OrtNode;
type Session = OrtNode.InferenceSession;

export type NativeDtype = "float32" | "int64" | "int32";

/**
 * How onnxruntime creates a session: its graph optimisation level, and whether it prepacks weights.
 * "all" adds the CPU layout transforms (NCHWc): measured on ResNet-18's deconvnet graph they made
 * creating its session ~3× longer (2.2–3.5 s vs 0.8–0.9 s, loaded 2-core machine) for no faster
 * runs, so backward graphs (created on a click) take "extended". "extendedUnpacked" is "extended"
 * without prepacking (session.disable_prepacking): no transposed copy of every filter is made for a
 * backward graph's ConvTransposes (44 MB for ResNet-18): creating deconvnet's session took 16 ms of
 * CPU instead of 216 (66 vs 577 ms wall), each of its runs ~50 ms of CPU more (173 vs 124), outputs
 * equal within float rounding: for graphs run once per click. Forward graphs gain nothing from it.
 */
export type GraphLevel = "all" | "extended" | "extendedUnpacked";

/** onnxruntime's session options for `level` (GraphLevel). */
function sessionOptions(
  level: GraphLevel,
  executionProviders: readonly string[],
): OrtNode.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: level === "all" ? "all" : "extended",
    executionProviders: [...executionProviders],
    ...(level === "extendedUnpacked" ? { extra: { session: { disable_prepacking: "1" } } } : {}),
  };
}

/**
 * A model as onnxruntime loads it: its bytes, or its file's path (a model whose weights lie in a file
 * beside it, external data, is loaded from its path: the weights are found from there).
 */
export type ModelSource = Uint8Array | string;

/** Gives the model of a session being created (called once per session). */
export type ModelLoad = () => Promise<ModelSource> | ModelSource;

export interface NativeFeed {
  readonly dtype: NativeDtype;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array;
}

export interface NativeOutput {
  readonly dims: readonly number[];
  /** Always float32: what the views draw (int outputs are converted). */
  readonly data: Float32Array;
}

export interface NativeRun {
  /** session.run only, in ms. */
  readonly ms: number;
  /** This run created the session (its time then includes the warm-up of a first run). */
  readonly firstRun: boolean;
  readonly outputs: ReadonlyMap<string, NativeOutput>;
}

export type NativeAvailability =
  { readonly ok: true; readonly ort: Ort } | { readonly ok: false; readonly why: string };

let loaded: NativeAvailability | null = null;

/** onnxruntime-node, or why it cannot be used here (missing binary for this platform, wrong ABI…). */
export function loadNative(): NativeAvailability {
  if (loaded !== null) return loaded;
  try {
    // A plain require (bundles keep it external): the package carries a native binary per platform.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require("onnxruntime-node") as Ort;
    loaded = { ok: true, ort };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    loaded = {
      ok: false,
      why: `onnxruntime-node could not be loaded on ${process.platform}-${process.arch}: ${text.split("\n")[0] ?? text}`,
    };
  }
  return loaded;
}

const MAX_SESSIONS = 3;

export class NativeEngine {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(
    private readonly ort: Ort,
    /** "cpu" by default; onnxruntime-node also bundles "webgpu" (Dawn) on some platforms. */
    private readonly executionProviders: readonly string[] = ["cpu"],
  ) {}

  /**
   * Runs the model known as `key` (loaded with `load` the first time) and returns the
   * fetched outputs as float32. Errors are onnxruntime's, first line only.
   */
  async run(
    key: string,
    load: ModelLoad,
    feeds: Readonly<Record<string, NativeFeed>>,
    fetches: readonly string[],
    level: GraphLevel = "all",
  ): Promise<NativeRun> {
    const firstRun = !this.sessions.has(key);
    const session = await this.session(key, load, level);
    const tensors: Record<string, OrtNode.Tensor> = {};
    for (const [name, f] of Object.entries(feeds))
      tensors[name] = new this.ort.Tensor(f.dtype, f.data, [...f.dims]);
    let out: OrtNode.InferenceSession.ReturnType;
    const t0 = performance.now();
    try {
      out = await session.run(tensors, [...fetches]);
    } catch (err) {
      throw new Error(runtimeErrorText(err));
    }
    const ms = performance.now() - t0;
    const outputs = new Map<string, NativeOutput>();
    for (const name of fetches) {
      const t = out[name];
      if (t === undefined) continue;
      outputs.set(name, { dims: [...t.dims], data: toFloat32(t.data as ArrayLike<number | bigint>) });
      t.dispose();
    }
    return { ms, firstRun, outputs };
  }

  /** Creates the session of `key` ahead of its first run (errors surface at that run). */
  warm(key: string, load: ModelLoad, level: GraphLevel = "all"): void {
    this.session(key, load, level).catch(() => undefined);
  }

  /** Releases every session (the model changed, the panel closed). */
  dispose(): void {
    for (const s of this.sessions.values()) void s.then((x) => x.release()).catch(() => {});
    this.sessions.clear();
  }

  /** Forgets one model's session (its file was replaced). */
  drop(key: string): void {
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    void s?.then((x) => x.release()).catch(() => {});
  }

  /** Whether a session of `key` is held (or being created). */
  has(key: string): boolean {
    return this.sessions.has(key);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private session(key: string, load: ModelLoad, level: GraphLevel): Promise<Session> {
    const cached = this.sessions.get(key);
    if (cached !== undefined) {
      this.sessions.delete(key); // most recently used last
      this.sessions.set(key, cached);
      return cached;
    }
    const created = (async () => {
      const model = await load();
      const options = sessionOptions(level, this.executionProviders);
      try {
        return await (typeof model === "string"
          ? this.ort.InferenceSession.create(model, options)
          : this.ort.InferenceSession.create(model, options));
      } catch (err) {
        throw new Error(runtimeErrorText(err));
      }
    })();
    this.sessions.set(key, created);
    created.catch(() => {
      if (this.sessions.get(key) === created) this.sessions.delete(key);
    });
    while (this.sessions.size > MAX_SESSIONS) this.drop(this.sessions.keys().next().value as string);
    return created;
  }
}

function toFloat32(data: ArrayLike<number | bigint>): Float32Array {
  if (data instanceof Float32Array) return data.slice(); // own buffer: posted to the webview as is
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** Bytes from the webview → the typed array onnxruntime wants (copied: alignment is not guaranteed). */
export function toFeed(t: NativeTensor): NativeFeed {
  const bytes = t.bytes instanceof Uint8Array ? t.bytes : new Uint8Array(t.bytes as ArrayLike<number>);
  const copy = new Uint8Array(bytes); // own, aligned buffer
  const count = t.dims.reduce((a, b) => a * b, 1);
  const data =
    t.dtype === "int64"
      ? new BigInt64Array(copy.buffer, 0, copy.byteLength / 8)
      : t.dtype === "int32"
        ? new Int32Array(copy.buffer, 0, copy.byteLength / 4)
        : new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  if (data.length !== count)
    throw new Error(`input "${t.name}": ${data.length} values for shape [${t.dims.join(", ")}]`);
  return { dtype: t.dtype, dims: t.dims, data };
}
