/**
 * The one "id → pending reply" table (src/runtime/shared/requestTracker.ts) that the webview
 * protocol, the Python analysis worker and the host engine's worker share: ids, timeouts (fake
 * timers), cancellation, the peer's death failing everything with one line, late replies ignored.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RequestCancelled, RequestTracker } from "../../src/runtime/shared/requestTracker";

class PeerError extends Error {}

function tracker(timeoutMs?: number) {
  const sent: number[] = [];
  const t = new RequestTracker<string, string>({
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    error: (m) => new PeerError(m),
  });
  const send = (id: number) => void sent.push(id);
  return { t, sent, send };
}

describe("RequestTracker", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("gives each request the next id, keeps its info, and resolves it with its own reply", async () => {
    const { t, sent, send } = tracker();
    const a = t.track(send, { info: "runnable" });
    const b = t.track(send, { info: "filters" });
    expect(sent).toEqual([1, 2]);
    expect(t.size).toBe(2);
    expect(t.info(1)).toBe("runnable");
    expect(t.info(2)).toBe("filters");
    expect(t.info(3)).toBeUndefined();
    expect(t.resolve(2, "two")).toBe(true);
    expect(t.resolve(1, "one")).toBe(true);
    await expect(a).resolves.toBe("one");
    await expect(b).resolves.toBe("two");
    expect(t.size).toBe(0);
  });

  it("ignores a late or unknown reply, and a second reply to the same id", async () => {
    const { t, send } = tracker();
    const a = t.track(send);
    expect(t.resolve(1, "first")).toBe(true);
    expect(t.resolve(1, "again")).toBe(false);
    expect(t.reject(1, new Error("late"))).toBe(false);
    expect(t.resolve(42, "nobody asked")).toBe(false);
    await expect(a).resolves.toBe("first");
  });

  it("fails a request not answered in time (the tracker's default, or the request's own)", async () => {
    const { t, send } = tracker(1000);
    const a = t.track(send);
    const b = t.track(send, { timeoutMs: 5000 });
    const c = t.track(send, { timeoutMs: Infinity });
    const failedA = expect(a).rejects.toThrow(new PeerError("no reply within 1 s"));
    await vi.advanceTimersByTimeAsync(999);
    expect(t.size).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    await failedA;
    expect(t.size).toBe(2);
    const failedB = expect(b).rejects.toThrow(PeerError);
    await vi.advanceTimersByTimeAsync(4000);
    await failedB;
    // No limit: it waits (the user's file picker) until answered; the timed-out ones stay failed.
    await vi.advanceTimersByTimeAsync(1e9);
    expect(t.size).toBe(1);
    expect(t.resolve(1, "late")).toBe(false);
    expect(t.resolve(3, "picked")).toBe(true);
    await expect(c).resolves.toBe("picked");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("says what timed out in the caller's words", async () => {
    const t = new RequestTracker<string>({ timeoutMs: 20, timedOut: (ms) => `no answer in ${ms} ms` });
    const a = t.track(() => undefined);
    const failed = expect(a).rejects.toThrow(/^no answer in 20 ms$/);
    await vi.advanceTimersByTimeAsync(20);
    await failed;
  });

  it("an answered request's timer is cleared", async () => {
    const { t, send } = tracker(1000);
    const a = t.track(send);
    t.resolve(1, "ok");
    await expect(a).resolves.toBe("ok");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("cancels through an AbortSignal: the peer is told, the promise rejects, a late reply is ignored", async () => {
    const { t, sent, send } = tracker(1000);
    const ctl = new AbortController();
    const cancels: number[] = [];
    const settled: string[] = [];
    const a = t.track(send, {
      signal: ctl.signal,
      onCancel: (id) => cancels.push(id),
      onSettle: () => settled.push("a"),
    });
    ctl.abort();
    await expect(a).rejects.toThrow(RequestCancelled);
    expect(cancels).toEqual([1]);
    expect(settled).toEqual(["a"]);
    expect(t.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(t.resolve(1, "late")).toBe(false);
    // Aborted before: never sent, no id used, the peer is not told.
    const b = t.track(send, {
      signal: ctl.signal,
      onCancel: (id) => cancels.push(id),
      cancelled: () => new Error("pickImage was cancelled"),
    });
    await expect(b).rejects.toThrow("pickImage was cancelled");
    expect(sent).toEqual([1]);
    expect(cancels).toEqual([1]);
    expect(t.size).toBe(0);
  });

  it("a signal that fires after the reply changes nothing", async () => {
    const { t, send } = tracker();
    const ctl = new AbortController();
    const cancels: number[] = [];
    const a = t.track(send, { signal: ctl.signal, onCancel: (id) => cancels.push(id) });
    t.resolve(1, "done");
    ctl.abort();
    await expect(a).resolves.toBe("done");
    expect(cancels).toEqual([]);
  });

  it("the peer's death fails everything pending with the first line of why; later requests work", async () => {
    const { t, send } = tracker(1000);
    const a = t.track(send);
    const b = t.track(send, { timeoutMs: Infinity });
    t.failAll("the worker exited (code 1)\n    at Worker.<anonymous> (engineWorker.js:12)");
    await expect(a).rejects.toThrow(new PeerError("the worker exited (code 1)"));
    await expect(b).rejects.toThrow(/^the worker exited \(code 1\)$/);
    expect(t.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(t.resolve(1, "late")).toBe(false);
    const c = t.track(send);
    expect(t.resolve(3, "fresh")).toBe(true);
    await expect(c).resolves.toBe("fresh");
  });

  it("a send that throws fails its request and leaves nothing pending", async () => {
    const t = new RequestTracker<string>({ timeoutMs: 1000 });
    const a = t.track(() => {
      throw new Error("could not clone the message");
    });
    await expect(a).rejects.toThrow("could not clone the message");
    expect(t.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a reply sent back while sending (a synchronous peer) is taken", async () => {
    const t = new RequestTracker<string>();
    const a = t.track((id) => t.resolve(id, `echo ${id}`));
    await expect(a).resolves.toBe("echo 1");
  });

  it("reject fails one request with the caller's error", async () => {
    const { t, send } = tracker();
    const a = t.track(send);
    const b = t.track(send);
    expect(t.reject(1, new PeerError("no weights"))).toBe(true);
    await expect(a).rejects.toThrow("no weights");
    expect(t.size).toBe(1);
    t.resolve(2, "ok");
    await expect(b).resolves.toBe("ok");
  });
});
