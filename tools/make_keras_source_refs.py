#!/usr/bin/python3
"""Ground truth for Keras models written in Python source (test/fixtures/python/keras_vgg.py,
keras_resnet.py), without TensorFlow or Keras: each model is written again here with
PyTorch ops on channels-last tensors (batch 1 for Keras's None), layer by layer as the
fixture builds it, with Keras's default layer names (class name in snake case, _1, _2, …
in creation order). Writes <stem>.expected.json beside the fixture: every layer's name,
class, output shape, parameter count, MACs and receptive field.

Keras semantics written into the PyTorch build:
  - padding="same" is TensorFlow's: the output keeps ⌈n/stride⌉ and the total padding
    max((⌈n/s⌉−1)·s + k − n, 0) is split floor(total/2) before, the rest after, so an
    even kernel, or an odd one striding over an even size (the 7×7/2 stem, the 3×3/2
    block convolutions, the 3×3/2 and 2×2 max pools here), pads one more at the end;
    "valid" pads nothing and floors. Max pooling pads with −∞.
  - Parameter counts are Keras's model.summary() totals: BatchNormalization counts
    gamma, beta and the moving mean and variance (4 per channel), not only PyTorch's 2.
  - MACs follow ConvLens's op table: convolutions output·(cin/groups)·kernel, Dense
    output·fan_in, everything else 0.
  - Receptive fields (rf: size, stride, start of unit 0 on the two spatial axes) are
    measured by autograd on a one-channel probe (tools/rf_probe.py) that pads as above;
    null after Flatten, Dense and global pooling.

    /usr/bin/python3 tools/make_keras_source_refs.py   # Debian's python3-torch
"""
import json
import math
import pathlib
import re

import torch
import torch.nn.functional as F

from rf_probe import ProbeTooSmall, conv as probe_window, probe_input, receptive_field

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "python"

torch.manual_seed(0)


def same_pads(n, k, s):
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def nhwc(fn, x):
    return fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class Value:
    """A Keras tensor: the real channels-last tensor and its one-channel probe (None when not spatial)."""

    def __init__(self, t, probe):
        self.t, self.probe = t, probe


class Model:
    def __init__(self, name, input_shape, probe_size):
        self.name, self.input_shape = name, [1, *input_shape]
        self.rows, self.counts, self.seen = [], {}, {}
        self.x = probe_input(probe_size)
        self.input = Value(torch.rand(self.input_shape), self.x)

    def record(self, cls, y, params=0, macs=0):
        base = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", cls)).lower()
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        rf = None
        if y.probe is not None:
            if id(y.probe) not in self.seen:
                self.seen[id(y.probe)] = receptive_field(self.x, y.probe)
            rf = self.seen[id(y.probe)]
        self.rows.append({"name": base if n == 0 else f"{base}_{n}", "type": cls, "output_shape": list(y.t.shape), "params": params, "macs": macs, "rf": rf})
        return y

    # ---- layers (Keras 3 defaults)

    def conv2d(self, v, filters, k, strides=1, padding="valid", activation=None, use_bias=True):
        x = v.t
        h, w = x.shape[1], x.shape[2]
        pads = (*same_pads(h, k, strides), *same_pads(w, k, strides)) if padding == "same" else (0, 0, 0, 0)
        m = torch.nn.Conv2d(x.shape[-1], filters, k, strides, bias=use_bias)
        y = nhwc(lambda t: m(F.pad(t, (pads[2], pads[3], pads[0], pads[1]))), x)
        if activation == "relu":
            y = F.relu(y)
        p = probe_window(v.probe, (k, k), (strides, strides), pads)
        return self.record("Conv2D", Value(y, p), sum(q.numel() for q in m.parameters()), y.numel() * x.shape[-1] * k * k)

    def max_pooling2d(self, v, pool=2, strides=None, padding="valid"):
        x, s = v.t, strides or pool
        h, w = x.shape[1], x.shape[2]
        pads = (*same_pads(h, pool, s), *same_pads(w, pool, s)) if padding == "same" else (0, 0, 0, 0)
        y = nhwc(lambda t: F.max_pool2d(F.pad(t, (pads[2], pads[3], pads[0], pads[1]), value=-math.inf), pool, s), x)
        return self.record("MaxPooling2D", Value(y, probe_window(v.probe, (pool, pool), (s, s), pads)))

    def batch_normalization(self, v):
        c = v.t.shape[-1]
        bn = torch.nn.BatchNorm2d(c).eval()
        y = nhwc(bn, v.t)
        return self.record("BatchNormalization", Value(y, v.probe), sum(q.numel() for q in bn.parameters()) + 2 * c)

    def activation(self, v, name):
        return self.record("Activation", Value({"relu": F.relu}[name](v.t), v.probe))

    def add(self, vs):
        return self.record("Add", Value(sum(v.t for v in vs), sum(v.probe for v in vs)))

    def flatten(self, v):
        return self.record("Flatten", Value(v.t.reshape(1, -1), None))

    def global_average_pooling2d(self, v):
        return self.record("GlobalAveragePooling2D", Value(v.t.mean(dim=(1, 2)), None))

    def dropout(self, v):
        return self.record("Dropout", Value(v.t, v.probe))

    def dense(self, v, units, activation=None):
        m = torch.nn.Linear(v.t.shape[-1], units)
        y = m(v.t)
        y = {None: lambda t: t, "relu": F.relu, "softmax": lambda t: torch.softmax(t, -1)}[activation](y)
        return self.record("Dense", Value(y, None), sum(q.numel() for q in m.parameters()), y.numel() * v.t.shape[-1])

    def result(self):
        return {"model": self.name, "input_shape": self.input_shape, "totals": {"params": sum(r["params"] for r in self.rows), "macs": sum(r["macs"] for r in self.rows)}, "layers": self.rows}


def keras_vgg(size):
    """test/fixtures/python/keras_vgg.py"""
    m = Model("vgg_style", (28, 28, 1), size)
    x = m.input
    for filters, pool_padding in ((32, "valid"), (64, "valid"), (128, "same")):
        x = m.conv2d(x, filters, 3, padding="same", activation="relu")
        x = m.conv2d(x, filters, 3, padding="same", activation="relu")
        x = m.max_pooling2d(x, 2, padding=pool_padding)
    x = m.flatten(x)
    x = m.dense(x, 256, "relu")
    x = m.dropout(x)
    m.dense(x, 10, "softmax")
    return m.result()


def keras_resnet(size):
    """test/fixtures/python/keras_resnet.py"""
    m = Model("resnet_style", (64, 64, 3), size)

    def residual_block(x, filters, stride=1, project=False):
        y = m.conv2d(x, filters, 3, strides=stride, padding="same", use_bias=False)
        y = m.batch_normalization(y)
        y = m.activation(y, "relu")
        y = m.conv2d(y, filters, 3, padding="same", use_bias=False)
        y = m.batch_normalization(y)
        shortcut = x
        if project:
            shortcut = m.conv2d(x, filters, 1, strides=stride, use_bias=False)
            shortcut = m.batch_normalization(shortcut)
        y = m.add([shortcut, y])
        return m.activation(y, "relu")

    x = m.conv2d(m.input, 32, 7, strides=2, padding="same", use_bias=False)
    x = m.batch_normalization(x)
    x = m.activation(x, "relu")
    x = m.max_pooling2d(x, 3, strides=2, padding="same")
    x = residual_block(x, 32)
    x = residual_block(x, 64, stride=2, project=True)
    x = residual_block(x, 128, stride=2, project=True)
    x = m.global_average_pooling2d(x)
    m.dense(x, 10, "softmax")
    return m.result()


if __name__ == "__main__":
    for build in (keras_vgg, keras_resnet):
        size = 256
        while True:
            try:
                ref = build(size)
                break
            except ProbeTooSmall:
                size *= 2
        ref = {"source": f"tools/make_keras_source_refs.py: test/fixtures/python/{build.__name__}.py written again with PyTorch ops (channels-last); Keras parameter counts", **ref}
        (ROOT / f"{build.__name__}.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
        print(build.__name__, ref["totals"])
