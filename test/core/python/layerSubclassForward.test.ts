/**
 * Layer subclasses with their own forward (the PyTorch numbers of the followed ones are in
 * test/fixtures/python/cases/layer_subclass_forward.py), and the constant values timm's builders
 * compute with (torch.linspace drop-path rates). EXACT: the numbers PyTorch 1.13 gives for the
 * script (params, output shapes on a 1x3x8x8 input). NEVER_WRONG: scripts whose numbers the
 * reader cannot know: an unknown with its reason, never other numbers.
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const script = (init: string, forward = "return self.body(x)", extra = ""): string => `import torch
import torch.nn as nn
import torch.nn.functional as F
${extra}
class Net(nn.Module):
    def __init__(self, rate=0.0):
        super().__init__()
${init}
    def forward(self, x):
        ${forward}
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`;

const DROP_RATES = (rate: string) =>
  script(
    `        dpr = [x.tolist() for x in torch.linspace(0, ${rate}, 3, device='cpu').split((1, 2))]
        self.blocks = nn.ModuleList([nn.Conv2d(3, 3, 1) if r == 0 else nn.Identity() for s in dpr for r in s])`,
    `for b in self.blocks:
            x = b(x)
        return x`,
  );

const EXACT: readonly { name: string; why: string; source: string; params: number; shapes: number[][] }[] = [
  {
    name: "linspace_drop_rates_at_zero",
    why: "torch.linspace(0, 0, n).split(depths) then .tolist(): timm's drop-path rates at rate 0 (ConvNeXt)",
    source: DROP_RATES("rate"),
    params: 36,
    shapes: [[1, 3, 8, 8]],
  },
  {
    name: "super_forward_of_a_layer",
    why: "super().forward(x) in a Conv2d subclass runs the convolution on the padded input",
    source: script(
      "        self.body = PadConv(3, 4, 3)",
      undefined,
      `class PadConv(nn.Conv2d):
    def forward(self, x):
        return super().forward(F.pad(x, (1, 1, 1, 1)))`,
    ),
    params: 112,
    shapes: [[1, 4, 8, 8]],
  },
];

const NEVER_WRONG: readonly { name: string; why: string; source: string }[] = [
  {
    name: "layer_subclass_forward_not_followed",
    why: "a BatchNorm2d subclass whose forward calls what the reader does not follow is unknown, not a BatchNorm",
    source: script(
      "        self.body = Odd(3)",
      undefined,
      `class Odd(nn.BatchNorm2d):
    def forward(self, x):
        return torch.searchsorted(x, x)`,
    ),
  },
  {
    name: "linspace_drop_rates_not_exact",
    why: "torch.linspace(0, 0.1, 3): PyTorch's float kernel rounds its own way; the values are not stated (PyTorch: 12 params)",
    source: DROP_RATES("0.1"),
  },
  {
    name: "keyword_changes_the_value",
    why: "torch.round(t, decimals=1) and torch.add(a, b, alpha=3) on constants: the value rules ignored the keywords (PyTorch: 4 channels, 36 params; they were 2 and 26)",
    source: script(`        c = int((torch.round(torch.arange(3) / 4 + 2.2, decimals=1) * 2).tolist()[0])
        d = torch.add(torch.arange(2), torch.arange(2), alpha=3).tolist()[1]
        self.body = nn.Sequential(nn.Conv2d(3, c, 1), nn.Conv2d(c, d, 1))`),
  },
];

const analyse = (source: string) =>
  analyzePythonSource(source, { fileName: "/tmp/layer_subclass.py" }).classes.find((c) => c.name === "model");

describe("Python reader: layer subclasses' own forward and builder constants, against PyTorch", () => {
  it.each(EXACT)("$name: $why", ({ source, params, shapes }) => {
    const model = analyse(source);
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.totals.params).toBe(params);
    expect(model?.analysis?.outputs.map((o) => o.shape)).toEqual(shapes);
  });

  it.each(NEVER_WRONG)("$name: $why", ({ source }) => {
    const model = analyse(source);
    // No numbers, with a one-line reason.
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toMatch(/not known|not followed|unknown|cannot/);
  });
});
