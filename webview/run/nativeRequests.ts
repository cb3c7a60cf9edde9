/**
 * runNative requests to the extension host's engine (onnxruntime-node), matched to
 * nativeResult / requestFailed replies by requestId. Ids live in their own range so
 * that the other request trackers never take these replies. Inputs travel as bytes
 * of fresh typed arrays, outputs come back as Float32Arrays (never JSON number lists).
 */
import type { HostToWebview, NativeTensor, WebviewToHost } from "../../src/protocol/messages";
import { HostError } from "./hostRequests";

export interface NativeFeedData {
  readonly dtype: NativeTensor["dtype"];
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array;
}

export interface NativeResult {
  readonly ms: number;
  readonly firstRun: boolean;
  readonly provider: "cpu" | "webgpu";
  readonly note?: string;
  readonly outputs: ReadonlyMap<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;
}

/** What the engine needs from the host: run a published model by its URL. */
export interface NativeRunner {
  run(
    modelUri: string,
    feeds: Readonly<Record<string, NativeFeedData>>,
    fetches: readonly string[],
  ): Promise<NativeResult>;
}

const FIRST_ID = 2_000_000_000;
/** A reply that never comes (the host restarted) fails the run instead of hanging it. */
const REPLY_TIMEOUT_MS = 300_000;

export class NativeRequests implements NativeRunner {
  private nextId = FIRST_ID;
  private readonly pending = new Map<number, { resolve(r: NativeResult): void; reject(e: Error): void }>();

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    private readonly timeoutMs = REPLY_TIMEOUT_MS,
  ) {}

  run(
    modelUri: string,
    feeds: Readonly<Record<string, NativeFeedData>>,
    fetches: readonly string[],
  ): Promise<NativeResult> {
    const requestId = this.nextId++;
    const tensors: NativeTensor[] = Object.entries(feeds).map(([name, f]) => ({
      name,
      dtype: f.dtype,
      dims: [...f.dims],
      // A copy with its own buffer: a view into a larger buffer would send all of it.
      bytes: new Uint8Array(f.data.buffer.slice(f.data.byteOffset, f.data.byteOffset + f.data.byteLength)),
    }));
    return new Promise<NativeResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(requestId))
          reject(new HostError(`the host engine did not answer within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(requestId, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.post({ type: "runNative", requestId, modelUri, feeds: tensors, fetches: [...fetches] });
    });
  }

  /** Takes a reply addressed to one of these requests; false for anything else. */
  handle(message: HostToWebview): boolean {
    if (!("requestId" in message)) return false;
    const p = this.pending.get(message.requestId);
    if (p === undefined) return false;
    if (message.type === "requestFailed") {
      this.pending.delete(message.requestId);
      p.reject(new HostError(message.message));
      return true;
    }
    if (message.type !== "nativeResult") return false;
    this.pending.delete(message.requestId);
    const outputs = new Map(
      message.outputs.map((o) => [
        o.name,
        {
          dims: o.dims,
          data: o.data instanceof Float32Array ? o.data : Float32Array.from(o.data as ArrayLike<number>),
        },
      ]),
    );
    p.resolve({
      ms: message.ms,
      firstRun: message.firstRun,
      provider: message.provider,
      ...(message.note !== undefined ? { note: message.note } : {}),
      outputs,
    });
    return true;
  }

  rejectAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new HostError(reason));
    this.pending.clear();
  }
}
