"""Receptive fields measured with PyTorch autograd, for the reference scripts
(make_caffe_refs.py, make_darknet_refs.py, make_keras_source_refs.py).

A network's spatial structure is rebuilt as a one-channel *probe*: every convolution
becomes a one-channel average over the same window, stride, padding and dilation (a
convolution with equal positive weights), every pooling window too (max pooling only
passes the gradient to its maximum), channel merges (concat, add) a sum, and per-pixel
layers (activations, normalisations, dropout) the identity. The probe is linear with
positive weights, so the gradient of one output unit with respect to the probe's input
is positive exactly on the input pixels that unit reads (its region), 0 elsewhere
(float64: the smallest products of 1/k² along a path stay far from underflow).

The region is measured on units far from the borders of a large probe input (so no
padding clips it), at o = m and o = m + 1 along each axis; with translation period 1
that gives, for unit 0 (the fixtures' RF convention, as in Araujo et al. 2019):
    stride = a(m+1) − a(m),   start = a(m) − m·stride,   size = b(m) − a(m) + 1,
start negative when unit 0's region begins in the padding. A layer whose output is no
longer spatial (global pooling, flatten, dense) has rf None. A region that is not
periodic with period 1 (after upsampling) is left out (not measured here).

Channels can have different fields (after a channel concat, the first branch's
channels keep theirs through per-channel layers), and the reported field is channel
0's, as ConvLens's README defines a unit: one position of one channel. The scripts keep
a blob's probe as channel segments [(channels, probe)]; union, cut and eltwise below.
"""
import itertools

import torch


class ProbeTooSmall(Exception):
    """A measured region reaches the border of the probe input: try a larger one."""


def _extent(mask):
    idx = mask.nonzero().flatten()
    return int(idx.min()), int(idx.max())


def region(x, y, i, j):
    """Input rows and columns [first, last] read by unit (i, j) of probe y (both probes 1×1×H×W)."""
    (g,) = torch.autograd.grad(y[0, 0, i, j], x, retain_graph=True)
    g = g[0, 0]
    rows, cols = _extent(g.abs().sum(1) > 0), _extent(g.abs().sum(0) > 0)
    h, w = g.shape
    if rows[0] == 0 or cols[0] == 0 or rows[1] == h - 1 or cols[1] == w - 1:
        raise ProbeTooSmall()
    return rows, cols


def receptive_field(x, y):
    """{size, stride, start} per spatial axis (rows, columns) of unit 0, from probe input x
    (1×1×S×S, requires grad) and probe output y (1×1×H×W); "not period 1" otherwise."""
    m = (y.shape[2] // 2, y.shape[3] // 2)
    r0, r1, r2 = (region(x, y, m[0] + d, m[1] + d) for d in range(3))
    out = {"size": [], "stride": [], "start": []}
    for axis in range(2):
        a0, a1, a2 = r0[axis], r1[axis], r2[axis]
        stride = a1[0] - a0[0]
        # Stride 0: neighbouring units read the same region, as inside one phase of an upsampling (a
        # Deconvolution of stride s repeats a region over s units): not period 1.
        if stride <= 0 or a2[0] - a1[0] != stride or a1[1] - a1[0] != a0[1] - a0[0] or a2[1] - a2[0] != a0[1] - a0[0]:
            return "not period 1"
        out["size"].append(a0[1] - a0[0] + 1)
        out["stride"].append(stride)
        out["start"].append(a0[0] - m[axis] * stride)
    return out


def conv(x, k, s, p, d=(1, 1)):
    """One-channel probe of a convolution (or any window op) on a 1×1×H×W probe; p = (top, bottom, left, right)."""
    x = torch.nn.functional.pad(x, (p[2], p[3], p[0], p[1]))
    if tuple(d) != (1, 1):
        w = torch.ones(1, 1, k[0], k[1], dtype=x.dtype) / (k[0] * k[1])
        return torch.nn.functional.conv2d(x, w, stride=s, dilation=d)
    if tuple(k) == (1, 1):
        return x[:, :, :: s[0], :: s[1]]
    return torch.nn.functional.avg_pool2d(x, k, s)  # much faster than a one-channel conv2d's backward


def probe_input(size):
    return torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)


def union(segs, lo=0, hi=None):
    """The probe of channels [lo, hi) of a blob given as segments [(channels, probe)]: the sum of their probes."""
    hi = sum(c for c, _ in segs) if hi is None else hi
    picked, at = {}, 0
    for c, t in segs:
        if at < hi and at + c > lo:
            picked[id(t)] = t
        at += c
    return sum(picked.values())


def cut(segs, lo, hi):
    """Channels [lo, hi) of a segmented blob."""
    out, at = [], 0
    for c, t in segs:
        a, b = max(lo, at), min(hi, at + c)
        if a < b:
            out.append((b - a, t))
        at += c
    return out


def eltwise(xs):
    """Channel-by-channel merge (add, max, product) of segmented blobs: each channel's field is the union of the inputs'."""
    bounds = sorted({b for z in xs for b in itertools.accumulate(c for c, _ in z)})
    return [(b - a, union([(1, union(cut(z, a, b))) for z in xs])) for a, b in zip([0] + bounds, bounds)]
