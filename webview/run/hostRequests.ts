/**
 * Requests to the extension host that have an answer (prepareRun, pickImage,
 * getFilters), matched to the reply by requestId. A requestFailed reply rejects.
 */
import type { HostToWebview, RunnableInfo, WebviewToHost } from "../../src/protocol/messages";

export interface PickedImage {
  readonly name: string;
  readonly uri: string;
}

export interface FilterWeights {
  readonly layerIndex: number;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

type Reply = Extract<HostToWebview, { requestId: number }>;

interface Pending {
  readonly expect: Reply["type"];
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export class HostError extends Error {}

export class HostRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly post: (message: WebviewToHost) => void) {}

  prepareRun(layers: readonly number[]): Promise<RunnableInfo> {
    return this.request("runnable", (requestId) => ({
      type: "prepareRun",
      requestId,
      layers: [...layers],
    })).then((r) => (r as Extract<Reply, { type: "runnable" }>).runnable);
  }

  pickImage(): Promise<PickedImage> {
    return this.request("image", (requestId) => ({ type: "pickImage", requestId })).then((r) => {
      const { name, uri } = r as Extract<Reply, { type: "image" }>;
      return { name, uri };
    });
  }

  getFilters(layerIndex: number): Promise<FilterWeights> {
    return this.request("filters", (requestId) => ({ type: "getFilters", requestId, layerIndex })).then(
      (r) => {
        const { dims, data } = r as Extract<Reply, { type: "filters" }>;
        return {
          layerIndex,
          dims,
          data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>),
        };
      },
    );
  }

  /** Takes a reply addressed to a pending request; false for anything else. */
  handle(message: HostToWebview): boolean {
    if (!("requestId" in message)) return false;
    const p = this.pending.get(message.requestId);
    if (p === undefined) return false;
    if (message.type === "requestFailed") {
      this.pending.delete(message.requestId);
      p.reject(new HostError(message.message));
      return true;
    }
    if (message.type !== p.expect) return false;
    this.pending.delete(message.requestId);
    p.resolve(message);
    return true;
  }

  /** Rejects everything outstanding (the model was reloaded). */
  rejectAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new HostError(reason));
    this.pending.clear();
  }

  get outstanding(): number {
    return this.pending.size;
  }

  private request(expect: Reply["type"], build: (requestId: number) => WebviewToHost): Promise<Reply> {
    const requestId = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(requestId, { expect, resolve, reject });
      this.post(build(requestId));
    });
  }
}
