/**
 * The extension host's engine for the Run panel: onnxruntime-node on the host's CPUs, or on
 * its GPU when convlens.hostGpu is on (checked per model against the CPU), next to the model
 * files (under Remote-SSH / code-server only pictures travel). Loaded on first use; one
 * instance per extension, sessions shared by all panels.
 */
import * as vscode from "vscode";
import type { NativeTensor } from "../../protocol/messages";
import { HostGpuEngine, type HostRun } from "../../runtime/hostGpuEngine";
import { loadNative, NativeEngine, toFeed, type NativeFeed } from "../../runtime/nativeEngine";

export class HostEngine implements vscode.Disposable {
  private cpu: NativeEngine | null = null;
  private gpu: HostGpuEngine | null = null;

  /** `useGpu` reads convlens.hostGpu at each run, so a changed setting applies to the next one. */
  constructor(private readonly useGpu: () => boolean) {}

  availability(): { ok: true } | { ok: false; why: string } {
    const a = loadNative();
    return a.ok ? { ok: true } : a;
  }

  async run(file: vscode.Uri, feeds: readonly NativeTensor[], fetches: readonly string[]): Promise<HostRun> {
    const inputs: Record<string, NativeFeed> = {};
    for (const f of feeds) inputs[f.name] = toFeed(f);
    const load = async () => vscode.workspace.fs.readFile(file);
    const a = loadNative();
    if (!a.ok) throw new Error(a.why);
    if (this.useGpu())
      return (this.gpu ??= HostGpuEngine.forOrt(a.ort)).run(file.toString(), load, inputs, fetches);
    const r = await (this.cpu ??= new NativeEngine(a.ort)).run(file.toString(), load, inputs, fetches);
    return { ...r, provider: "cpu" };
  }

  /**
   * Loads `file` into a CPU session now, so that its first run only runs (not with the host GPU
   * on); from `bytes` when given (the model just built: no wait for its file to be written and read).
   */
  warm(file: vscode.Uri, bytes?: Uint8Array): void {
    const a = loadNative();
    if (!a.ok || this.useGpu()) return;
    (this.cpu ??= new NativeEngine(a.ort)).warm(
      file.toString(),
      async () => bytes ?? vscode.workspace.fs.readFile(file),
    );
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
