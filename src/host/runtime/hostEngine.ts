/**
 * The extension host's engine for the Run panel: onnxruntime-node on the host's CPUs (the Explain
 * tab's backward graphs in a worker thread: creating their sessions does not block the host), or on
 * its GPU when convlens.hostGpu is on (checked per model against the CPU), next to the model
 * files (under Remote-SSH / code-server only pictures travel). Loaded on first use; one
 * instance per extension, sessions shared by all panels.
 */
import * as vscode from "vscode";
import type { NativeTensor } from "../../protocol/messages";
import { HostGpuEngine, type HostRun } from "../../runtime/hostGpuEngine";
import {
  loadNative,
  NativeEngine,
  toFeed,
  type GraphLevel,
  type ModelSource,
  type NativeFeed,
} from "../../runtime/nativeEngine";
import { WorkerEngine } from "../../runtime/workerEngine";

/**
 * The level of forward graphs' sessions (GraphLevel): on ResNet-18's forward graph, from its bytes,
 * "all" (its NCHWc layout) took 156 ms of CPU to create vs 16 for "extended" (436 vs 32 ms wall, 2-core
 * VM, load 5–8) for runs of 22 vs 30 ms of CPU: the first Run waits for the creation, a run for its pass.
 */
const FORWARD_LEVEL: GraphLevel = "extended";

export class HostEngine implements vscode.Disposable {
  /**
   * Forward graphs' sessions stay on the extension host's thread: with them in the worker, the
   * first ResNet-18 run took 540–847 ms vs 246–303 (product bench, load 3–4). Backward graphs'
   * sessions (created on a click) go to the worker.
   */
  private cpu: NativeEngine | null = null;
  private worker: WorkerEngine | null = null;
  /** Keys of the models loaded in the worker. */
  private readonly inWorker = new Set<string>();
  private gpu: HostGpuEngine | null = null;

  /**
   * `useGpu` reads convlens.hostGpu at each run, so a changed setting applies to the next one;
   * `workerScript`: the bundle of engineWorker.ts (the CPU sessions' thread).
   */
  constructor(
    private readonly useGpu: () => boolean,
    private readonly workerScript: string,
  ) {}

  availability(): { ok: true } | { ok: false; why: string } {
    const a = loadNative();
    return a.ok ? { ok: true } : a;
  }

  async run(
    file: vscode.Uri,
    feeds: readonly NativeTensor[],
    fetches: readonly string[],
    signal?: AbortSignal,
  ): Promise<HostRun> {
    const inputs: Record<string, NativeFeed> = {};
    for (const f of feeds) inputs[f.name] = toFeed(f);
    const load = () => source(file);
    const a = loadNative();
    if (!a.ok) throw new Error(a.why);
    if (this.useGpu())
      return (this.gpu ??= HostGpuEngine.forOrt(a.ort)).run(file.toString(), load, inputs, fetches);
    const key = file.toString();
    const r = this.inWorker.has(key)
      ? await this.workerEngine().run(key, load, inputs, fetches, signal)
      : await (this.cpu ??= new NativeEngine(a.ort)).run(key, load, inputs, fetches, FORWARD_LEVEL);
    return { ...r, provider: "cpu" };
  }

  /**
   * Loads `file` into a CPU session now, so that its first run only runs (not with the host GPU
   * on); from `bytes` when given (the model just built and written: no wait for its file to be
   * read), else from the file (onnxruntime reads it, and the weights file beside it that a backward
   * graph refers to). Bytes are transferred to the engine's thread: the caller must not use them after.
   * `backward`: a backward graph's level, its session created in the worker; without it a forward
   * graph's, on this thread at FORWARD_LEVEL.
   */
  warm(file: vscode.Uri, bytes?: Uint8Array, backward?: GraphLevel): void {
    const a = loadNative();
    if (!a.ok || this.useGpu()) return;
    const key = file.toString();
    const load = () => bytes ?? source(file);
    if (backward === undefined) return (this.cpu ??= new NativeEngine(a.ort)).warm(key, load, FORWARD_LEVEL);
    this.inWorker.add(key);
    this.workerEngine().warm(key, load, backward);
  }

  private workerEngine(): WorkerEngine {
    return (this.worker ??= new WorkerEngine(this.workerScript));
  }

  /** Releases the CPU session of `file` (its model is no longer shown). */
  forget(file: vscode.Uri): void {
    this.cpu?.drop(file.toString());
    this.worker?.drop(file.toString());
    this.inWorker.delete(file.toString());
  }

  dispose(): void {
    this.cpu?.dispose();
    this.worker?.dispose();
    this.gpu?.dispose();
    this.cpu = this.gpu = this.worker = null;
  }
}

/**
 * How onnxruntime loads a written model: from its path on the extension host's disk (a backward
 * graph's weights are in a file beside it, found from there), else from its bytes.
 */
async function source(file: vscode.Uri): Promise<ModelSource> {
  return file.scheme === "file" ? file.fsPath : vscode.workspace.fs.readFile(file);
}
