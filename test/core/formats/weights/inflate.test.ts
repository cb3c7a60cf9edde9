/** The zip reader's inflate (torch.save archives re-packed with deflate) against Node's zlib. */
import { constants, deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { inflate } from "../../../../src/core/formats/weights/zip";

describe("inflate", () => {
  let seed = 7;
  const random = (n: number) =>
    Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const text = new TextEncoder().encode("module.features.0.weight module.features.0.bias ".repeat(3000));
  const cases: [string, Uint8Array, object][] = [
    ["empty", new Uint8Array(0), {}],
    ["stored blocks (level 0, over 64 KiB)", random(150_000), { level: 0 }],
    ["incompressible data", random(20_000), {}],
    ["fixed Huffman codes", text, { strategy: constants.Z_FIXED }],
    ["dynamic Huffman codes with long matches", text, { level: 9 }],
    ["run-length matches (distance 1)", new Uint8Array(70_000).fill(3), { strategy: constants.Z_RLE }],
  ];
  it.each(cases)("decodes %s as zlib wrote it", (_name, data, options) => {
    const packed = new Uint8Array(deflateRawSync(data, options));
    expect(Buffer.from(inflate(packed, data.length)).equals(Buffer.from(data))).toBe(true);
  });

  it("refuses corrupt or mis-sized data", () => {
    const packed = new Uint8Array(deflateRawSync(text));
    expect(() => inflate(packed, text.length - 1)).toThrow(/corrupt deflate data/);
    expect(() => inflate(packed.subarray(0, 40), text.length)).toThrow(/corrupt deflate data/);
    expect(() => inflate(Uint8Array.of(0xff, 0xff), 10)).toThrow(/corrupt deflate data/);
  });
});
