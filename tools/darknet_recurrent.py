"""Darknet's recurrent sections written out in PyTorch from its C code, for make_darknet_refs.py:
one step of one sequence (Darknet's per-row view, as its load-time BFLOPs column counts), the
state starting at zero as Darknet's does.

  [rnn]  rnn_layer.c: input_layer (inputs→hidden), self_layer (hidden→hidden), output_layer
         (hidden→output), all connected with the section's activation; per step
         state = (state if shortcut else 0) + input_layer(x) + self_layer(state_before),
         output = output_layer(state). pjreddie's make_rnn_layer sizes hidden by output= and
         ignores hidden=; AlexeyAB's reads hidden= (default 1): only hidden == output is built.
  [gru]  gru_layer.c: six linear connected layers; z = σ(uz x + wz h), r = σ(ur x + wr h),
         h̃ = tanh(uh x + wh (r∘h)), output = z∘h + (1−z)∘h̃ (weighted_sum_cpu).
  [lstm] lstm_layer.c: eight linear connected layers; f, i, o = σ(w· h + u· x), g = tanh(wg h + ug x),
         c = f∘c + i∘g, output = o∘tanh(c).
  [crnn] crnn_layer.c: the [rnn] recurrence with three convolutions (input c→hidden, self
         hidden→hidden, output hidden→output). pjreddie's parse_crnn reads output_filters= and
         hidden_filters= and builds 3×3 / 1, pad 1; AlexeyAB's reads output=, hidden=, size=, stride=,
         pad= / padding=, dilation=, groups=.

A connected layer (make_connected_layer) holds weights [outputs, inputs] and biases; with
batch_normalize also scales (learned) and rolling mean / variance (not learned); at test time its
output is x·Wᵀ, then batch norm with the biases as its shift (or the biases), then the activation.
Its cost is one inputs × outputs gemm per row. A convolution costs nweights · out_h · out_w.
"""
import torch
import torch.nn.functional as F


def _act(x, name):
    return {
        "leaky": lambda t: F.leaky_relu(t, 0.1),
        "relu": F.relu,
        "logistic": torch.sigmoid,
        "tanh": torch.tanh,
        "linear": lambda t: t,
    }[name](x)


MADE = []
"""Every inner layer built, in order: tools/make_darknet_recurrent_weights.py writes their tensors."""


def _norm(bn, biases):
    """A batch norm with Darknet's tensors: the layer's biases as its shift, random scales and statistics."""
    n = biases.numel()
    bn.bias.data = biases
    bn.weight.data = torch.rand(n) + 0.5
    bn.running_mean.data = torch.randn(n) * 0.1
    bn.running_var.data = torch.rand(n) + 0.5
    return bn


class Connected:
    def __init__(self, inputs, outputs, activation, bn):
        self.weights = torch.rand(outputs, inputs) - 0.5
        self.biases = torch.rand(outputs)
        self.bn = _norm(torch.nn.BatchNorm1d(outputs).eval(), self.biases) if bn else None
        self.activation = activation
        self.params = inputs * outputs + outputs + (outputs if bn else 0)
        self.macs = inputs * outputs
        MADE.append(self)

    def blobs(self):
        """load_connected_weights: biases, weights, then scales, rolling mean, rolling variance."""
        norm = [self.bn.weight, self.bn.running_mean, self.bn.running_var] if self.bn is not None else []
        return [self.biases, self.weights] + norm

    def __call__(self, x):
        y = x @ self.weights.T
        y = self.bn(y) if self.bn is not None else y + self.biases
        return _act(y, self.activation)


class Conv:
    def __init__(self, c, n, size, stride, padding, dilation, groups, activation, bn):
        self.conv = torch.nn.Conv2d(c, n, size, stride, padding, dilation, groups, bias=not bn)
        self.bn = _norm(torch.nn.BatchNorm2d(n).eval(), torch.rand(n) - 0.5) if bn else None
        self.activation = activation
        self.params = sum(p.numel() for p in self.conv.parameters()) + (2 * n if bn else 0)
        self.nweights = self.conv.weight.numel()
        MADE.append(self)

    def blobs(self):
        """load_convolutional_weights: biases, (scales, rolling mean, rolling variance), weights."""
        if self.bn is None:
            return [self.conv.bias, self.conv.weight]
        return [self.bn.bias, self.bn.weight, self.bn.running_mean, self.bn.running_var, self.conv.weight]

    def __call__(self, x):
        y = self.conv(x)
        if self.bn is not None:
            y = self.bn(y)
        self.macs = self.nweights * y.shape[2] * y.shape[3]
        return _act(y, self.activation)


def _int(o, key, default):
    return int(o.get(key, default))


def connected_recurrent(kind, x, o):
    """[rnn], [gru] or [lstm] over one row x [1, …]: (output, params, macs)."""
    x = x.reshape(1, -1)
    inputs, out, bn = x.shape[1], _int(o, "output", 1), _int(o, "batch_normalize", 0) == 1
    if kind == "rnn":
        hidden = _int(o, "hidden", 1)
        assert hidden == out, "pjreddie and AlexeyAB build different [rnn]s"
        act = o.get("activation", "logistic")
        log = _int(o, "logistic", 0)
        self_act = "logistic" if log == 1 else act
        layers = [Connected(inputs, hidden, act, bn), Connected(hidden, hidden, self_act, bn), Connected(hidden, out, act, bn)]
        state = torch.zeros(1, hidden)
        new = (state if _int(o, "shortcut", 0) else 0) + layers[0](x) + layers[1](state)
        y = layers[2](new)
    elif kind == "gru":
        uz, wz, ur, wr, uh, wh = layers = [Connected(inputs if k % 2 == 0 else out, out, "linear", bn) for k in range(6)]
        h = torch.zeros(1, out)
        z = torch.sigmoid(uz(x) + wz(h))
        r = torch.sigmoid(ur(x) + wr(h))
        hh = torch.tanh(uh(x) + wh(r * h))
        y = z * h + (1 - z) * hh
    else:
        uf, ui, ug, uo = (Connected(inputs, out, "linear", bn) for _ in range(4))
        wf, wi, wg, wo = (Connected(out, out, "linear", bn) for _ in range(4))
        layers = [uf, ui, ug, uo, wf, wi, wg, wo]
        h, c = torch.zeros(1, out), torch.zeros(1, out)
        f, i = torch.sigmoid(wf(h) + uf(x)), torch.sigmoid(wi(h) + ui(x))
        g, og = torch.tanh(wg(h) + ug(x)), torch.sigmoid(wo(h) + uo(x))
        c = f * c + i * g
        y = og * torch.tanh(c)
    return y, sum(l.params for l in layers), sum(l.macs for l in layers)


def crnn(x, o):
    """[crnn] over one row x [1, C, H, W] (a vector becomes 1 × 1 where Darknet says so): (output, params, macs)."""
    if x.dim() == 2:
        x = x.reshape(1, -1, 1, 1)
    if "output_filters" in o or "hidden_filters" in o:
        hidden, out = _int(o, "hidden_filters", 1), _int(o, "output_filters", 1)
        size, stride, padding, dilation, groups = 3, 1, 1, 1, 1
    else:
        hidden, out = _int(o, "hidden", 1), _int(o, "output", 1)
        size, stride, dilation, groups = _int(o, "size", 3), _int(o, "stride", 1), _int(o, "dilation", 1), _int(o, "groups", 1)
        padding = size // 2 if _int(o, "pad", 0) else _int(o, "padding", 0)
    act, bn = o.get("activation", "logistic"), _int(o, "batch_normalize", 0) == 1
    conv = lambda c, n: Conv(c, n, size, stride, padding, dilation, groups, act, bn)  # noqa: E731
    layers = [conv(x.shape[1], hidden), conv(hidden, hidden), conv(hidden, out)]
    state = torch.zeros(1, hidden, x.shape[2], x.shape[3])
    new = (state if _int(o, "shortcut", 0) else 0) + layers[0](x) + layers[1](state)
    assert new.shape == state.shape, "crnn_layer.c asserts the state keeps its size"
    y = layers[2](new)
    return y, sum(l.params for l in layers), sum(l.macs for l in layers)


def conv_lstm(x, o):
    """[conv_lstm] (AlexeyAB: parse_conv_lstm, make_conv_lstm_layer, forward_conv_lstm_layer) over one
    row x [1, C, H, W] (a [connected]'s vector is 1 × 1): (output, params, macs). Every inner layer is a convolution with the section's
    size=, stride=, dilation=, pad= / padding=, groups=, activation= (default linear) and
    batch_normalize=: uf, ui, ug, uo read the input (C → output), wf, wi, wg, wo the state h (output →
    output), and with peephole=1 vf, vi, vo the cell c. One step from h = c = 0:
        f = σ(wf h + uf x + vf c), i = σ(wi h + ui x + vi c), g = tanh(wg h + ug x),
        c' = f∘c + i∘g, o = σ(wo h + uo x + vo c'), output = o∘tanh(c').
    Darknet's load-time BFLOPs is every inner convolution's 2·nweights·out_h·out_w plus 12·outputs
    (peephole) or 9·outputs for the element-wise gates; the MACs here are half of it."""
    if x.dim() == 2:
        x = x.reshape(1, -1, 1, 1)
    hidden = _int(o, "output", 1)
    size, stride, dilation, groups = _int(o, "size", 3), _int(o, "stride", 1), _int(o, "dilation", 1), _int(o, "groups", 1)
    padding = size // 2 if _int(o, "pad", 0) else _int(o, "padding", 0)
    act, bn, peephole = o.get("activation", "linear"), _int(o, "batch_normalize", 0) == 1, _int(o, "peephole", 0) == 1
    conv = lambda c: Conv(c, hidden, size, stride, padding, dilation, groups, act, bn)  # noqa: E731
    uf, ui, ug, uo = (conv(x.shape[1]) for _ in range(4))
    wf, wi, wg, wo = (conv(hidden) for _ in range(4))
    vf, vi, vo = (conv(hidden) for _ in range(3)) if peephole else (None, None, None)
    h = torch.zeros(1, hidden, x.shape[2], x.shape[3])
    c = torch.zeros_like(h)
    f = wf(h) + uf(x) + (vf(c) if peephole else 0)
    i = wi(h) + ui(x) + (vi(c) if peephole else 0)
    g = torch.tanh(wg(h) + ug(x))
    f, i = torch.sigmoid(f), torch.sigmoid(i)
    assert f.shape == h.shape, "the state convolutions read an h × w × output state"
    c = f * c + i * g
    og = torch.sigmoid(wo(h) + uo(x) + (vo(c) if peephole else 0))
    y = og * torch.tanh(c)
    layers = [l for l in (uf, ui, ug, uo, wf, wi, wg, wo, vf, vi, vo) if l is not None]
    gates = (12 if peephole else 9) * y.numel()
    return y, sum(l.params for l in layers), sum(l.macs for l in layers) + gates / 2


def history(x, o):
    """[history] (AlexeyAB: parse_history, make_history_layer, forward_history_layer): the input and
    the history_size − 1 steps before it stacked along channels (c · history_size); at the first step
    the earlier ones are the zeroed state (prev_state_cpu, or the calloc'd output when time_steps=1)."""
    size = _int(o, "history_size", 4)
    if x.dim() == 2:
        x = x.reshape(1, -1, 1, 1)
    return torch.cat([x, torch.zeros(1, x.shape[1] * (size - 1), x.shape[2], x.shape[3])], 1), 0, 0
