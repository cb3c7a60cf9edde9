/**
 * The one "id → pending reply" table: each request gets an id from the tracker's counter and a
 * promise that its reply (resolve) or failure (reject) settles once. A request can have a timeout
 * and be cancelled through an AbortSignal; when the peer dies, failAll rejects everything
 * outstanding with one line. A reply for an id that is not pending (late, cancelled, timed out) is
 * ignored: resolve and reject answer false. Used by the webview protocol (src/protocol/requests.ts),
 * the Python analysis worker and the host engine's worker; no Node or vscode imports (the webview
 * bundle uses it too).
 */

/** The caller cancelled the request (its AbortSignal fired). */
export class RequestCancelled extends Error {}

export interface TrackerOptions {
  /** How long a request waits for its reply unless track() says otherwise (default Infinity: no limit). */
  readonly timeoutMs?: number;
  /** The text a timed-out request fails with. */
  readonly timedOut?: (ms: number) => string;
  /** The error timeouts and failAll reject with (default Error). */
  readonly error?: (message: string) => Error;
}

export interface TrackOptions<M> {
  /** What the caller keeps with the request (read back with info()). */
  readonly info?: M;
  /** How long to wait for the reply; Infinity: no limit. Default: the tracker's. */
  readonly timeoutMs?: number | undefined;
  /** Cancels the request: it rejects with `cancelled()`; one aborted before track() is never sent. */
  readonly signal?: AbortSignal | undefined;
  /** Called with the id when the signal cancels a sent request (to tell the peer to stop). */
  readonly onCancel?: (id: number) => void;
  /** The error a cancelled request rejects with (default RequestCancelled). */
  readonly cancelled?: () => Error;
  /** Called once when a sent request settles, however it ends (a measure of its round trip). */
  readonly onSettle?: () => void;
}

interface Entry<R, M> {
  readonly info: M | undefined;
  readonly settle: (outcome: { readonly value: R } | { readonly error: Error }) => void;
}

/** The first line of a message: a stack or a long worker error does not flood the caller's text. */
function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

export class RequestTracker<R, M = never> {
  private nextId = 1;
  private readonly pending = new Map<number, Entry<R, M>>();

  constructor(private readonly opts: TrackerOptions = {}) {}

  /**
   * Registers a request, then calls `send` with its id (a `send` that throws fails the request).
   * The promise settles with the reply, a failure, the timeout, the cancel or failAll.
   */
  track(send: (id: number) => void, opts: TrackOptions<M> = {}): Promise<R> {
    const { signal } = opts;
    const cancelled = opts.cancelled ?? (() => new RequestCancelled("the request was cancelled"));
    if (signal?.aborted) return Promise.reject(cancelled());
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? Infinity;
    return new Promise<R>((resolve, reject) => {
      const finish = (): boolean => {
        if (this.pending.get(id) !== entry) return false;
        this.pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        opts.onSettle?.();
        return true;
      };
      const entry: Entry<R, M> = {
        info: opts.info,
        settle: (outcome) => {
          if (!finish()) return;
          if ("error" in outcome) reject(outcome.error);
          else resolve(outcome.value);
        },
      };
      const onAbort = (): void => {
        if (!finish()) return;
        opts.onCancel?.(id);
        reject(cancelled());
      };
      const timedOut = this.opts.timedOut ?? ((ms: number) => `no reply within ${ms / 1000} s`);
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => entry.settle({ error: this.errorOf(timedOut(timeoutMs)) }), timeoutMs)
        : undefined;
      this.pending.set(id, entry);
      signal?.addEventListener("abort", onAbort);
      try {
        send(id);
      } catch (e) {
        entry.settle({ error: e instanceof Error ? e : new Error(String(e)) });
      }
    });
  }

  /** What track() was given for a pending request; undefined when `id` is not pending. */
  info(id: number): M | undefined {
    return this.pending.get(id)?.info;
  }

  /** Settles a pending request with its reply; false when `id` is not pending (a late reply). */
  resolve(id: number, value: R): boolean {
    const entry = this.pending.get(id);
    entry?.settle({ value });
    return entry !== undefined;
  }

  /** Fails a pending request; false when `id` is not pending. */
  reject(id: number, error: Error): boolean {
    const entry = this.pending.get(id);
    entry?.settle({ error });
    return entry !== undefined;
  }

  /** Fails every pending request with the first line of `why` (the peer died, exited or was reloaded). */
  failAll(why: string): void {
    const message = firstLine(why);
    for (const entry of [...this.pending.values()]) entry.settle({ error: this.errorOf(message) });
  }

  /** Requests sent and not settled. */
  get size(): number {
    return this.pending.size;
  }

  private errorOf(message: string): Error {
    return this.opts.error?.(message) ?? new Error(message);
  }
}
