import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KeptInputs } from "../../src/host/runtime/keptInputs";
import { INPUT_NOT_KEPT } from "../../src/protocol/messages";

const picture = (n: number, fill: number) => new Uint8Array(new Float32Array(n).fill(fill).buffer);
/** Byte-equal (vitest's deep equality on 20 MB arrays runs out of memory). */
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.compare(a, b) === 0;
const key = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const sent = (bytes: Uint8Array, withBytes = true) => ({
  name: "input",
  dtype: "float32" as const,
  dims: [1, bytes.byteLength / 4],
  key: key(bytes),
  ...(withBytes ? { bytes } : {}),
});

describe("inputs kept for the host engine", () => {
  it("runs a later request named by its key alone on the bytes sent first", () => {
    const kept = new KeptInputs();
    const a = picture(1000, 0.5);
    expect(same(kept.resolve([sent(a)])[0]?.bytes, a)).toBe(true);
    const again = kept.resolve([sent(a, false)])[0];
    expect(same(again?.bytes, a)).toBe(true);
    expect(again?.dims).toEqual([1, 1000]);
  });

  it("says so when a key names bytes it never got, so that the webview sends them again", () => {
    const kept = new KeptInputs();
    kept.resolve([sent(picture(10, 1))]);
    expect(() => kept.resolve([sent(picture(10, 2), false)])).toThrow(INPUT_NOT_KEPT);
    expect(() => kept.resolve([{ name: "x", dtype: "float32", dims: [1] }])).toThrow(INPUT_NOT_KEPT);
  });

  it("refuses a key that is not the hash of the bytes sent with it (never runs on other bytes)", () => {
    const kept = new KeptInputs();
    const a = picture(10, 1);
    expect(() => kept.resolve([{ ...sent(a), key: key(picture(10, 2)) }])).toThrow(/does not match/);
  });

  it("keeps the most recent inputs within its budget and forgets the oldest", () => {
    const kept = new KeptInputs();
    // 20 MB each: the 64 MB budget holds three.
    const pictures = [1, 2, 3, 4].map((v) => picture(5 * 1024 * 1024, v));
    for (const p of pictures) kept.resolve([sent(p)]);
    expect(() => kept.resolve([sent(pictures[0]!, false)])).toThrow(INPUT_NOT_KEPT);
    for (const p of pictures.slice(1)) expect(same(kept.resolve([sent(p, false)])[0]?.bytes, p)).toBe(true);
  });

  it("reads an input whose bytes arrived as a plain list of numbers", () => {
    const kept = new KeptInputs();
    const a = picture(4, 3);
    const plain = { ...sent(a), bytes: Array.from(a) as unknown as Uint8Array };
    expect(same(kept.resolve([plain])[0]?.bytes, a)).toBe(true);
    expect(same(kept.resolve([sent(a, false)])[0]?.bytes, a)).toBe(true);
  });
});
