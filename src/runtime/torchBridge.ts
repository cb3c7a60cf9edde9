/**
 * Node-only: runs media/python/convlens_bridge.py in the user's interpreter and reads its
 * answer. Stdout is read as JSON lines only; any other line (and all of stderr) is log text,
 * never evaluated. The process is killed on abort and at the time limit.
 */
import { spawn } from "node:child_process";
import type { BridgeRequest } from "../core/formats/python/torchCheck";
import type { TorchTrace } from "../core/analysis/torchTrace";

/** What went wrong, as the bridge (or this runner) names it. */
export interface BridgeError {
  readonly kind:
    | "no-interpreter"
    | "no-torch"
    | "import-error"
    | "build-error"
    | "forward-error"
    | "not-found"
    | "no-input"
    | "too-large"
    | "checkpoint-error"
    | "export-error"
    | "timeout"
    | "cancelled"
    | "bad-request"
    | "internal";
  /** One line. */
  readonly message: string;
  /** Where in the user's file (absolute path, 1-based line), when known. */
  readonly file?: string | null;
  readonly line?: number | null;
}

export type BridgeResult =
  | { readonly ok: true; readonly trace: TorchTrace; readonly startMs: number }
  | { readonly ok: false; readonly error: BridgeError };

export interface BridgeOptions {
  readonly python: string;
  readonly script: string;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Lines that are not the bridge's JSON (the user's prints, warnings, stderr). */
  readonly onLog?: (line: string) => void;
}

interface BridgeLine {
  readonly event?: string;
  readonly ms?: number;
  readonly index?: number;
}

/** Run one request. */
export async function runBridge(request: BridgeRequest, o: BridgeOptions): Promise<BridgeResult> {
  const [result] = await runBridgeBatch([request], o);
  return result as BridgeResult;
}

/**
 * Run several requests in one Python process (torch is imported once): one result per request,
 * in order. An error that stops the whole process (no interpreter, no torch, the time limit)
 * answers every request not answered yet.
 */
export function runBridgeBatch(
  requests: readonly BridgeRequest[],
  o: BridgeOptions,
): Promise<BridgeResult[]> {
  return new Promise((resolve) => {
    let settled = false;
    let startMs = 0;
    const results: (BridgeResult | undefined)[] = requests.map(() => undefined);
    const done = (error?: BridgeError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", abort);
      if (child.exitCode === null) child.kill("SIGKILL");
      const missing: BridgeError = error ?? {
        kind: "internal",
        message: `the Python process ended (exit code ${child.exitCode}) without an answer`,
      };
      resolve(results.map((r) => r ?? { ok: false, error: missing }));
    };
    const child = spawn(o.python, [o.script, JSON.stringify(requests)], {
      cwd: o.cwd,
      windowsHide: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const abort = () => done({ kind: "cancelled", message: "cancelled" });
    o.signal?.addEventListener("abort", abort);
    if (o.signal?.aborted) abort();
    const seconds = Math.round(o.timeoutMs / 1000);
    const timer = setTimeout(
      () => done({ kind: "timeout", message: `PyTorch did not finish within ${seconds} s` }),
      o.timeoutMs,
    );
    const take = (line: BridgeLine & Record<string, unknown>) => {
      if (line.event === "start") startMs = line.ms ?? 0;
      else if (typeof line.index === "number" && line.index < results.length)
        results[line.index] =
          line.event === "trace"
            ? { ok: true, trace: line as unknown as TorchTrace, startMs }
            : { ok: false, error: line as unknown as BridgeError };
      // An error for no request in particular (no torch, a bad request) ends them all.
      else if (line.event === "error") done(line as unknown as BridgeError);
    };
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = parseLine(line);
        if (parsed) take(parsed);
        else if (line.trim()) o.onLog?.(line);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) o.onLog?.(line);
    });
    child.on("error", (e: NodeJS.ErrnoException) =>
      done({
        kind: "no-interpreter",
        message:
          e.code === "ENOENT"
            ? `no Python interpreter at "${o.python}" (set convlens.pythonPath or select one in the Python extension)`
            : `cannot start ${o.python}: ${e.message}`,
      }),
    );
    child.on("close", () => done());
  });
}

/** A line of the bridge's own JSON (an object with an `event`), else undefined. */
function parseLine(line: string): (BridgeLine & Record<string, unknown>) | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === "object" && typeof (v as BridgeLine).event === "string"
      ? (v as BridgeLine & Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
