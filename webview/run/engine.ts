/**
 * onnxruntime-web in the webview: loaded lazily from the extension's dist/ort/
 * (the inspector's own bundle stays small; nothing is fetched until Run), set up
 * for webviews (no SharedArrayBuffer: one thread, no proxy worker), with sessions
 * cached per model file and backend, and backends tried in turn because an
 * execution-provider list does not fall back when an op is missing.
 */
import { measureSince } from "../../src/runtime/shared/timing";
import type * as OrtModule from "onnxruntime-web";
import type { Backend, RunnableInfo, RuntimeInfo } from "../../src/protocol/messages";
import { BACKEND_LABEL, backendPlan, detectGpu, outputsAgree, type GpuKind } from "./backend";
import { runtimeErrorText } from "../../src/runtime/shared/runtimeErrors";
import { checkCancelled, type CancelToken } from "./jobQueue";
import type { NativeRunner, RoundTrip } from "./nativeRunner";
import { toNumbers } from "./tensorLayout";

type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;

/**
 * The ESM build with WebGL, WebGPU and wasm; it loads ort-wasm-simd-threaded.jsep.{mjs,wasm} from wasmPaths.
 */
export const ORT_ENTRY = "ort.all.bundle.min.mjs";

let ortLoading: { base: string; promise: Promise<Ort> } | null = null;

/** Imports onnxruntime-web from `ortBase` once and configures it for a webview. */
export function loadOrt(ortBase: string): Promise<Ort> {
  if (ortLoading?.base === ortBase) return ortLoading.promise;
  const base = ortBase.endsWith("/") ? ortBase : `${ortBase}/`;
  const promise = (import(/* @vite-ignore */ base + ORT_ENTRY) as Promise<Ort>).then((ort) => {
    ort.env.wasm.wasmPaths = base;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = "error";
    return ort;
  });
  promise.catch(() => {
    if (ortLoading?.promise === promise) ortLoading = null;
  });
  ortLoading = { base: ortBase, promise };
  return promise;
}

export interface FeedData {
  readonly dtype: "float32" | "int64" | "int32";
  readonly data: Float32Array | BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

export interface OutputData {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface RunResult {
  readonly backend: Backend;
  /** Forward pass only (session.run), in ms. */
  readonly ms: number;
  /** True when this run created the session (the time then includes the first-run warm-up). */
  readonly firstRun: boolean;
  readonly outputs: ReadonlyMap<string, OutputData>;
  /** Backends that failed or were skipped on the way, for the user. */
  readonly notes: readonly string[];
  /** On the host engine: how its round trip splits. */
  readonly timing?: RoundTrip;
}

const MAX_SESSIONS = 3;

/** One line for the user (onnxruntime's messages made readable). */
export function shortError(err: unknown): string {
  return runtimeErrorText(err);
}

export class RunEngine {
  private gpu: GpuKind | null = null;
  private readonly sessions = new Map<string, Promise<Session>>();
  /** model URI → backends that failed on it (not tried again). */
  private readonly failed = new Map<string, Map<Backend, string>>();
  /** model URI → WebGL passed its check against wasm. */
  private readonly webglChecked = new Set<string>();
  /** Runs not yet settled: their sessions are released only after them. */
  private readonly inFlight = new Set<Promise<RunResult>>();

  constructor(
    private readonly runtime: RuntimeInfo,
    private readonly progress: (text: string) => void,
    /** The extension host's engine; null where there is no host to ask (tests). */
    private readonly native: NativeRunner | null = null,
  ) {}

  run(
    runnable: RunnableInfo,
    feeds: Readonly<Record<string, FeedData>>,
    fetches: readonly string[],
    token: CancelToken,
  ): Promise<RunResult> {
    const running = this.runOnBackends(runnable, feeds, fetches, token);
    this.inFlight.add(running);
    void running.catch(() => {}).finally(() => this.inFlight.delete(running));
    return running;
  }

  private async runOnBackends(
    runnable: RunnableInfo,
    feeds: Readonly<Record<string, FeedData>>,
    fetches: readonly string[],
    token: CancelToken,
  ): Promise<RunResult> {
    this.gpu ??= await detectGpu();
    const native =
      this.native === null ? { available: false, why: "no extension host" } : this.runtime.native;
    const plan = backendPlan(this.runtime.backend, this.gpu, native);
    const notes: string[] = plan.note === null ? [] : [plan.note];
    const failed = this.failed.get(runnable.modelUri) ?? new Map<Backend, string>();
    this.failed.set(runnable.modelUri, failed);
    // onnxruntime-web is loaded only when a webview backend is tried.
    let ortTensors: { ort: Ort; tensors: Record<string, OrtModule.Tensor> } | null = null;
    const webTensors = async (): Promise<{ ort: Ort; tensors: Record<string, OrtModule.Tensor> }> => {
      if (ortTensors !== null) return ortTensors;
      this.progress("Loading onnxruntime…");
      const ort = await loadOrt(this.runtime.ortBase);
      checkCancelled(token);
      const tensors: Record<string, OrtModule.Tensor> = {};
      for (const [name, f] of Object.entries(feeds))
        tensors[name] = new ort.Tensor(f.dtype, f.data, [...f.dims]);
      ortTensors = { ort, tensors };
      return ortTensors;
    };

    for (const backend of plan.order) {
      const why = failed.get(backend);
      if (why !== undefined) {
        notes.push(`${BACKEND_LABEL[backend]} skipped: ${why}`);
        continue;
      }
      try {
        if (backend === "native" && this.native !== null) {
          this.progress(`Running on ${BACKEND_LABEL[backend]}…`);
          const r = await this.native.run(runnable.modelUri, feeds, fetches, token.signal);
          checkCancelled(token);
          if (r.note !== undefined) notes.push(`Host engine: ${r.note}.`);
          if (notes.length > 0 && backend !== plan.order[0])
            notes.push(`Ran on ${BACKEND_LABEL[backend]} instead.`);
          return { backend, ms: r.ms, firstRun: r.firstRun, outputs: r.outputs, notes, timing: r.timing };
        }
        const { ort, tensors } = await webTensors();
        const key = `${runnable.modelUri}\n${backend}`;
        const firstRun = !this.sessions.has(key);
        const session = await this.session(ort, runnable, backend, token);
        checkCancelled(token);
        if (backend === "webgl" && !this.webglChecked.has(runnable.modelUri)) {
          await this.checkWebgl(ort, runnable, session, tensors, fetches, token);
        }
        this.progress(`Running on ${BACKEND_LABEL[backend]}…`);
        const t0 = performance.now();
        const out = await session.run(tensors, [...fetches]);
        const ms = performance.now() - t0;
        const outputs = new Map<string, OutputData>();
        for (const name of fetches) {
          const t = out[name];
          if (t === undefined) continue;
          const data = (t.location === "cpu" ? t.data : await t.getData()) as ArrayLike<number | bigint>;
          outputs.set(name, { dims: [...t.dims], data: toNumbers(data) });
        }
        if (notes.length > 0 && backend !== plan.order[0])
          notes.push(`Ran on ${BACKEND_LABEL[backend]} instead.`);
        return { backend, ms, firstRun, outputs, notes };
      } catch (err) {
        if (token.cancelled) throw err;
        const message = shortError(err);
        failed.set(backend, message);
        notes.push(`${BACKEND_LABEL[backend]} failed: ${message}`);
        this.drop(runnable.modelUri, backend);
      }
    }
    // The same reason from every backend (an unknown op, a wrong input) is said once.
    const reasons = new Set(plan.order.map((b) => failed.get(b)));
    const only = reasons.size === 1 ? [...reasons][0] : undefined;
    if (only !== undefined) throw new Error(only);
    throw new Error(notes.length > 0 ? notes.join("; ") : "no backend could run the model");
  }

  /**
   * Releases every session (the model was reloaded, the backend setting changed or the panel closed).
   * A session released while it runs never settles its run, which left the Run tab's queue waiting
   * forever: the release waits for the runs in flight.
   */
  dispose(): void {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    const release = (): void => {
      for (const s of sessions) void s.then((x) => x.release()).catch(() => {});
    };
    if (this.inFlight.size === 0) release();
    else void Promise.allSettled([...this.inFlight]).then(release);
  }

  private async checkWebgl(
    ort: Ort,
    runnable: RunnableInfo,
    webgl: Session,
    tensors: Record<string, OrtModule.Tensor>,
    fetches: readonly string[],
    token: CancelToken,
  ): Promise<void> {
    this.progress("Checking WebGL against wasm…");
    const wasm = await this.session(ort, runnable, "wasm", token);
    const [a, b] = await Promise.all([wasm.run(tensors, [...fetches]), webgl.run(tensors, [...fetches])]);
    for (const name of fetches) {
      const ref = a[name];
      const got = b[name];
      if (ref === undefined || got === undefined) continue;
      const agree = outputsAgree(
        toNumbers(ref.data as ArrayLike<number>),
        toNumbers(got.data as ArrayLike<number>),
      );
      if (!agree.ok)
        throw new Error(
          `its results differ from wasm on "${name}" (max diff ${agree.maxDiff.toPrecision(3)} vs max |value| ${agree.scale.toPrecision(3)})`,
        );
    }
    this.webglChecked.add(runnable.modelUri);
  }

  private session(ort: Ort, runnable: RunnableInfo, backend: Backend, token: CancelToken): Promise<Session> {
    const uri = runnable.modelUri;
    const key = `${uri}\n${backend}`;
    const cached = this.sessions.get(key);
    if (cached !== undefined) {
      // Most recently used last.
      this.sessions.delete(key);
      this.sessions.set(key, cached);
      return cached;
    }
    const created = (async () => {
      this.progress("Loading the model…");
      const res = await fetch(uri);
      if (!res.ok) throw new Error(`could not load the model (${res.status} ${res.statusText})`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      checkCancelled(token);
      this.progress(
        `Creating a ${BACKEND_LABEL[backend]} session (${(bytes.length / 1048576).toFixed(1)} MB)…`,
      );
      const start = performance.now();
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [backend],
        graphOptimizationLevel: "all",
        // onnxruntime fetches the weights file a backward graph refers to.
        ...(runnable.externalData
          ? { externalData: runnable.externalData.map((f) => ({ path: f.path, data: f.uri })) }
          : {}),
      });
      measureSince(`session: ${backend}`, start);
      return session;
    })();
    this.sessions.set(key, created);
    created.catch(() => {
      if (this.sessions.get(key) === created) this.sessions.delete(key);
    });
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value as string;
      void this.sessions
        .get(oldest)
        ?.then((s) => s.release())
        .catch(() => {});
      this.sessions.delete(oldest);
    }
    return created;
  }

  private drop(uri: string, backend: Backend): void {
    const key = `${uri}\n${backend}`;
    void this.sessions
      .get(key)
      ?.then((s) => s.release())
      .catch(() => {});
    this.sessions.delete(key);
  }
}
