/**
 * The map Export with PyTorch writes beside an exported ONNX file: module path → line that built
 * it. Read back strictly (a hand-edited or foreign JSON leads nowhere rather than to a wrong
 * line); a row without a module of its own leads to its innermost enclosing module's line. The
 * live export (real torch.onnx.export node names) is checked in test/runtime/torchBridge.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  exportSourceMap,
  exportSourceMapPath,
  parseExportSourceMap,
  sourceLineOf,
} from "../../src/core/analysis/exportSourceMap";

const modules = [
  { path: "", type: "Net", line: 40 },
  { path: "features", type: "Sequential", line: 12 },
  { path: "features.0", type: "Conv2d", line: 13 },
  { path: "head", type: "Linear", line: null },
];

describe("export source map", () => {
  const map = exportSourceMap("Net", "net.py", modules);

  it("keeps the modules the file built, not the model's root", () => {
    expect(map.lines).toEqual({ features: 12, "features.0": 13 });
    expect(exportSourceMapPath("/w/net.onnx")).toBe("/w/net.onnx.source.json");
  });

  it("leads a row to its module, else to the innermost enclosing one, else nowhere", () => {
    expect(sourceLineOf(map, { name: "features.0", groups: ["features", "features.0"] })).toBe(13);
    // `/features/Add`: an op of the container itself.
    expect(sourceLineOf(map, { name: "features", groups: ["features"] })).toBe(12);
    expect(sourceLineOf(map, { name: "features.9", groups: ["features", "features.9"] })).toBe(12);
    expect(sourceLineOf(map, { name: "head", groups: ["head"] })).toBeUndefined();
    expect(sourceLineOf(map, { name: "toString", groups: [] })).toBeUndefined();
  });

  it("reads back what it wrote, and refuses anything else in one line", () => {
    expect(parseExportSourceMap(JSON.stringify(map))).toEqual(map);
    expect(parseExportSourceMap("{")).toMatch(/^not JSON/);
    expect(parseExportSourceMap('{"format": "keras"}')).toBe("not a ConvLens export source map");
    const bad = { ...map, lines: { "features.0": 0 } };
    expect(parseExportSourceMap(JSON.stringify(bad))).toBe("a module line is not a line number");
  });
});
