/**
 * onnxruntime-node in a worker thread (src/host/engineWorker.ts), with NativeEngine's API: the
 * extension host only posts messages, so creating a session (0.4–1.5 s for ResNet-18 on the
 * 2-core machine) never blocks it. Models, feeds and outputs cross as transferred buffers. The
 * worker starts on first use; one that crashed fails its runs with one line, and the next run
 * starts a fresh one (its sessions are created again from the models, reloaded). No vscode import.
 */
import { Worker } from "node:worker_threads";
import type { GraphLevel, ModelLoad, ModelSource, NativeFeed, NativeOutput, NativeRun } from "./nativeEngine";
import type { EngineRequest, EngineResponse, WireTensor } from "./engineProtocol";
import { RequestTracker } from "./shared/requestTracker";

/** A buffer of its own, to transfer: a view into a larger one (a pooled Buffer) is copied first. */
function own<T extends ModelSource | Float32Array | BigInt64Array | Int32Array>(a: T): T {
  if (typeof a === "string") return a; // a model's path: nothing to transfer
  return a.byteOffset === 0 &&
    a.byteLength === a.buffer.byteLength &&
    !(a.buffer instanceof SharedArrayBuffer)
    ? a
    : (a.slice() as T);
}

export class WorkerEngine {
  private worker: Worker | undefined;
  private readonly pending = new RequestTracker<EngineResponse>();
  /** Keys whose model the running worker was sent (it may have evicted their session since). */
  private sent = new Set<string>();
  /** The optimisation level each key was warmed at (its session is created again at the same). */
  private readonly levels = new Map<string, GraphLevel>();
  /** Models being read to be sent ahead (warm): a run of the key waits for them. */
  private readonly warming = new Map<string, Promise<void>>();

  constructor(private readonly script: string) {}

  /**
   * Runs the model known as `key` (read with `load` when the worker does not hold its session)
   * and returns the fetched outputs as float32. `feeds` are handed over: their buffers are
   * transferred. A run cancelled (`signal`) before it is posted is not started; once in the
   * engine it runs to the end, as in NativeEngine.
   */
  async run(
    key: string,
    load: ModelLoad,
    feeds: Readonly<Record<string, NativeFeed>>,
    fetches: readonly string[],
    signal?: AbortSignal,
  ): Promise<NativeRun> {
    const wire: WireTensor[] = Object.entries(feeds).map(([name, f]) => ({ name, ...f, data: own(f.data) }));
    await this.warming.get(key);
    // A model not sent to this worker yet goes with the run; one evicted there since is asked for.
    const first = this.sent.has(key) ? undefined : own(await load());
    let res = await this.ask(key, first, wire, fetches, signal);
    if (!res.ok && "needModel" in res)
      res = await this.ask(key, own(await load()), res.feeds, fetches, signal);
    if (!res.ok) throw new Error("needModel" in res ? "the host engine lost the model" : res.message);
    const outputs = new Map<string, NativeOutput>(
      res.outputs.map((o) => [o.name, { dims: o.dims, data: o.data }]),
    );
    return { ms: res.ms, firstRun: res.firstRun, outputs };
  }

  /** Creates the session of `key` ahead of its first run; its bytes (if not a path) are transferred. */
  warm(key: string, load: ModelLoad, level: GraphLevel = "all"): void {
    this.levels.set(key, level);
    const posted = Promise.resolve(load()).then(
      (bytes) => {
        if (this.warming.get(key) !== posted) return; // dropped meanwhile
        const model = own(bytes);
        this.sent.add(key);
        this.started().postMessage(
          { type: "warm", key, model, level } satisfies EngineRequest,
          typeof model === "string" ? [] : [model.buffer as ArrayBuffer],
        );
      },
      () => undefined,
    );
    this.warming.set(key, posted);
    void posted.finally(() => {
      if (this.warming.get(key) === posted) this.warming.delete(key);
    });
  }

  /** Starts the worker and loads onnxruntime in it ahead of the first model (~0.1–0.3 s). */
  start(): void {
    if (this.worker === undefined) this.started().postMessage({ type: "start" } satisfies EngineRequest);
  }

  drop(key: string): void {
    this.sent.delete(key);
    this.warming.delete(key);
    this.levels.delete(key);
    this.worker?.postMessage({ type: "drop", key } satisfies EngineRequest);
  }

  /** Stops the worker; runs in progress fail. */
  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    this.sent = new Set();
    this.pending.failAll("the host engine stopped");
    void w?.terminate();
  }

  private ask(
    key: string,
    model: ModelSource | undefined,
    feeds: readonly WireTensor[],
    fetches: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<EngineResponse> {
    signal?.throwIfAborted();
    const w = this.started();
    return this.pending.track((job) => {
      const req: EngineRequest = {
        type: "run",
        job,
        key,
        ...(model !== undefined ? { model, level: this.levels.get(key) ?? "all" } : {}),
        feeds,
        fetches,
      };
      const transfer = feeds.map((f) => f.data.buffer as ArrayBuffer);
      if (model !== undefined) {
        if (typeof model !== "string") transfer.push(model.buffer as ArrayBuffer);
        this.sent.add(key);
      }
      w.postMessage(req, transfer);
      w.ref(); // a run awaited keeps the process alive; an idle worker does not
    });
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: 4096 } });
    w.unref();
    w.on("message", (res: EngineResponse) => {
      this.pending.resolve(res.job, res);
      if (this.pending.size === 0) w.unref();
    });
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      // A new worker holds no session: each model is sent again with its next run.
      this.sent = new Set();
      this.pending.failAll(why);
    };
    w.on("error", (e) => gone(`the host engine's worker failed: ${e.message.split("\n")[0]}`));
    w.on("exit", (code) => gone(`the host engine's worker exited (code ${code})`));
    this.worker = w;
    return w;
  }
}
