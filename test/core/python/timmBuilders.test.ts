/**
 * Python reader gaps found bringing timm's EfficientNet / MobileNet / MNASNet / GhostNet builders
 * to exact (test/core/python/timmCorpus.test.ts), each as a small script. EXACT: the numbers
 * PyTorch 1.13 gives for it (params, output shapes on a 1x3x8x8 input). NEVER_WRONG: scripts the
 * reader used to answer wrongly; now an unknown with its reason (or PyTorch's own numbers).
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const EXACT: readonly { name: string; why: string; source: string; params: number; shapes: number[][] }[] = [
  {
    name: "callable_builder",
    why: "a plain class's __call__ builds the blocks (timm's EfficientNetBuilder()(stem, block_args))",
    source: `import torch
import torch.nn as nn
class Builder:
    def __init__(self, width):
        self.width = width
    def __call__(self, in_chs, specs):
        layers = []
        for s in specs:
            layers.append(nn.Conv2d(in_chs, s * self.width, 3, padding=1))
            in_chs = s * self.width
        return layers
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(*Builder(4)(3, [1, 2]))
    def forward(self, x):
        return self.blocks(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 408,
    shapes: [[1, 8, 8, 8]],
  },
  {
    name: "block_strings",
    why: "re.split / re.compile().fullmatch / str.partition / split(sep, 1) / isdigit / int and float of text (timm's block strings)",
    source: `import re
import torch
import torch.nn as nn
def decode(block_str):
    ops = block_str.split('_')
    options = {}
    for op in ops[1:]:
        splits = re.split(r'(\\d.*)', op)
        if len(splits) >= 2:
            key, value = splits[:2]
            options[key] = value
    head, sep, tail = block_str.partition('_')
    first, rest = block_str.split('_', 1)
    assert first == head and rest == tail and sep == '_'
    k = options['k']
    return int(options['c']), int(k) if k.isdigit() else 1, float(options['se'])
class Net(nn.Module):
    def __init__(self, spec='ir_k3_c16_se0.25'):
        super().__init__()
        c, k, se = decode(spec)
        self.conv = nn.Conv2d(3, c, k)
        self.se = nn.Conv2d(c, int(c * se), 1)
        m = re.compile(r'[a-z]+(\\d+)').fullmatch('stage12')
        self.extra = nn.Conv2d(int(c * se), int(m.group(1)), 1) if m else nn.Identity()
    def forward(self, x):
        return self.extra(self.se(self.conv(x)))
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 576,
    shapes: [[1, 12, 6, 6]],
  },
  {
    name: "dir_functional",
    why: "`'silu' in dir(torch.nn.functional)` (timm's create_act)",
    source: `import torch
import torch.nn as nn
import torch.nn.functional as F
_has_silu = 'silu' in dir(torch.nn.functional)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4 if _has_silu else 5, 1)
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
    name: "str_index_slice",
    why: "a string indexed and sliced (timm's `v = op[1:]` for 'nre')",
    source: `import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, op='nre'):
        super().__init__()
        self.conv = nn.Conv2d(3, 4 if op[1:] == 're' and op[0] == 'n' else 5, 1)
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
    name: "property_value",
    why: "a @property read on a module is its value (it was the function, always true: `2 if self.first.wide else 5` took 2 where PyTorch has 5)",
    source: `import torch
import torch.nn as nn
class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1)
    @property
    def wide(self):
        return self.conv.out_channels > 8
    def forward(self, x):
        return self.conv(x)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block(3, 4)
        self.head = nn.Conv2d(4, 2 if self.first.wide else 5, 1)
    def forward(self, x):
        return self.head(self.first(x))
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 41,
    shapes: [[1, 5, 8, 8]],
  },
  {
    name: "property_and_list_sum",
    why: "@property out_channels (timm's ConvNormAct), its @x.setter kept apart, and sum(lists, []) concatenating (timm's ReXNet strides)",
    source: `import torch
import torch.nn as nn
class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1)
    def forward(self, x):
        return self.conv(x)
    @property
    def out_channels(self):
        return self.conv.out_channels
    @property
    def wide(self):
        return self.conv.out_channels > 8
    @wide.setter
    def wide(self, v):
        raise AttributeError('read only')
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        strides = sum([[s] + [1] * (n - 1) for s, n in zip([1, 2], [2, 3])], [])
        self.first = Block(3, 4 * len(strides))
        self.head = nn.Conv2d(self.first.out_channels, 2 if self.first.wide else 5, 1)
    def forward(self, x):
        return self.head(self.first(x))
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 122,
    shapes: [[1, 2, 8, 8]],
  },
  {
    name: "partial_of_partial",
    why: "partial(partial(f, a=1), b=2) is one partial of f, as CPython flattens it (timm's get_norm_act_layer unbinds .func / .keywords): .func was the inner partial, so a DPN-style check took the other branch, 1x5x8x8 / 20 params",
    source: `import torch
import torch.nn as nn
from functools import partial
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        p = partial(partial(nn.Conv2d, kernel_size=3), padding=1)
        self.conv = p(3, 4 * len(p.keywords)) if p.func is nn.Conv2d else nn.Conv2d(3, 5, 1)
    def forward(self, x):
        return self.conv(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    params: 224,
    shapes: [[1, 8, 8, 8]],
  },
];

const NEVER_WRONG: readonly { name: string; why: string; source: string; shapes: number[][] }[] = [
  {
    name: "conv_subclass_forward",
    why: "a Conv2d subclass that pads in its own forward: PyTorch gives 1x4x8x8; the layer's rule alone gave 1x4x6x6",
    source: `import torch
import torch.nn as nn
import torch.nn.functional as F
class PadConv(nn.Conv2d):
    def forward(self, x):
        return super().forward(F.pad(x, (1, 1, 1, 1)))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = PadConv(3, 4, 3)
    def forward(self, x):
        return self.conv(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    // What PyTorch gives (an empty list: it raises).
    shapes: [[1, 4, 8, 8]],
  },
  {
    name: "int_of_decimal_text",
    why: "int('1.5') raises ValueError in Python (it was read as 1)",
    source: `import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, int("1.5"), 1)
    def forward(self, x):
        return self.conv(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    // What PyTorch gives (an empty list: it raises).
    shapes: [],
  },
  {
    name: "membership_with_unknown_item",
    why: "`8 in [WIDTH, 16]` with WIDTH not known is undecidable (it was False)",
    source: `import torch
import torch.nn as nn
from somewhere_missing import WIDTH
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4 if 8 in [WIDTH, 16] else 5, 1)
    def forward(self, x):
        return self.conv(x)
model = Net()
model.eval()
model(torch.randn(1, 3, 8, 8))
`,
    // What PyTorch gives (an empty list: it raises).
    shapes: [[1, 4, 8, 8]],
  },
];

const analyse = (source: string) =>
  analyzePythonSource(source, { fileName: "/tmp/timm_builder.py" }).classes.find((c) => c.name === "model");

describe("Python reader on timm's builder idioms, against PyTorch", () => {
  it.each(EXACT)("$name: $why", ({ source, params, shapes }) => {
    const model = analyse(source);
    expect(model?.error).toBeUndefined();
    expect(model?.analysis?.totals.params).toBe(params);
    expect(model?.analysis?.outputs.map((o) => o.shape)).toEqual(shapes);
  });

  it.each(NEVER_WRONG)("$name: $why", ({ source, shapes }) => {
    const model = analyse(source);
    // Either PyTorch's numbers or no numbers with a one-line reason; never other numbers.
    if (model?.analysis && shapes.length) expect(model.analysis.outputs.map((o) => o.shape)).toEqual(shapes);
    else {
      expect(model?.analysis).toBeUndefined();
      expect(model?.error).toMatch(/unknown|not known|undecidable|raises/);
    }
  });
});
