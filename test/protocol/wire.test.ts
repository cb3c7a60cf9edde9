/**
 * Large messages cross to the webview as one byte buffer of their JSON (src/protocol/wire.ts):
 * what the webview reads back must be the message JSON would have delivered, value for value.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import type { HostToWebview } from "../../src/protocol/messages";
import { gzipSync } from "node:zlib";
import { fromWire, isPacked, packedAnalysis, toWire, unpack } from "../../src/protocol/wire";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

function analysisMessage(name: string): HostToWebview {
  const file = resolve(FIXTURES, "models", `${name}.onnx`);
  return { type: "analysis", file: `${name}.onnx`, analysis: analyzeFile(file, readFileSync(file)) };
}

describe("wire packing of host → webview messages", () => {
  it.each(["resnet18", "googlenet", "lstm_classifier"])(
    "%s: the analysis travels as bytes and reads back as JSON would deliver it",
    (name) => {
      const m = analysisMessage(name);
      const wire = toWire(m);
      expect(isPacked(wire)).toBe(true);
      const back = fromWire(structuredClone(wire)) as Extract<HostToWebview, { type: "analysis" }>;
      expect(back).toEqual(JSON.parse(JSON.stringify(m)));
      // The numbers the table shows, spot-checked against the original (not only against JSON).
      const original = (m as Extract<HostToWebview, { type: "analysis" }>).analysis;
      expect(back.analysis.totals).toEqual(original.totals);
      expect(back.analysis.layers.map((l) => [l.params, l.macs, l.flops])).toEqual(
        original.layers.map((l) => [l.params, l.macs, l.flops]),
      );
    },
  );

  it("an analysis packed around the worker's JSON reads back as the message toWire packs", () => {
    const m = analysisMessage("googlenet") as Extract<HostToWebview, { type: "analysis" }>;
    const json = new TextEncoder().encode(JSON.stringify(m.analysis));
    const packed = packedAnalysis('googlenet "v1".onnx', json);
    const expected = { ...m, file: 'googlenet "v1".onnx' };
    expect(fromWire(structuredClone(packed))).toEqual(fromWire(toWire(expected)));
    expect(toWire(packed)).toBe(packed);
  });

  it("a gzipped analysis (as the worker sends a large one) opens to the same message", async () => {
    const m = analysisMessage("googlenet") as Extract<HostToWebview, { type: "analysis" }>;
    const json = new TextEncoder().encode(JSON.stringify(m.analysis));
    const packed = packedAnalysis("googlenet.onnx", new Uint8Array(gzipSync(json, { level: 1 })), true);
    expect(packed.json.length).toBeLessThan(json.length / 5);
    const back = (await unpack(structuredClone(packed))) as typeof m;
    expect(back).toEqual(JSON.parse(JSON.stringify(m)));
    expect(back.analysis.totals).toEqual(m.analysis.totals);
    // The synchronous reader refuses it rather than parsing gzip bytes as text.
    expect(() => fromWire(packed)).toThrow(/unpack/);
    // unpack opens the other kinds as fromWire does.
    expect(await unpack(toWire(m))).toEqual(fromWire(toWire(m)));
    expect(await unpack({ type: "selectLayer", index: 2 })).toEqual({ type: "selectLayer", index: 2 });
  });

  it("leaves small messages and typed-array messages as they are", () => {
    const filters: HostToWebview = {
      type: "filters",
      requestId: 3,
      layerIndex: 1,
      dims: [2, 1, 1, 1],
      data: new Float32Array([0.5, -1]),
    };
    const select: HostToWebview = { type: "selectLayer", index: 4 };
    expect(toWire(filters)).toBe(filters);
    expect(toWire(select)).toBe(select);
    expect(fromWire(select)).toBe(select);
    expect(fromWire(null)).toBe(null);
  });

  it("does not open an envelope without bytes", () => {
    const fake = { type: "packed", json: "{}" };
    expect(isPacked(fake)).toBe(false);
    expect(fromWire(fake)).toBe(fake);
  });
});
