import { describe, expect, it } from "vitest";
import type { SentTensor } from "../../src/protocol/messages";
import { HostError, type RequestClient } from "../../src/protocol/requests";
import { KeptInputs } from "../../src/host/runtime/keptInputs";
import { hostNativeRunner } from "../../webview/run/nativeRunner";

/** A host as runNative sees it: inputs resolved by the real KeptInputs, one logit back. */
function fakeHost() {
  const kept = new KeptInputs();
  const requests: (readonly SentTensor[])[] = [];
  const client = {
    request: async (_type: string, body: { feeds: readonly SentTensor[] }) => {
      requests.push(body.feeds);
      const [input] = kept.resolve(body.feeds);
      const sum = new Float32Array(input!.bytes.slice().buffer).reduce((a, b) => a + b, 0);
      return {
        ms: 1,
        hostMs: 2,
        firstRun: false,
        provider: "cpu",
        outputs: [{ name: "y", dims: [1], data: [sum] }],
      };
    },
  } as unknown as RequestClient;
  return { client, requests };
}

const feeds = (fill: number) => ({
  x: { dtype: "float32" as const, dims: [1, 4], data: new Float32Array(4).fill(fill) },
});

describe("the host engine's runner sends an input's bytes once", () => {
  it("sends bytes the first time and the key alone for a run on the same input", async () => {
    const host = fakeHost();
    const runner = hostNativeRunner(host.client);
    const first = await runner.run("m", feeds(1), ["y"]);
    const second = await runner.run("m", feeds(1), ["y"]);
    expect(first.outputs.get("y")?.data[0]).toBe(4);
    expect(second.outputs.get("y")?.data[0]).toBe(4);
    expect(host.requests[0]?.[0]?.bytes?.byteLength).toBe(16);
    expect(host.requests[1]?.[0]?.bytes).toBeUndefined();
    expect(host.requests[1]?.[0]?.key).toBe(host.requests[0]?.[0]?.key);
  });

  it("sends a changed input's bytes", async () => {
    const host = fakeHost();
    const runner = hostNativeRunner(host.client);
    await runner.run("m", feeds(1), ["y"]);
    const r = await runner.run("m", feeds(2), ["y"]);
    expect(r.outputs.get("y")?.data[0]).toBe(8);
    expect(host.requests[1]?.[0]?.bytes?.byteLength).toBe(16);
  });

  it("sends the bytes again when the host no longer keeps them", async () => {
    let kept = new KeptInputs();
    const requests: (readonly SentTensor[])[] = [];
    const client = {
      request: async (_t: string, body: { feeds: readonly SentTensor[] }) => {
        requests.push(body.feeds);
        try {
          kept.resolve(body.feeds);
        } catch (e) {
          throw new HostError((e as Error).message);
        }
        return { ms: 1, hostMs: 2, firstRun: false, provider: "cpu", outputs: [] };
      },
    } as unknown as RequestClient;
    const runner = hostNativeRunner(client);
    await runner.run("m", feeds(3), ["y"]);
    kept = new KeptInputs(); // a new extension host, say
    await runner.run("m", feeds(3), ["y"]);
    expect(requests.map((r) => r[0]?.bytes !== undefined)).toEqual([true, false, true]);
  });
});
