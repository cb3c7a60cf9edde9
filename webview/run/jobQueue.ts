/**
 * One job at a time: a job asked for while another runs waits, and only the
 * latest waiting job is kept (three quick input changes give one extra run).
 * Cancel flags the running job (it checks `token.cancelled` between steps) and
 * drops the waiting one. Pure.
 */

export interface CancelToken {
  readonly cancelled: boolean;
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
  private current: { cancelled: boolean } | null = null;
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
    if (this.current !== null) this.current.cancelled = true;
  }

  private async start(job: Job, chained = false): Promise<void> {
    const token = { cancelled: false };
    this.current = token;
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
