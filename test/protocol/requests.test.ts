import { describe, expect, expectTypeOf, it } from "vitest";
import {
  isHostToWebview,
  isWebviewToHost,
  MESSAGE_TYPES,
  type HostToWebview,
  type RunnableInfo,
  type WebviewToHost,
} from "../../src/protocol/messages";
import { HostError, REPLY_TYPES, RequestCancelled, RequestClient } from "../../src/protocol/requests";

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
    expect(MESSAGE_TYPES.hostToWebview).toHaveLength(13);
    expect(MESSAGE_TYPES.webviewToHost).toHaveLength(13);
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
    expect(posted).toHaveLength(1);
  });
});
