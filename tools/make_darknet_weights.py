#!/usr/bin/python3
"""Reference for loading Darknet .weights: writes random weights for
test/fixtures/darknet/weights-net.cfg in Darknet's file order and PyTorch's output
for a fixed input with those weights (the same network as tools/make_darknet_refs.py
builds, here with BatchNorm in inference form).

    /usr/bin/python3 tools/make_darknet_weights.py
"""
import json
import math
import pathlib
import struct

import torch
import torch.nn.functional as F

from make_darknet_refs import ROOT, act, darknet_reorg, darknet_shortcut, parse

torch.manual_seed(0)
cfg = ROOT / "weights-net.cfg"
sections = parse(cfg.read_text())
net = sections[0][1]
c, h, w = int(net["channels"]), int(net["height"]), int(net["width"])
x = torch.linspace(0, 1, c * h * w).reshape(1, c, h, w)
blobs, outs = [], []
for i, (kind, o) in enumerate(sections[1:]):
    if kind == "convolutional":
        f, size, stride, groups = int(o.get("filters", 1)), int(o.get("size", 1)), int(o.get("stride", 1)), int(o.get("groups", 1))
        pad = size // 2 if int(o.get("pad", 0)) else 0
        bias = torch.randn(f) * 0.1
        weight = torch.randn(f, x.shape[1] // groups, size, size) * (2 / (x.shape[1] // groups * size * size)) ** 0.5
        blobs.append(bias)
        y = F.conv2d(x, weight, None if o.get("batch_normalize") == "1" else bias, stride, pad, 1, groups)
        if o.get("batch_normalize") == "1":
            scales, mean, var = torch.rand(f) + 0.5, torch.randn(f) * 0.1, torch.rand(f) + 0.5
            blobs += [scales, mean, var]
            y = F.batch_norm(y, mean, var, scales, bias, False, 0.0, 1e-5)
        blobs.append(weight)
        y = act(y, o.get("activation", "linear"))
    elif kind == "maxpool":
        size = int(o.get("size", 1)); stride = int(o.get("stride", size)); padding = int(o.get("padding", size - 1)); b = padding // 2
        y = F.max_pool2d(F.pad(x, (b, padding - b, b, padding - b), value=-math.inf), size, stride)
    elif kind == "shortcut":
        r = int(o.get("from", -3)); y = act(darknet_shortcut(outs[r if r >= 0 else i + r], x), o.get("activation", "linear"))
    elif kind == "upsample":
        y = F.interpolate(x, scale_factor=int(o.get("stride", 2)), mode="nearest")
    elif kind == "route":
        refs = [int(v) for v in o["layers"].split(",")]
        y = torch.cat([outs[r if r >= 0 else i + r] for r in refs], 1)
        g = int(o.get("groups", 1))
        if g > 1:
            part = y.shape[1] // g; gid = int(o.get("group_id", 0)); y = y[:, gid * part:(gid + 1) * part]
    elif kind == "reorg":
        y = darknet_reorg(x, int(o.get("stride", 2)))
    elif kind == "connected":
        n = int(o["output"])
        bias, weight = torch.randn(n) * 0.1, torch.randn(n, x.numel()) * (1 / x.numel()) ** 0.5
        blobs += [bias, weight]
        y = act(F.linear(x.flatten(1), weight, bias), o.get("activation", "linear"))
    elif kind == "softmax":
        y = F.softmax(x, 1)
    else:
        raise ValueError(kind)
    outs.append(y)
    x = y
header = struct.pack("<iiiq", 0, 2, 0, 0)
(ROOT / "weights-net.weights").write_bytes(header + b"".join(t.contiguous().numpy().astype("<f4").tobytes() for t in blobs))
(ROOT / "weights-net.weights.output.json").write_text(json.dumps({"input": "linspace(0, 1) as 1x3x32x32", "output": x[0].tolist()}) + "\n")
print("wrote weights-net.weights:", sum(t.numel() for t in blobs), "floats; output", [round(v, 4) for v in x[0].tolist()])
