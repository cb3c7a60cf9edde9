/**
 * The one request/reply helper for webview → host exchanges: a request carries a
 * requestId, the host answers with the reply type this table names (or requestFailed).
 * Ids come from one counter, every request has a timeout (a lost reply fails the
 * request instead of hanging it) and can be cancelled with an AbortSignal.
 */
import { measureSince } from "../runtime/shared/timing";
import type { HostToWebview, WebviewToHost } from "./messages";

export type RequestMessage = Extract<WebviewToHost, { readonly requestId: number }>;
export type RequestType = RequestMessage["type"];
export type ReplyMessage = Extract<HostToWebview, { readonly requestId: number }>;

/** The reply that answers each request (requestFailed answers any). */
export const REPLY_TYPES = {
  prepareRun: "runnable",
  prepareExplain: "explainRunnable",
  pickImage: "image",
  pickLabels: "labels",
  getFilters: "filters",
  runNative: "nativeResult",
} as const satisfies Record<RequestType, Exclude<ReplyMessage["type"], "requestFailed">>;

export type ReplyTo<T extends RequestType> = Extract<ReplyMessage, { type: (typeof REPLY_TYPES)[T] }>;

/** A request's fields other than its type and id (each member of a union keeps its own). */
type BodyOf<M> = M extends unknown ? Omit<M, "type" | "requestId"> : never;
export type RequestBody<T extends RequestType> = BodyOf<Extract<RequestMessage, { type: T }>>;

/** The host answered requestFailed, did not answer in time, or the requests were dropped. */
export class HostError extends Error {}
/** The caller cancelled the request (its AbortSignal fired). */
export class RequestCancelled extends Error {}

export interface RequestOptions {
  /** How long to wait for the reply; Infinity for requests that wait on the user (a file picker). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A reply that never comes (the host restarted, an older extension) fails the request after this. */
export const DEFAULT_TIMEOUT_MS = 300_000;

interface Pending {
  readonly expect: ReplyMessage["type"];
  resolve(reply: ReplyMessage): void;
  reject(error: Error): void;
}

export class RequestClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    private readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  request<T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    opts: RequestOptions = {},
  ): Promise<ReplyTo<T>> {
    const requestId = this.nextId++;
    const start = performance.now();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const signal = opts.signal;
    return new Promise<ReplyTo<T>>((resolve, reject) => {
      if (signal?.aborted) return reject(new RequestCancelled(`${type} was cancelled`));
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(
            () =>
              settle(() =>
                reject(new HostError(`the extension did not answer within ${timeoutMs / 1000} s`)),
              ),
            timeoutMs,
          )
        : undefined;
      const onAbort = (): void => settle(() => reject(new RequestCancelled(`${type} was cancelled`)));
      const settle = (done: () => void): void => {
        if (!this.pending.delete(requestId)) return;
        measureSince(`request ${type}`, start);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        done();
      };
      signal?.addEventListener("abort", onAbort);
      this.pending.set(requestId, {
        expect: REPLY_TYPES[type],
        resolve: (reply) => settle(() => resolve(reply as ReplyTo<T>)),
        reject: (error) => settle(() => reject(error)),
      });
      this.post({ ...body, type, requestId } as unknown as WebviewToHost);
    });
  }

  /** Takes a reply addressed to a pending request; false for anything else. */
  handle(message: HostToWebview): boolean {
    if (!("requestId" in message)) return false;
    const p = this.pending.get(message.requestId);
    if (p === undefined) return false;
    if (message.type === "requestFailed") p.reject(new HostError(message.message));
    else if (message.type === p.expect) p.resolve(message);
    else return false;
    return true;
  }

  /** Rejects everything outstanding (the model was reloaded). */
  rejectAll(reason: string): void {
    for (const p of [...this.pending.values()]) p.reject(new HostError(reason));
  }

  get outstanding(): number {
    return this.pending.size;
  }
}
