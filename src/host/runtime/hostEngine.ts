/**
 * The extension host's engine for the Run panel: onnxruntime-node on the host's CPUs,
 * next to the model files (under Remote-SSH / code-server only pictures travel).
 * Loaded on first use; one instance per extension, sessions shared by all panels.
 */
import * as vscode from "vscode";
import type { NativeTensor } from "../../protocol/messages";
import {
  loadNative,
  NativeEngine,
  toFeed,
  type NativeAvailability,
  type NativeFeed,
  type NativeRun,
} from "../../runtime/nativeEngine";

export class HostEngine implements vscode.Disposable {
  private engine: NativeEngine | null = null;

  availability(): { ok: true } | { ok: false; why: string } {
    const a = loadNative();
    return a.ok ? { ok: true } : a;
  }

  async run(
    file: vscode.Uri,
    feeds: readonly NativeTensor[],
    fetches: readonly string[],
  ): Promise<NativeRun> {
    const engine = this.get();
    const inputs: Record<string, NativeFeed> = {};
    for (const f of feeds) inputs[f.name] = toFeed(f);
    return engine.run(file.toString(), async () => vscode.workspace.fs.readFile(file), inputs, fetches);
  }

  dispose(): void {
    this.engine?.dispose();
    this.engine = null;
  }

  private get(): NativeEngine {
    if (this.engine !== null) return this.engine;
    const a: NativeAvailability = loadNative();
    if (!a.ok) throw new Error(a.why);
    this.engine = new NativeEngine(a.ort);
    return this.engine;
  }
}
