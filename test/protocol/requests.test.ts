import { describe, expect, expectTypeOf, it } from "vitest";
import {
  isHostToWebview,
  isWebviewToHost,
  MESSAGE_TYPES,
  type HostToWebview,
  type RunnableInfo,
  type WebviewToHost,
} from "../../src/protocol/messages";
import {
  HostError,
  REPLY_TYPES,
  RequestCancelled,
  RequestClient,
  RequestServer,
  type ReplyMessage,
} from "../../src/protocol/requests";

const runnable: RunnableInfo = {
  modelUri: "m.onnx",
  inputs: [],
  outputs: ["output"],
  layers: [{ index: 3, value: "v" }],
  randomWeights: false,
};

function client(timeoutMs?: number) {
  const posted: WebviewToHost[] = [];
  const c = new RequestClient((m) => posted.push(m), timeoutMs);
  const idOf = (i: number) => (posted[i] as { requestId: number }).requestId;
  return { c, posted, idOf };
}

describe("the message type guards follow the protocol's unions", () => {
  it("list every type of each union, and only those", () => {
    // Type-level: a type missing from a guard's record (or one left over) fails `npm run typecheck`.
    expectTypeOf<(typeof MESSAGE_TYPES.hostToWebview)[number]>().toEqualTypeOf<HostToWebview["type"]>();
    expectTypeOf<(typeof MESSAGE_TYPES.webviewToHost)[number]>().toEqualTypeOf<WebviewToHost["type"]>();
    expect(MESSAGE_TYPES.hostToWebview).toHaveLength(14);
    expect(MESSAGE_TYPES.webviewToHost).toHaveLength(15);
    for (const type of MESSAGE_TYPES.hostToWebview) expect(isHostToWebview({ type })).toBe(true);
    for (const type of MESSAGE_TYPES.webviewToHost) expect(isWebviewToHost({ type })).toBe(true);
  });

  it("refuse what is not a message", () => {
    for (const m of [null, 3, "ready", {}, { type: 1 }, { type: "toString" }, { type: "nope" }]) {
      expect(isHostToWebview(m)).toBe(false);
      expect(isWebviewToHost(m)).toBe(false);
    }
    // A direction's types are not the other's.
    expect(isWebviewToHost({ type: "analysis" })).toBe(false);
    expect(isHostToWebview({ type: "prepareRun" })).toBe(false);
  });

  it("name a reply for every request type", () => {
    const requests = MESSAGE_TYPES.webviewToHost.filter((t) => t in REPLY_TYPES);
    expect(requests.sort()).toEqual([
      "getFilters",
      "pickImage",
      "pickLabels",
      "prepareExplain",
      "prepareRun",
      "runNative",
    ]);
    for (const reply of Object.values(REPLY_TYPES)) expect(MESSAGE_TYPES.hostToWebview).toContain(reply);
  });
});

describe("request/reply helper", () => {
  it("posts with ids from one counter and resolves each with its own reply type", async () => {
    const { c, posted, idOf } = client();
    const a = c.request("prepareRun", { layers: [3] });
    const b = c.request("prepareExplain", { method: "gradcam", layerIndex: 7 });
    expect(posted).toEqual([
      { type: "prepareRun", requestId: 1, layers: [3] },
      { type: "prepareExplain", requestId: 2, method: "gradcam", layerIndex: 7 },
    ]);
    // A reply of another type, or to no pending request, is not taken.
    expect(
      c.handle({ type: "filters", requestId: idOf(0), layerIndex: 0, dims: [1], data: new Float32Array(1) }),
    ).toBe(false);
    expect(c.handle({ type: "runnable", requestId: 99, runnable })).toBe(false);
    expect(c.handle({ type: "loading", file: "x" })).toBe(false);
    expect(c.handle({ type: "runnable", requestId: idOf(0), runnable })).toBe(true);
    await expect(a).resolves.toMatchObject({ type: "runnable", runnable });
    expect(c.handle({ type: "explainRunnable", requestId: idOf(1), runnable, map: "gradcam" })).toBe(true);
    await expect(b).resolves.toMatchObject({ map: "gradcam" });
    expect(c.outstanding).toBe(0);
  });

  it("rejects on requestFailed and on rejectAll", async () => {
    const { c, idOf } = client();
    const a = c.request("getFilters", { layerIndex: 0 });
    const b = c.request("pickImage", {}, { timeoutMs: Infinity });
    expect(c.handle({ type: "requestFailed", requestId: idOf(0), message: "no weights" })).toBe(true);
    await expect(a).rejects.toThrow(HostError);
    await expect(a).rejects.toThrow("no weights");
    c.rejectAll("reloaded");
    await expect(b).rejects.toThrow("reloaded");
    expect(c.outstanding).toBe(0);
  });

  it("fails a request the host never answers, and a late reply is not taken", async () => {
    const { c, idOf } = client(20);
    const a = c.request("prepareRun", { layers: [] });
    await expect(a).rejects.toThrow(/did not answer within 0.02 s/);
    expect(c.outstanding).toBe(0);
    expect(c.handle({ type: "runnable", requestId: idOf(0), runnable })).toBe(false);
  });

  it("cancels through an AbortSignal, before or after posting", async () => {
    const { c, posted, idOf } = client();
    const ctl = new AbortController();
    const a = c.request("runNative", { modelUri: "u", feeds: [], fetches: [] }, { signal: ctl.signal });
    ctl.abort();
    await expect(a).rejects.toThrow(RequestCancelled);
    expect(c.outstanding).toBe(0);
    expect(c.handle({ type: "requestFailed", requestId: idOf(0), message: "late" })).toBe(false);
    await expect(c.request("pickImage", {}, { signal: ctl.signal })).rejects.toThrow(RequestCancelled);
    // The host was told to stop the posted request; the one cancelled before posting was never sent.
    expect(posted).toEqual([
      { type: "runNative", requestId: 1, modelUri: "u", feeds: [], fetches: [] },
      { type: "cancelRequest", cancels: 1 },
    ]);
  });
});

/** A step of host work that waits for `release` and stops there when its signal is aborted. */
function steps() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const done: string[] = [];
  const work = (requestId: number) => async (signal: AbortSignal) => {
    done.push("built");
    await gate;
    signal.throwIfAborted();
    done.push("written");
    return { type: "runnable" as const, requestId, runnable };
  };
  return { release, done, work };
}

describe("the host's side: RequestServer", () => {
  it("posts the work's reply, and requestFailed for a failure", async () => {
    const replies: ReplyMessage[] = [];
    const server = new RequestServer((r) => replies.push(r));
    await server.serve(4, async () => ({ type: "runnable", requestId: 4, runnable }));
    await server.serve(5, () => Promise.reject(new Error("no weights")));
    expect(replies).toEqual([
      { type: "runnable", requestId: 4, runnable },
      { type: "requestFailed", requestId: 5, message: "no weights" },
    ]);
    expect(server.inFlight).toBe(0);
  });

  it("cancelRequest stops the work at its next step and posts nothing; others go on", async () => {
    const replies: ReplyMessage[] = [];
    const server = new RequestServer((r) => replies.push(r));
    const a = steps();
    const b = steps();
    const servedA = server.serve(7, a.work(7));
    const servedB = server.serve(8, b.work(8));
    expect(server.inFlight).toBe(2);
    server.cancel(7);
    server.cancel(99); // unknown ids are ignored
    a.release();
    b.release();
    await Promise.all([servedA, servedB]);
    expect(a.done).toEqual(["built"]);
    expect(b.done).toEqual(["built", "written"]);
    expect(replies).toEqual([{ type: "runnable", requestId: 8, runnable }]);
    expect(server.inFlight).toBe(0);
  });

  it("drops the reply of work that finished after its request was cancelled", async () => {
    const replies: ReplyMessage[] = [];
    const server = new RequestServer((r) => replies.push(r));
    let finish: () => void = () => undefined;
    const served = server.serve(3, async () => {
      await new Promise<void>((r) => (finish = r));
      return { type: "runnable", requestId: 3, runnable };
    });
    server.cancel(3);
    finish();
    await served;
    expect(replies).toEqual([]);
  });

  it("a webview's cancel reaches the host's work through the messages", async () => {
    // The two ends refer to each other: the client posts to the server, the server replies to it.
    const host: { server: RequestServer | null } = { server: null };
    const c = new RequestClient((m) => {
      // The host: requests are served, cancelRequest cancels (as InspectorPanel.onMessage does).
      if (m.type === "cancelRequest") host.server?.cancel(m.cancels);
      else if (m.type === "prepareExplain") void host.server?.serve(m.requestId, work.work(m.requestId));
    });
    const server = new RequestServer((r) => c.handle(r));
    host.server = server;
    const work = steps();
    const ctl = new AbortController();
    const asked = c.request("prepareExplain", { method: "gradcam" }, { signal: ctl.signal });
    ctl.abort();
    await expect(asked).rejects.toThrow(RequestCancelled);
    work.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(work.done).toEqual(["built"]);
    expect(server.inFlight).toBe(0);
    // The channel is usable again: the next request is answered.
    const next = c.request("prepareRun", { layers: [] });
    expect(c.outstanding).toBe(1);
    expect(c.handle({ type: "runnable", requestId: 2, runnable })).toBe(true);
    await expect(next).resolves.toMatchObject({ type: "runnable" });
  });
});
