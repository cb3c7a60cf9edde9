/**
 * prepareExplain requests to the host, matched to explainRunnable (or
 * requestFailed) replies by requestId. Ids start far above HostRequests' own
 * so that the two trackers never take each other's replies.
 */
import type { GraphMethod } from "../../../src/core/explain/methods";
import type { HostToWebview, RunnableInfo, WebviewToHost } from "../../../src/protocol/messages";
import { HostError } from "../hostRequests";
import type { ExplainParams } from "./explainModel";

export interface ExplainRunnable {
  readonly runnable: RunnableInfo;
  /** Name of the output holding the map. */
  readonly map: string;
}

const FIRST_ID = 1_000_000_000;
/** A reply that never comes (an older extension, a lost message) fails the run instead of hanging it. */
export const REPLY_TIMEOUT_MS = 180_000;

export class ExplainRequests {
  private nextId = FIRST_ID;
  private readonly pending = new Map<number, { resolve(r: ExplainRunnable): void; reject(e: Error): void }>();

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    private readonly timeoutMs = REPLY_TIMEOUT_MS,
  ) {}

  prepare(method: GraphMethod, p: ExplainParams): Promise<ExplainRunnable> {
    const requestId = this.nextId++;
    return new Promise<ExplainRunnable>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(requestId))
          reject(new HostError(`the extension did not answer within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(requestId, {
        resolve(r) {
          clearTimeout(timer);
          resolve(r);
        },
        reject(e) {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.post({
        type: "prepareExplain",
        requestId,
        method,
        ...(p.layerIndex !== undefined ? { layerIndex: p.layerIndex } : {}),
        ...(p.channel !== undefined ? { channel: p.channel } : {}),
        ...(p.classIndex !== undefined ? { classIndex: p.classIndex } : {}),
      });
    });
  }

  /** Takes a reply to one of these requests; false for anything else. */
  handle(message: HostToWebview): boolean {
    if (message.type !== "explainRunnable" && message.type !== "requestFailed") return false;
    const p = this.pending.get(message.requestId);
    if (p === undefined) return false;
    this.pending.delete(message.requestId);
    if (message.type === "requestFailed") p.reject(new HostError(message.message));
    else p.resolve({ runnable: message.runnable, map: message.map });
    return true;
  }

  rejectAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new HostError(reason));
    this.pending.clear();
  }

  get outstanding(): number {
    return this.pending.size;
  }
}
