/**
 * One job at a time: a job asked for while another runs waits, and only the
 * latest waiting job is kept (three quick input changes give one extra run).
 * Cancel flags the running job (it checks `token.cancelled` between steps, and its
 * host requests are cancelled through `token.signal`) and drops the waiting one. Pure.
 */

export interface CancelToken {
  readonly cancelled: boolean;
  /** Aborted on cancel: given to host requests, so that the host stops their work too. */
  readonly signal?: AbortSignal;
}

export class CancelledError extends Error {
  constructor() {
    super("cancelled");
  }
}

/** Throws CancelledError when the token was cancelled (call between steps). */
export function checkCancelled(token: CancelToken): void {
  if (token.cancelled) throw new CancelledError();
}

type Job = (token: CancelToken) => Promise<void>;

export class JobQueue {
  private current: AbortController | null = null;
  private waiting: Job | null = null;

  constructor(private readonly onBusyChange: (busy: boolean) => void = () => {}) {}

  get busy(): boolean {
    return this.current !== null;
  }

  get hasWaiting(): boolean {
    return this.waiting !== null;
  }

  /** Starts `job` now, or after the running one (replacing any job already waiting). */
  submit(job: Job): void {
    if (this.current !== null) {
      this.waiting = job;
      return;
    }
    void this.start(job);
  }

  cancel(): void {
    this.waiting = null;
    this.current?.abort();
  }

  private async start(job: Job, chained = false): Promise<void> {
    const controller = new AbortController();
    const token: CancelToken = {
      get cancelled() {
        return controller.signal.aborted;
      },
      signal: controller.signal,
    };
    this.current = controller;
    if (!chained) this.onBusyChange(true);
    try {
      await job(token);
    } catch {
      // Jobs report their own errors; a failure must not stop the queue.
    } finally {
      this.current = null;
      const next = this.waiting;
      this.waiting = null;
      if (next !== null) void this.start(next, true);
      else this.onBusyChange(false);
    }
  }
}
