/**
 * The bad-input corpus (test/fixtures/bad, made by tools/make-bad-corpus.ts):
 * a table of files with the message each must give. None may throw anything
 * but a one-line ModelError, and none may hang.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, ModelError } from "../../src/core/index";
import { writeOnnx } from "../../src/core/onnx/writer";
import { reluChain } from "../../tools/synthetic";

const BAD = join(__dirname, "../fixtures/bad");

/** file → expected error message (a ModelError), or for analysable files the node warning. */
const CASES: readonly { file: string; error?: RegExp; warning?: RegExp }[] = [
  { file: "empty.onnx", error: /file is empty/ },
  { file: "truncated.onnx", error: /truncated or not ONNX/ },
  { file: "random.onnx", error: /not a valid ONNX file|Not an ONNX model/i },
  { file: "not-onnx-protobuf.onnx", error: /no graph|Not an ONNX model/ },
  { file: "cyclic.onnx", error: /cycle/ },
  { file: "missing-producer.onnx", error: /reads "ghost", which no node/ },
  { file: "huge-dims.onnx", error: /not a plausible size/ },
  { file: "negative-pads.onnx", warning: /negative pads/ },
  { file: "unknown-op.onnx", warning: /unknown: no rule for op Frobnicate/ },
];

function errorOf(fn: () => unknown): Error | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

describe("bad input corpus", () => {
  it.each(CASES)("$file", ({ file, error, warning }) => {
    const run = () => analyzeFile(file, readFileSync(join(BAD, file)));
    if (error) {
      const e = errorOf(run);
      expect(e).toBeInstanceOf(ModelError);
      expect(e?.message).toMatch(error);
      expect(e?.message).not.toContain("\n");
    } else {
      const a = run();
      const warnings = a.layers.flatMap((l) => l.warnings);
      expect(warnings.some((w) => warning?.test(w))).toBe(true);
      // Nothing downstream of the bad node gets a made-up shape.
      const bad = a.layers.findIndex((l) => l.warnings.length > 0);
      expect(a.layers.slice(bad).every((l) => l.outputs.every((o) => o.shape === null))).toBe(true);
    }
  });

  it("analyses a 100,000-node graph completely", () => {
    const bytes = writeOnnx(reluChain(100_000));
    const a = analyzeFile("chain.onnx", bytes, {}, { timeLimitMs: 60_000 });
    expect(a.layers).toHaveLength(100_000);
    expect(a.outputs[0]?.shape).toEqual([1, 3, 8, 8]);
  });

  it("stops a long analysis at its time limit with a message", () => {
    const bytes = writeOnnx(reluChain(100_000));
    const e = errorOf(() => analyzeFile("chain.onnx", bytes, {}, { timeLimitMs: 0 }));
    expect(e).toBeInstanceOf(ModelError);
    expect(e?.message).toMatch(/time limit/);
  });

  it("can be cancelled", () => {
    const bytes = writeOnnx(reluChain(1000));
    const e = errorOf(() => analyzeFile("chain.onnx", bytes, {}, { isCancelled: () => true }));
    expect(e?.message).toMatch(/cancelled/);
  });
});
