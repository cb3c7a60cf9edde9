/**
 * Python reader gaps found on timm's sources (test/core/python/timmCorpus.test.ts), each as a small
 * script with the numbers PyTorch 1.13 gives for it (params, output shapes on a 1x3x8x8 input).
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const CASES: readonly { name: string; why: string; source: string; params: number; shapes: number[][] }[] = [
  {
    name: "not_and",
    why: "`not a and b` is `(not a) and b` (lezer reads `not (a and b)`: timm's Xception-41 got 8 extra shortcut convolutions)",
    source: `import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, no_skip=False, a=8, b=8):
        super().__init__()
        # Python: (not no_skip) and (a != b); lezer read not (no_skip and ...)
        self.conv = nn.Conv2d(3, 5 if not no_skip and a != b else 4, 1)
        self.other = nn.Conv2d(3, 6 if a == b and not no_skip or False else 7, 1)
    def forward(self, x):
        return self.conv(x), self.other(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 40,
    shapes: [
      [1, 4, 8, 8],
      [1, 6, 8, 8],
    ],
  },
  {
    name: "float_dot_else",
    why: "`0. else` is a float then `else` (lezer reads the attribute `else` of 0)",
    source: `import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, rate=0.):
        super().__init__()
        self.drop = nn.Dropout(rate) if rate > 0. else None
        self.conv = nn.Conv2d(3, 4 if self.drop is None else 9, 1)
    def forward(self, x):
        return self.conv(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 16,
    shapes: [[1, 4, 8, 8]],
  },
  {
    name: "partial_unbind",
    why: "a functools.partial object: isinstance, .func, .keywords (timm's create_norm_act)",
    source: `import functools
import types
import torch
import torch.nn as nn
def make_norm(norm_layer, c):
    kw = {}
    if isinstance(norm_layer, functools.partial):
        kw.update(norm_layer.keywords)
        norm_layer = norm_layer.func
    if isinstance(norm_layer, types.FunctionType):
        return norm_layer(c)
    return norm_layer(c, **kw)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.norm = make_norm(functools.partial(nn.BatchNorm2d, affine=False), 8)
    def forward(self, x):
        return self.norm(self.conv(x))
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 32,
    shapes: [[1, 8, 8, 8]],
  },
  {
    name: "dataclass_replace",
    why: "dataclasses.replace / asdict, and __post_init__ run by the generated __init__",
    source: `from dataclasses import dataclass, replace, asdict
import torch
import torch.nn as nn
@dataclass
class Cfg:
    width: int = 4
    depth: int = 1
    def __post_init__(self):
        self.width = self.width * 2
class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        cfg = replace(cfg, depth=2)
        self.convs = nn.Sequential(*[nn.Conv2d(3 if i == 0 else cfg.width, cfg.width, 1) for i in range(asdict(cfg)["depth"])])
    def forward(self, x):
        return self.convs(x)
model = Net(Cfg())
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 336,
    shapes: [[1, 16, 8, 8]],
  },
  {
    name: "set_comprehension_repeat",
    why: "a set comprehension keeps distinct items; itertools.repeat(x, n)",
    source: `from itertools import repeat
import torch
import torch.nn as nn
TYPES = {m for n, m in dict(a=nn.BatchNorm2d, b=nn.BatchNorm2d, c=nn.ReLU).items()}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        k = tuple(repeat(3, 2))
        self.conv = nn.Conv2d(3, 4 + len(TYPES), k)
        self.norm = nn.BatchNorm2d(6) if nn.BatchNorm2d in TYPES else nn.Identity()
    def forward(self, x):
        return self.norm(self.conv(x))
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 180,
    shapes: [[1, 6, 6, 6]],
  },
];

describe("Python reader on timm's idioms, against PyTorch", () => {
  it.each(CASES)("$name: $why", ({ source, params, shapes }) => {
    const result = analyzePythonSource(source, { fileName: "/tmp/timm_idiom.py" });
    const model = result.classes.find((c) => c.name === "model");
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.totals.params).toBe(params);
    expect(model?.analysis?.outputs.map((o) => o.shape)).toEqual(shapes);
  });
});
