#!/usr/bin/python3
"""Receptive fields through channel gates and channel shuffles, measured with PyTorch autograd,
for test/core/rfGates.test.ts. Writes test/fixtures/rfgates/{se_cnn,shuffle_cnn}.onnx and
expected.json.

    /usr/bin/python3 tools/make_rfgate_refs.py

Two small networks (torch 1.13, ONNX opset 13, input 1x3x32x32, one graph output per point
measured):

- se_cnn: three squeeze-and-excitation gates as EfficientNet / MobileNetV3 / RegNetY write them:
  global pool -> Linear -> ReLU -> Linear -> sigmoid -> view(N, C, 1, 1); global pool -> 1x1 conv
  -> ReLU -> 1x1 conv -> hard-sigmoid; mean over (H, W) -> 1x1 convs -> sigmoid -> expand_as(x).
  Each multiplies the main path. Plus `attn`: x times a softmax over all positions reshaped to
  the full map, a global operand of full spatial extent (not a gate).
- shuffle_cnn: two ShuffleNetV2 stride-1 units (chunk in two, one half through 1x1 conv,
  depthwise 3x3, 1x1 conv, concat, channel shuffle with view / transpose / view).

What "local field with global context" means, and how it is measured: a gate's gradient reaches
every input pixel through the pooled path, so the full field of any unit after a gate is the
whole input. The gate only rescales channels: it is the same for every position. The local
field is the region the unit reads through the main path, measured with the gate's output
detached (its path carries no gradient). That is the number ConvLens reports after a gate, with
its global-context flag; `full` below records that without detaching the field is the whole input.

Measurement as in tools/rf_probe.py and the shared fixtures README: conv and linear weights set to
positive constants (1 / fan-in), biases 0, a positive float64 input; every derivative on the main
path is then positive (ReLU of positive values, a positive gate factor), so the gradient's support
is the region. A unit near the centre of a 96x96 input and the next two along the diagonal give
size, stride and start of unit 0 per axis (start = a(m) - m * stride). Per output: `channels`
(output channel -> field of that channel, gates detached), `union` (all channels: the gradient of
their sum) and `full` ("global" when, gates not detached, the gradient of channel 0's unit
covers the whole input).
"""
import json
import re
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "rfgates"
SIZE = 96


class SEFc(nn.Module):
    """Squeeze-and-excitation with Linear layers (SENet, RegNetY)."""

    def __init__(self, c, r):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, c // r), nn.Linear(c // r, c)

    def forward(self, x):
        n, c = x.shape[0], x.shape[1]
        s = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(s)))).view(n, c, 1, 1)


class SEConv(nn.Module):
    """Squeeze-and-excitation with 1x1 convolutions and a hard sigmoid (MobileNetV3)."""

    def __init__(self, c, r):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, c // r, 1), nn.Conv2d(c // r, c, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return F.hardsigmoid(self.fc2(F.relu(self.fc1(self.pool(x)))))


class SEMean(SEConv):
    """Mean over the spatial axes, sigmoid, then expand_as (EfficientNet-style code)."""

    def forward(self, x):
        return torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True))))).expand_as(x)


class SECnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 2, 1)
        self.conv1 = nn.Conv2d(8, 8, 3, 1, 1)
        self.se1 = SEFc(8, 2)
        self.conv2 = nn.Conv2d(8, 16, 3, 2, 1)
        self.se2 = SEConv(16, 4)
        self.conv3 = nn.Conv2d(16, 16, 3, 1, 1)
        self.se3 = SEMean(16, 4)
        self.head = nn.Conv2d(16, 16, 3, 1, 1)
        self.detach = False

    def gate(self, se, x):
        s = se(x)
        return x * (s.detach() if self.detach else s)

    def forward(self, x):
        x = F.relu(self.conv1(F.relu(self.stem(x))))
        pre = x
        g1 = self.gate(self.se1, x)
        g2 = self.gate(self.se2, F.relu(self.conv2(g1)))
        g3 = self.gate(self.se3, F.relu(self.conv3(g2)))
        out = self.head(g3)
        n, c, h, w = g3.shape
        # Not a gate: a different global value at every position (softmax over all of them).
        attn = g3 * torch.softmax(g3.reshape(n, c, h * w), -1).reshape(n, c, h, w)
        return pre, g1, g2, g3, out, attn


SE_OUTPUTS = ["pre_gate", "gated1", "gated2", "gated3", "out", "attn"]


def shuffle(x, g):
    n, c, h, w = x.shape
    return x.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit, stride 1."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.pw1, self.dw, self.pw2 = nn.Conv2d(h, h, 1), nn.Conv2d(h, h, 3, 1, 1, groups=h), nn.Conv2d(h, h, 1)

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        b = F.relu(self.pw2(self.dw(F.relu(self.pw1(x2)))))
        return shuffle(torch.cat((x1, b), 1), 2)


class ShuffleCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 1, 1)
        self.unit1, self.unit2 = ShuffleUnit(8), ShuffleUnit(8)
        self.head = nn.Conv2d(8, 8, 1)
        self.detach = False

    def forward(self, x):
        s1 = self.unit1(F.relu(self.stem(x)))
        s2 = self.unit2(s1)
        return s1, s2, self.head(s2)


SHUFFLE_OUTPUTS = ["shuffled1", "shuffled2", "out"]


def positive_weights(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            with torch.no_grad():
                m.weight.fill_(1.0 / m.weight[0].numel())
                m.bias.zero_()


def extent(mask):
    idx = mask.nonzero().flatten()
    return int(idx.min()), int(idx.max())


def support(model, x, out, channels, i, j):
    """Rows and columns [first, last] of the input that reach units (channels, i, j) of output `out`."""
    y = model(x)[out]
    (g,) = torch.autograd.grad(y[0, channels, i, j].sum(), x)
    g = g[0].abs().sum(0)
    return extent(g.sum(1) > 0), extent(g.sum(0) > 0)


def field(model, out, channels):
    """{size, stride, start} per axis of unit 0 of the given channels, or "global" when the
    centre unit's region is the whole input."""
    x = (0.5 + torch.rand(1, 3, SIZE, SIZE, dtype=torch.float64)).requires_grad_()
    h, w = model(x)[out].shape[2:]
    m = (h // 2, w // 2)
    regions = [support(model, x, out, channels, m[0] + d, m[1] + d) for d in range(3)]
    if regions[0] == ((0, SIZE - 1), (0, SIZE - 1)):
        return "global"
    res = {"size": [], "stride": [], "start": []}
    for axis in range(2):
        a0, a1, a2 = (r[axis] for r in regions)
        assert a0[0] > 0 and a2[1] < SIZE - 1, "region reaches the border: enlarge SIZE"
        stride = a1[0] - a0[0]
        assert a2[0] - a1[0] == stride and a1[1] - a1[0] == a0[1] - a0[0], "not period 1"
        res["size"].append(a0[1] - a0[0] + 1)
        res["stride"].append(stride)
        res["start"].append(a0[0] - m[axis] * stride)
    return res


def measure(model, names, per_channel):
    model.double().eval()
    positive_weights(model)
    result = {}
    for k, name in enumerate(names):
        model.detach = False
        full = field(model, k, [0])
        model.detach = True
        c = model(torch.ones(1, 3, SIZE, SIZE, dtype=torch.float64))[k].shape[1]
        result[name] = {
            "channels": {str(ch): field(model, k, [ch]) for ch in per_channel},
            "union": field(model, k, list(range(c))),
            "full": full,
        }
    model.detach = False
    return result


def export(model, names, path):
    model.float().eval()
    torch.manual_seed(0)
    for p in model.parameters():
        with torch.no_grad():
            p.uniform_(-0.5, 0.5)
    x = torch.rand(1, 3, 32, 32)
    torch.onnx.export(model, x, str(path), input_names=["input"], output_names=names, opset_version=13, do_constant_folding=True)


def main():
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, model, outputs in (("se_cnn", SECnn(), SE_OUTPUTS), ("shuffle_cnn", ShuffleCnn(), SHUFFLE_OUTPUTS)):
        expected[name] = {
            "onnx": f"{name}.onnx",
            "input_shape": [1, 3, 32, 32],
            "outputs": measure(model, outputs, [0, 1]),
        }
        export(model, outputs, OUT / f"{name}.onnx")
    text = json.dumps(expected, indent=1)
    # Lists of numbers, and each field, on one line.
    text = re.sub(r"\[([^\[\]{}]*)\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    text = re.sub(r"\{\s*(\"size\"[^{}]*?)\s*\}", lambda m: "{" + re.sub(r",\s+", ", ", m.group(1)) + "}", text)
    (OUT / "expected.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
