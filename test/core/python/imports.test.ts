/**
 * Classes and helpers imported from sibling files are followed; their positions never leak into this file's.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource, isForeignSpan } from "../../../src/core/formats/python/pythonModel";

const PKG = resolve(__dirname, "../../fixtures/python/pkg");

/** The package's files as the analysis reads them (absolute paths). */
const files = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };

describe("imports from sibling files", () => {
  const src = readFileSync(join(PKG, "net.py"), "utf8");
  const result = analyzePythonSource(src, { fileName: join(PKG, "net.py"), files });
  const net = result.classes.find((c) => c.name === "TinyNet");

  it("follows the imported class and helper", () => {
    expect(net?.error).toBeUndefined();
    expect(net?.analysis?.outputs[0]?.shape).toEqual([1, 10]);
    // stem 3→16 @64², stage1 16→32 /2, 32→32; stage2 32→64 /2, 64→64: 64·16·16 at the end.
    const last = net?.analysis?.layers.filter((l) => l.name.startsWith("stage2.blocks.1.0"));
    expect(last?.[0]?.outputs[0]?.shape).toEqual([1, 64, 16, 16]);
    // conv weights + BN affine: 3·16·9 + 32 + (16·32·9 + 64 + 32·32·9 + 64) + (32·64·9 + 128 + 64·64·9 + 128)
    // + 64·10 + 10
    expect(net?.analysis?.totals.params).toBe(
      432 + 32 + 4608 + 64 + 9216 + 64 + 18432 + 128 + 36864 + 128 + 650,
    );
  });

  it("marks positions inside the imported file as foreign", () => {
    const stemConv = net?.analysis?.layers.find((l) => l.name === "stem.0");
    expect(stemConv?.source?.def && isForeignSpan(stemConv.source.def)).toBe(true);
    const head = net?.analysis?.layers.find((l) => l.name === "head");
    expect(head?.source?.def && isForeignSpan(head.source.def)).toBe(false);
  });

  it("says what is missing when a module cannot be read", () => {
    const r = analyzePythonSource(src, { fileName: join(PKG, "net.py") });
    expect(r.classes[0]?.error ?? "").toMatch(/not available|cannot construct|cannot follow/);
  });
});
