/**
 * The one request/reply helper for webview → host exchanges: a request carries a
 * requestId, the host answers with the reply type this table names (or requestFailed).
 * Ids come from one counter, every request has a timeout (a lost reply fails the
 * request instead of hanging it) and can be cancelled with an AbortSignal: the webview
 * stops waiting and tells the host (cancelRequest), whose RequestServer aborts the
 * work's signal and drops its reply. The pending requests are kept by the project's one
 * RequestTracker (src/runtime/shared/requestTracker.ts).
 */
import { RequestCancelled, RequestTracker } from "../runtime/shared/requestTracker";
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
export { RequestCancelled };

export interface RequestOptions {
  /** How long to wait for the reply; Infinity for requests that wait on the user (a file picker). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/** A reply that never comes (the host restarted, an older extension) fails the request after this. */
export const DEFAULT_TIMEOUT_MS = 300_000;

export class RequestClient {
  /** Each pending request keeps the reply type that answers it. */
  private readonly pending: RequestTracker<ReplyMessage, ReplyMessage["type"]>;

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.pending = new RequestTracker({
      timeoutMs: defaultTimeoutMs,
      timedOut: (ms) => `the extension did not answer within ${ms / 1000} s`,
      error: (message) => new HostError(message),
    });
  }

  request<T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    opts: RequestOptions = {},
  ): Promise<ReplyTo<T>> {
    const start = performance.now();
    const reply = this.pending.track(
      (requestId) => this.post({ ...body, type, requestId } as unknown as WebviewToHost),
      {
        info: REPLY_TYPES[type],
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        // The host may still be working on it: tell it to stop.
        onCancel: (requestId) => this.post({ type: "cancelRequest", cancels: requestId }),
        cancelled: () => new RequestCancelled(`${type} was cancelled`),
        onSettle: () => measureSince(`request ${type}`, start),
      },
    );
    return reply as Promise<ReplyTo<T>>;
  }

  /** Takes a reply addressed to a pending request; false for anything else. */
  handle(message: HostToWebview): boolean {
    if (!("requestId" in message)) return false;
    const expect = this.pending.info(message.requestId);
    if (expect === undefined) return false;
    if (message.type === "requestFailed")
      return this.pending.reject(message.requestId, new HostError(message.message));
    return message.type === expect && this.pending.resolve(message.requestId, message);
  }

  /** Rejects everything outstanding (the model was reloaded). */
  rejectAll(reason: string): void {
    this.pending.failAll(reason);
  }

  get outstanding(): number {
    return this.pending.size;
  }
}

/**
 * The host's side of the helper: each request's work runs with an AbortSignal that the
 * webview's cancelRequest aborts, so it can stop between its steps; the reply of a cancelled
 * request is dropped (nobody waits for it) and a failure is answered requestFailed, never thrown.
 */
export class RequestServer {
  private readonly running = new Map<number, AbortController>();

  constructor(private readonly post: (reply: ReplyMessage) => void) {}

  /** Runs `work` for request `requestId`; it posts its own reply when it returns undefined. */
  async serve(
    requestId: number,
    work: (signal: AbortSignal) => Promise<ReplyMessage | undefined>,
  ): Promise<void> {
    const controller = new AbortController();
    this.running.set(requestId, controller);
    let reply: ReplyMessage | undefined;
    try {
      reply = await work(controller.signal);
    } catch (e) {
      reply = { type: "requestFailed", requestId, message: e instanceof Error ? e.message : String(e) };
    } finally {
      this.running.delete(requestId);
    }
    if (reply !== undefined && !controller.signal.aborted) this.post(reply);
  }

  /** The webview's cancelRequest: aborts the request's work (unknown or finished ids are ignored). */
  cancel(requestId: number): void {
    this.running.get(requestId)?.abort(new RequestCancelled(`request ${requestId} was cancelled`));
  }

  /** Requests whose work has not finished. */
  get inFlight(): number {
    return this.running.size;
  }
}
