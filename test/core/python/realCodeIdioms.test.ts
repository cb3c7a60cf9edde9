/**
 * Idioms of PyTorch code nobody on this team wrote, each reduced to a hand-written case: sizes
 * computed in forward from `torch.tensor([...])` (milesial/Pytorch-UNet's `Up` pads its upsampled
 * input by `diffX // 2`, `diffX - diffX // 2` to the skip connection's size, whatever the input size),
 * `//` on tensors, `Variable(x)` around every batch (2017-era scripts: yunjey/pytorch-tutorial),
 * `if batch_norm is True:` / `i is 0` (sgrvinod's SRGAN: `is` on True/False and small ints is equality
 * in CPython), blocks subclassing torch.jit.ScriptModule (weiaicunzai/pytorch-cifar100).
 * Expected numbers from PyTorch's documented formulas, by hand:
 * ConvTranspose2d out = (H − 1)·s − 2p + k, params C_in·C_out·k·k + C_out; Conv2d params
 * C_out·C_in·k·k + C_out; F.pad adds (left + right) to the last dim, (top + bottom) to the one before,
 * a negative amount crops; `//` floors (−7 // 2 = −4).
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

const HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n";
const analyse = (body: string) => analyzePythonSource(HEAD + body, { fileName: "real.py" });
const named = (r: { classes: readonly TracedClass[] }, name: string) =>
  r.classes.find((c) => c.name === name);

const UP = `
class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        dy = torch.tensor([x2.size()[2] - x1.size()[2]])
        dx = torch.tensor([x2.size()[3] - x1.size()[3]])
        x1 = F.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([x2, x1], dim=1))
`;

describe("sizes computed in forward from small tensors", () => {
  it("UNet's Up: pads by one-element tensors to the skip connection's odd size", () => {
    const r = analyse(`${UP}\nm = Up(8, 4)\nm(torch.randn(1, 8, 5, 5), torch.randn(1, 4, 13, 11))\n`);
    const m = named(r, "m");
    expect(m?.error).toBeUndefined();
    // up: (5 − 1)·2 + 2 = 10; dy = 3 → 10 + 1 + 2 = 13, dx = 1 → 10 + 0 + 1 = 11;
    // cat 4 + 4 = 8 channels.
    expect(m?.analysis?.outputs[0]?.shape).toEqual([1, 4, 13, 11]);
    // ConvTranspose2d 8·4·2·2 + 4 = 132; Conv2d 4·8·3·3 + 4 = 292.
    expect(m?.analysis?.totals.params).toBe(424);
  });

  it("`//` of an integer tensor floors (−7 // 2 = −4, a crop of 4)", () => {
    const r = analyse(`
class Crop(nn.Module):
    def forward(self, x):
        t = torch.tensor([-7]) // 2
        return F.pad(x, [t, 0])

m = Crop()
m(torch.randn(1, 2, 10))
`);
    // 10 + (−4) = 6 (truncation would give −3 and 7).
    expect(named(r, "m")?.analysis?.outputs[0]?.shape).toEqual([1, 2, 6]);
  });

  it("`//` of a float tensor keeps its shape; of integer tensors with unknown values says so", () => {
    const r = analyse(`
class Half(nn.Module):
    def forward(self, x):
        return x // 2

class Sizes(nn.Module):
    def forward(self, x):
        n = torch.randint(0, 5, (1,))
        return F.pad(x, [n // 2, 0])

a = Half()
a(torch.randn(3, 4))
b = Sizes()
b(torch.randn(1, 2, 10))
`);
    expect(named(r, "a")?.analysis?.outputs[0]?.shape).toEqual([3, 4]);
    const b = named(r, "b");
    expect(b?.analysis).toBeUndefined();
    expect(b?.error).toMatch(/\/\/ of integer tensors whose values are not known/);
  });

  it("torch.cat of an unknown keeps the unknown's own reason", () => {
    const r = analyse(`
class Cat(nn.Module):
    def forward(self, x):
        y = F.pad(x, [torch.randint(0, 3, (1,)), 0])
        return torch.cat([x, y], dim=1)

m = Cat()
m(torch.randn(1, 2, 10))
`);
    expect(named(r, "m")?.error).toMatch(/pad with non-constant amounts/);
  });
});

describe("torch.autograd.Variable", () => {
  it("is the tensor it wraps: the model gets the batch, the script builds one model, not two", () => {
    const r = analyse(`
from torch.autograd import Variable
import torch.autograd

net = nn.Linear(8, 3)
x = Variable(torch.randn(5, 8), requires_grad=True)
y = torch.autograd.Variable(x)
out = net(y)
`);
    expect(r.classes.filter((c) => c.kind === "instance").map((c) => c.name)).toEqual(["net"]);
    const net = named(r, "net");
    expect(net?.input).toMatchObject({ shape: [5, 8], source: "code" });
    // 8·3 + 3 = 27 params; 5·8·3 = 120 MACs.
    expect(net?.analysis?.outputs[0]?.shape).toEqual([5, 3]);
    expect(net?.analysis?.totals.params).toBe(27);
    expect(net?.analysis?.totals.macs).toBe(120);
  });
});

describe("`is` on True / False and small ints, as CPython answers it", () => {
  const BLOCK = `
class Block(nn.Module):
    def __init__(self, c, batch_norm=False):
        super().__init__()
        layers = [nn.Conv2d(c, c, 3, padding=1)]
        if batch_norm is True:
            layers.append(nn.BatchNorm2d(c))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = []
        for i in range(3):
            blocks.append(Block(4, batch_norm=i is not 0))
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)
`;

  it("`batch_norm is True` with True passed, `i is not 0` in a loop: the BatchNorms are built", () => {
    const m = named(analyse(`${BLOCK}\nnet = Net()\nnet(torch.randn(1, 4, 8, 8))\n`), "net");
    // 3 convs 4·4·3·3 + 4 = 148 each; BatchNorm(4) weight + bias = 8 in blocks 1 and 2 only.
    expect(m?.analysis?.totals.params).toBe(3 * 148 + 2 * 8);
  });

  it("equal ints outside CPython's cache are undecidable, not guessed", () => {
    const r = analyse(`
class Big(nn.Module):
    def __init__(self, n=1000):
        super().__init__()
        self.fc = nn.Linear(4, 2) if n is 1000 else nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)

m = Big()
m(torch.randn(1, 4))
`);
    expect(named(r, "m")?.analysis?.outputs[0]?.shape ?? null).toBeNull();
    expect(JSON.stringify(named(r, "m"))).toMatch(/undecidable comparison/);
  });
});

describe("torch.jit.ScriptModule", () => {
  it("a subclass with @torch.jit.script_method forward is a module like any other", () => {
    const r = analyse(`
class Block(torch.jit.ScriptModule):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    @torch.jit.script_method
    def forward(self, x):
        return self.conv(x) + x

net = nn.Sequential(Block(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
net(torch.randn(3, 4, 6, 6))
`);
    const a = named(r, "net")?.analysis;
    expect(a?.outputs[0]?.shape).toEqual([3, 2]);
    // conv 4·4·3·3 + 4 = 148, linear 144·2 + 2 = 290.
    expect(a?.totals.params).toBe(438);
  });
});

describe("`/` on integer tensors is true division", () => {
  it("torch.tensor([7]) / 2 is a float32 3.5 (4 bytes), not int64 3; `//` stays integer", () => {
    const r = analyse(`
class Half(nn.Module):
    def forward(self, x):
        d = torch.tensor([7]) / 2
        f = torch.tensor([7]) // 2
        return x.view(1, 3, -1) * d, f

m = Half()
m(torch.randn(1, 3, 4, 4))
`);
    const rows = named(r, "m")?.analysis?.layers ?? [];
    const div = rows.find((l) => l.opType === "Div");
    expect(div?.outputs[0]?.dtype).toBe("float32");
    expect(div?.outputs[0]?.shape).toEqual([1]);
    const outs = named(r, "m")?.analysis?.outputs ?? [];
    expect(outs[0]?.dtype).toBe("float32");
    expect(outs[0]?.shape).toEqual([1, 3, 16]);
    expect(outs[1]?.dtype).toBe("int64");
  });
});

describe("dtype methods change the dtype", () => {
  it("x.float(), .half(), .long(), .to(dtype) cast; to a dtype the tensor has, or to a device, it is itself", () => {
    const r = analyse(`
class Idx(nn.Module):
    def forward(self, x):
        i = torch.tensor([[1, 2], [3, 4]]).float()
        h = torch.tensor([[1, 2], [3, 4]]).half()
        t = x.to(torch.float16)
        d = x.to("cpu", torch.float64)
        s = x.to(i)
        n = torch.tensor([1.5]).long()
        return x.float() + 1, i, h, t, d, s, x.to("cpu"), n

m = Idx()
m(torch.randn(1, 4))
`);
    const a = named(r, "m")?.analysis;
    expect(a?.outputs.map((o) => o.dtype)).toEqual([
      ...["float32", "float32", "float16", "float16"],
      ...["float64", "float32", "float32", "int64"],
    ]);
    // i, h, t, d and n are casts; x.float(), x.to(i) (both float32) and x.to("cpu") are x itself.
    expect(a?.layers.filter((l) => l.opType === "Cast")).toHaveLength(5);
  });
});

describe("`is` on equal strings is undecidable (CPython may or may not intern them)", () => {
  it("a branch on `self.mode is 'train'` is not taken as false: the model says it cannot decide", () => {
    const r = analyse(`
class Mode(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if self.mode is "train":
            return self.fc(x)
        return x

m = Mode("train")
m(torch.randn(1, 4))
`);
    const m = named(r, "m");
    expect(m?.analysis).toBeUndefined();
    expect(m?.error).toMatch(/cannot decide/);
  });
});
