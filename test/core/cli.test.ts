/** The CLI on the same core: the fixture JSON schema, formats, and exit codes. */
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main, parseShape } from "../../src/cli";

const MODELS = resolve(__dirname, "../../../shared/fixtures/models");
let out = "";
let err = "";

beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe("convlens summary", () => {
  it("prints the fixture schema as JSON", () => {
    expect(main(["summary", `${MODELS}/lenet5.onnx`, "--format", "json"])).toBe(0);
    const j = JSON.parse(out) as Record<string, unknown> & { totals: Record<string, unknown>; layers: Record<string, unknown>[] };
    expect(Object.keys(j)).toEqual(["model", "input_shape", "totals", "layers"]);
    expect(Object.keys(j.totals)).toEqual(["params", "macs", "flops", "activation_bytes"]);
    expect(Object.keys(j.layers[0] ?? {})).toEqual(["name", "type", "output_shape", "params", "macs", "rf"]);
    expect(j["model"]).toBe("lenet5");
    expect(j.totals["params"]).toBe(61706);
  });

  it("overrides the input shape", () => {
    expect(main(["summary", `${MODELS}/resnet18.onnx`, "--input-shape", "2x3x224x224", "--format", "json"])).toBe(0);
    const j = JSON.parse(out) as { input_shape: number[]; totals: { macs: number } };
    expect(j.input_shape).toEqual([2, 3, 224, 224]);
    expect(j.totals.macs).toBe(2 * 1814073344);
  });

  it.each(["table", "csv", "md"])("prints --format %s", (format) => {
    expect(main(["summary", `${MODELS}/resnet18.onnx`, "--format", format])).toBe(0);
    expect(out).toContain("layer4.1.conv2");
    expect(out).toContain("435");
  });

  it.each([
    [["summary", "/nonexistent.onnx"], /no such file/],
    [["summary", resolve(__dirname, "../fixtures/bad/empty.onnx")], /empty/],
    [["summary", `${MODELS}/lenet5.onnx`, "--format", "xml"], /unknown --format/],
    [["summary", `${MODELS}/lenet5.onnx`, "--input-shape", "1xx3"], /bad --input-shape/],
    [["frobnicate"], /usage/],
  ])("exits 2 with one message: %j", (args, message) => {
    expect(main(args)).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("parses symbolic shapes", () => {
    expect(parseShape("Bx3x224x224")).toEqual(["B", 3, 224, 224]);
  });
});
