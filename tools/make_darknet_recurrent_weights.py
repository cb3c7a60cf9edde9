#!/usr/bin/python3
"""Reference for loading Darknet .weights into recurrent sections: writes random tensors for
test/fixtures/darknet/recurrent-weights.cfg in the order AlexeyAB's load_weights_upto (parser.c)
reads them — [rnn] input, self, output connected layers; [crnn] input, self, output convolutions;
[conv_lstm] vf, vi, vo (peephole), wf, wi, wg, wo, uf, ui, ug, uo; a convolution's biases,
(scales, rolling mean, rolling variance), weights; a connected layer's biases, weights, then the
batch norm's three — and PyTorch's output for a fixed input: tools/darknet_recurrent.py, Darknet's
C code written out, one step from the zero state.

    /usr/bin/python3 tools/make_darknet_recurrent_weights.py
"""
import json
import struct

import torch
import torch.nn.functional as F

import darknet_recurrent as rec
from make_darknet_refs import ROOT, act, parse

FILE_ORDER = {
    "rnn": [0, 1, 2],
    "crnn": [0, 1, 2],
    # Built uf, ui, ug, uo, wf, wi, wg, wo (, vf, vi, vo); the file holds the peephole layers first.
    "conv_lstm": lambda n: ([8, 9, 10] if n == 11 else []) + [4, 5, 6, 7, 0, 1, 2, 3],
}

torch.manual_seed(0)
cfg = ROOT / "recurrent-weights.cfg"
sections = parse(cfg.read_text())
net = sections[0][1]
c, h, w = int(net["channels"]), int(net["height"]), int(net["width"])
x = torch.linspace(-1, 1, c * h * w).reshape(1, c, h, w)
blobs = []
with torch.no_grad():
    for kind, o in sections[1:]:
        made = len(rec.MADE)
        if kind == "convolutional":
            layer = rec.Conv(x.shape[1], int(o["filters"]), int(o["size"]), 1, int(o["size"]) // 2, 1, 1,
                             o.get("activation", "logistic"), o.get("batch_normalize") == "1")
            y = layer(x)
        elif kind == "connected":
            layer = rec.Connected(x.numel(), int(o["output"]), o.get("activation", "logistic"), o.get("batch_normalize") == "1")
            y = layer(x.reshape(1, -1))
        elif kind in ("rnn", "gru", "lstm"):
            y, _, _ = rec.connected_recurrent(kind, x, o)
        elif kind == "crnn":
            y, _, _ = rec.crnn(x, o)
        elif kind == "conv_lstm":
            y, _, _ = rec.conv_lstm(x, o)
        elif kind == "history":
            y, _, _ = rec.history(x, o)
        elif kind == "softmax":
            y = F.softmax(x, 1)
        else:
            raise ValueError(kind)
        inner = rec.MADE[made:]
        order = FILE_ORDER.get(kind, list(range(len(inner))))
        order = order(len(inner)) if callable(order) else order
        assert sorted(order) == list(range(len(inner))), kind
        blobs += [t for i in order for t in inner[i].blobs()]
        x = y
header = struct.pack("<iiiq", 0, 2, 5, 0)
(ROOT / "recurrent-weights.weights").write_bytes(header + b"".join(t.detach().contiguous().numpy().astype("<f4").tobytes() for t in blobs))
(ROOT / "recurrent-weights.weights.output.json").write_text(
    json.dumps({"input": f"linspace(-1, 1) as 1x{c}x{h}x{w}", "output": x.flatten().tolist()}) + "\n")
print("wrote recurrent-weights.weights:", sum(t.numel() for t in blobs), "floats; output", [round(v, 4) for v in x.flatten().tolist()])
