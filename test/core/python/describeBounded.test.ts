import { describe as suite, expect, it } from "vitest";
import { describe, type PyValue, unknown } from "../../../src/core/formats/python/values";

// Keras's InceptionResNetV2 applies a custom layer to a list 40 times over, each reason quoting the
// last: before the cut, describing the 40th threw "RangeError: Invalid string length".
const list = (items: PyValue[]): PyValue => ({ t: "list", items });

suite("describing a value stays bounded", () => {
  it("cuts reasons that nest in a loop", () => {
    let v = unknown("first");
    for (let i = 0; i < 40; i++) v = unknown(`layer ${i} applied to ${describe(list([v, v]))}`);
    const text = describe(v);
    expect(text.length).toBeLessThan(500);
    expect(text.startsWith("? (layer 39 applied to [? (layer 38")).toBe(true);
  });

  it("spells out a short list and counts the rest of a long one", () => {
    const items = Array.from({ length: 10 }, (_, i) => unknown(`u${i}`));
    expect(describe(list(items.slice(0, 2)))).toBe("[? (u0), ? (u1)]");
    expect(describe(list(items))).toMatch(/^\[\? \(u0\), .*\? \(u7\), … 2 more\]$/);
  });
});
