/**
 * The extension host's engine for the Run panel: onnxruntime-node on the host's CPUs (in a worker
 * thread: creating a session never blocks the extension host), or on
 * its GPU when convlens.hostGpu is on (checked per model against the CPU), next to the model
 * files (under Remote-SSH / code-server only pictures travel). Loaded on first use; one
 * instance per extension, sessions shared by all panels.
 */
import * as vscode from "vscode";
import type { NativeTensor } from "../../protocol/messages";
import { HostGpuEngine, type HostRun } from "../../runtime/hostGpuEngine";
import { loadNative, toFeed, type GraphLevel, type NativeFeed } from "../../runtime/nativeEngine";
import { WorkerEngine } from "../../runtime/workerEngine";

export class HostEngine implements vscode.Disposable {
  private cpu: WorkerEngine | null = null;
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
    const load = async () => vscode.workspace.fs.readFile(file);
    const a = loadNative();
    if (!a.ok) throw new Error(a.why);
    if (this.useGpu())
      return (this.gpu ??= HostGpuEngine.forOrt(a.ort)).run(file.toString(), load, inputs, fetches);
    const r = await this.cpuEngine().run(file.toString(), load, inputs, fetches, signal);
    return { ...r, provider: "cpu" };
  }

  /**
   * Loads `file` into a CPU session now, so that its first run only runs (not with the host GPU
   * on); from `bytes` when given (the model just built and written: no wait for its file to be
   * read). The bytes are transferred to the engine's thread: the caller must not use them after.
   */
  warm(file: vscode.Uri, bytes?: Uint8Array, level: GraphLevel = "all"): void {
    if (!loadNative().ok || this.useGpu()) return;
    this.cpuEngine().warm(file.toString(), async () => bytes ?? vscode.workspace.fs.readFile(file), level);
  }

  /** A model is being prepared to run: the engine's thread starts now, beside the weights' generation. */
  start(): void {
    if (loadNative().ok && !this.useGpu()) this.cpuEngine().start();
  }

  private cpuEngine(): WorkerEngine {
    return (this.cpu ??= new WorkerEngine(this.workerScript));
  }

  /** Releases the CPU session of `file` (its model is no longer shown). */
  forget(file: vscode.Uri): void {
    this.cpu?.drop(file.toString());
  }

  dispose(): void {
    this.cpu?.dispose();
    this.gpu?.dispose();
    this.cpu = this.gpu = null;
  }
}
