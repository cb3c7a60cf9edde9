#!/usr/bin/python3
"""Reference for AlexeyAB's weighted [shortcut] (weights_type=per_feature / per_layer / per_channel,
weights_normalization=none / relu / softmax): test/fixtures/darknet/weighted-shortcut.cfg with random
tensors written as load_weights_upto reads them (a convolution's biases then weights; a shortcut's
nweights = (n + 1) or (n + 1) * channels floats after the layer's place), and the output for a fixed
input, the shortcut computed by shortcut_multilayer_cpu (blas.c) written out element by element:
    out[id] = in[id] * w(0) + sum over from layers i with src_i < their outputs: add_i[src_i] * w(i + 1)
    w(k) = weights[src_i / step + k * layer_step], layer_step = nweights / (n + 1), step = outputs / layer_step
    relu: relu(w) / (0.0001 + sum_k relu(w_k)); softmax: exp(w - max) / (0.0001 + sum_k exp(w_k - max)).

    /usr/bin/python3 tools/make_darknet_weighted_shortcut.py
"""
import json
import math
import struct

import torch
import torch.nn.functional as F

from make_darknet_refs import ROOT, act, parse

torch.manual_seed(0)
cfg = ROOT / "weighted-shortcut.cfg"
sections = parse(cfg.read_text())
net = sections[0][1]
c, h, w = int(net["channels"]), int(net["height"]), int(net["width"])
x = torch.linspace(-1, 1, c * h * w).reshape(1, c, h, w)
outs, blobs, layers = [], [], []


def shortcut_multilayer(inp, adds, weights, normalization):
    src = inp.flatten().tolist()
    add_flat = [a.flatten().tolist() for a in adds]
    n = len(adds)
    nweights = len(weights)
    layer_step = nweights // (n + 1)
    step = len(src) // layer_step
    out = []
    for src_i, v in enumerate(src):
        ws = [weights[src_i // step + k * layer_step] for k in range(n + 1)]
        if normalization == "relu":
            s = 0.0001 + sum(max(u, 0.0) for u in ws)
            ws = [max(u, 0.0) / s for u in ws]
        elif normalization == "softmax":
            m = max(ws)
            s = 0.0001 + sum(math.exp(u - m) for u in ws)
            ws = [math.exp(u - m) / s for u in ws]
        y = v * ws[0]
        for i, a in enumerate(add_flat):
            if src_i < len(a):
                y += a[src_i] * ws[i + 1]
        out.append(y)
    return torch.tensor(out, dtype=torch.float64).reshape(inp.shape)


with torch.no_grad():
    for i, (kind, o) in enumerate(sections[1:]):
        if kind == "convolutional":
            size, filters = int(o["size"]), int(o["filters"])
            pad = size // 2 if o.get("pad") == "1" else 0
            wt = torch.randn(filters, x.shape[1], size, size) * 0.5
            b = torch.randn(filters) * 0.1
            blobs += [b, wt]
            y = act(F.conv2d(x.double(), wt.double(), b.double(), padding=pad), o.get("activation", "logistic"))
            params, macs = b.numel() + wt.numel(), y.numel() * x.shape[1] * size * size
        elif kind == "shortcut":
            froms = [int(v) for v in o["from"].split(",")]
            froms = [i + v if v < 0 else v for v in froms]
            per = {"per_feature": 1, "per_layer": 1, "per_channel": x.shape[1]}[o["weights_type"]]
            weights = torch.randn((len(froms) + 1) * per)
            blobs.append(weights)
            y = shortcut_multilayer(x, [outs[j] for j in froms], weights.tolist(), o.get("weights_normalization", "none"))
            y = act(y, o.get("activation", "linear"))
            params, macs = weights.numel(), 0
        else:
            raise ValueError(kind)
        outs.append(y)
        layers.append({"name": str(i), "type": kind, "output_shape": list(y.shape), "params": params, "macs": macs})
        x = y
header = struct.pack("<iiiq", 0, 2, 5, 0)
(ROOT / "weighted-shortcut.weights").write_bytes(header + b"".join(t.contiguous().numpy().astype("<f4").tobytes() for t in blobs))
(ROOT / "weighted-shortcut.weights.output.json").write_text(
    json.dumps({"input": f"linspace(-1, 1) as 1x{c}x{h}x{w}", "output": [round(v, 7) for v in x.flatten().tolist()]}) + "\n")
(ROOT / "weighted-shortcut.expected.json").write_text(json.dumps({
    "model": "weighted-shortcut", "input_shape": [1, c, h, w],
    "totals": {"params": sum(l["params"] for l in layers), "macs": sum(l["macs"] for l in layers)},
    "layers": layers}, indent=1) + "\n")
print("wrote weighted-shortcut.weights:", sum(t.numel() for t in blobs), "floats; output", [round(v, 4) for v in x.flatten().tolist()[:6]])
