/**
 * What torchvision's newer builders need beyond the case file (cases/torchvision_parts.py):
 * functional matrix products (F.linear with a module's weight, einsum attention,
 * nn.MultiheadAttention called with keywords), concrete values computed in __init__, and the
 * places where the interpreter used to be silently wrong: an `items.append(f(x))` whose call
 * failed left the list one short (torch.cat then had fewer channels), and a comprehension
 * dropped an item whose condition it could not decide.
 * Expected numbers come from PyTorch 1.13 (MACs: matrix products and convolutions as
 * dispatched, the fixtures README convention).
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

function traced(src: string, input: string): TracedClass {
  const full = `import math\nimport numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n# convlens: input ${input}\n${src}`;
  const c = analyzePythonSource(full, { fileName: "m.py" }).classes.find((k) => k.name === "M");
  if (!c) throw new Error("class M not traced");
  return c;
}

/** Never a number: no analysis, or an output whose shape is unknown. */
function expectUnknown(c: TracedClass): void {
  const outputs = c.analysis?.outputs ?? [];
  expect(
    outputs.length === 0 || outputs.some((o) => o.shape === undefined),
    `outputs ${JSON.stringify(outputs)}`,
  ).toBe(true);
}

describe("functional matrix products count as PyTorch dispatches them", () => {
  it("F.linear with a module's weight, einsum attention, MultiheadAttention(query=…, key=…, value=…)", () => {
    const c = traced(
      `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        qkv = F.linear(x, self.qkv.weight, self.qkv.bias)
        q, k, v = torch.chunk(qkv, 3, dim=-1)
        a = torch.einsum("b i d, b j d -> b i j", q, k).softmax(-1)
        y = torch.einsum("bij,bjd->bid", a, v)
        y, _ = self.attn(query=y, key=y, value=y, need_weights=False)
        return y
`,
      "2x16x4x4",
    );
    expect(c.error).toBeUndefined();
    // PyTorch: 1904 parameters, output 2×16×16, 90112 MACs (F.linear 24576, einsums 2 × 8192, attention
    // 49152).
    expect(c.analysis?.outputs[0]?.shape).toEqual([2, 16, 16]);
    expect(c.analysis?.totals.params).toBe(1904);
    expect(c.analysis?.totals.macs).toBe(90112);
  });

  it("an einsum that is not a matrix product is unknown, not guessed", () => {
    const c = traced(
      `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(torch.einsum("bchw,bchw->bc", x, x))
`,
      "1x4x8x8",
    );
    expectUnknown(c);
  });
});

describe("values computed in __init__", () => {
  it("torch.round halves to even, .int().tolist(), set, round(), numpy.linspace", () => {
    const c = traced(
      `class M(nn.Module):
    def __init__(self):
        super().__init__()
        w = (torch.tensor([2.5, 3.5]).round() * 4).int().tolist()
        n = len(set([8, 8, 16])) + round(2.5) + len(np.linspace(0, 1, 5).tolist())
        self.a = nn.Conv2d(4, w[0], 1)
        self.b = nn.Conv2d(w[0], w[1], 1)
        self.c = nn.Conv2d(w[1], n, 1)

    def forward(self, x):
        return self.c(self.b(self.a(x)))
`,
      "1x4x16x16",
    );
    // PyTorch: widths [8, 16], n = 2 + 2 + 5; 337 parameters, 77824 MACs.
    expect(c.analysis?.outputs[0]?.shape).toEqual([1, 9, 16, 16]);
    expect(c.analysis?.totals.params).toBe(337);
    expect(c.analysis?.totals.macs).toBe(77824);
  });

  it("a tensor written to in place no longer has known values", () => {
    const c = traced(
      `class M(nn.Module):
    def __init__(self):
        super().__init__()
        t = torch.arange(4)
        t[0] = 7
        self.conv = nn.Conv2d(4, t.tolist()[0], 1)

    def forward(self, x):
        return self.conv(x)
`,
      "1x4x8x8",
    );
    expect(c.analysis?.outputs[0]?.shape ?? null).not.toEqual([1, 0, 8, 8]);
    expectUnknown(c);
  });
});

describe("never one item short", () => {
  it("a failed res.append(branch(x)) makes the list unknown, not shorter", () => {
    const c = traced(
      `class Bad(nn.Module):
    def forward(self, x):
        for m in self.missing:
            x = m(x)
        return x


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 8, 1)
        self.bad = Bad()
        self.mix = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        res = []
        res.append(self.a(x))
        res.append(self.bad(self.a(x)))
        return self.mix(torch.cat(res, dim=1))
`,
      "1x4x8x8",
    );
    // Once: torch.cat of the one branch gave 8 channels and a false "expects 16 channels" error.
    expect(c.diagnostics ?? []).toEqual([]);
    expectUnknown(c);
  });

  it("an undecidable comprehension condition does not drop the item", () => {
    const c = traced(
      `class M(nn.Module):
    def __init__(self, limit=None):
        super().__init__()
        chans = [w for w in (8, 16) if w > self.limit]
        self.conv = nn.Conv2d(4, len(chans), 1)

    def forward(self, x):
        return self.conv(x)
`,
      "1x4x8x8",
    );
    expect(c.analysis?.outputs[0]?.shape ?? null).not.toEqual([1, 0, 8, 8]);
    expect(c.analysis?.outputs[0]?.shape ?? null).not.toEqual([1, 1, 8, 8]);
    expectUnknown(c);
  });
});
