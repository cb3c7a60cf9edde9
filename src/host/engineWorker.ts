/**
 * The host engine's worker thread: onnxruntime-node sessions are created and run here, so that
 * creating one (0.4–1.5 s for ResNet-18's 46 MB on the 2-core machine) never blocks the extension
 * host. Long-lived: it keeps the sessions (NativeEngine's few most recent). No vscode import.
 */
import { parentPort } from "node:worker_threads";
import { loadNative, NativeEngine, type NativeFeed } from "../runtime/nativeEngine";
import type { EngineRequest, EngineResponse } from "../runtime/engineProtocol";

let engine: NativeEngine | undefined;

function theEngine(): NativeEngine {
  if (engine !== undefined) return engine;
  const a = loadNative();
  if (!a.ok) throw new Error(a.why);
  engine = new NativeEngine(a.ort);
  return engine;
}

function reply(res: EngineResponse): void {
  const tensors = res.ok ? res.outputs : "needModel" in res ? res.feeds : [];
  const transfer = tensors.map((t) => t.data.buffer as ArrayBuffer);
  parentPort?.postMessage(res, transfer);
}

async function handle(req: EngineRequest): Promise<void> {
  if (req.type === "drop") {
    engine?.drop(req.key);
    return;
  }
  if (req.type === "start") {
    if (loadNative().ok) theEngine();
    return;
  }
  if (req.type === "warm") {
    // A failure (no binary, a bad model) surfaces at the run, which asks again.
    if (loadNative().ok) theEngine().warm(req.key, () => req.model, req.level);
    return;
  }
  try {
    const e = theEngine();
    // NativeEngine evicts old sessions: a key it no longer holds needs its model again.
    if (req.model === undefined && !e.has(req.key)) {
      reply({ job: req.job, ok: false, needModel: true, feeds: req.feeds });
      return;
    }
    const model = req.model;
    const feeds: Record<string, NativeFeed> = {};
    for (const f of req.feeds) feeds[f.name] = f;
    const r = await e.run(req.key, () => model ?? new Uint8Array(), feeds, req.fetches, req.level);
    const outputs = [...r.outputs].map(([name, o]) => ({ name, dims: o.dims, data: o.data }));
    reply({ job: req.job, ok: true, ms: r.ms, firstRun: r.firstRun, outputs });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    reply({ job: req.job, ok: false, message: text.split("\n")[0] ?? text });
  }
}

parentPort?.on("message", (req: EngineRequest) => void handle(req));
