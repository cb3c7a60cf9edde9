#!/usr/bin/python3
"""Ground truth for the Caffe reader: builds each test/fixtures/caffe/*.prototxt as a
PyTorch network (independent of ConvLens: its own small text-format parser and torch's
layers), runs one forward pass and records each layer's output shape (first top),
learned parameter count (BatchNorm statistics excluded), MACs and receptive field
(rf: size, stride, start of unit 0 per spatial axis, measured by autograd on a
one-channel probe of the net, tools/rf_probe.py; null once the output is not spatial;
a unit is one position of channel 0, so after a channel Concat a pooling layer's
field is its first branch's, as the README defines it).

Caffe semantics written into the PyTorch build: pooling rounds the output size up
(ceil_mode=True) and clips a last window that would start in the padding (PyTorch's
ceil_mode does the same), unless round_mode: FLOOR (BVLC) or ceil_mode: false (the fork
field DenseNet-Caffe uses) rounds down; AVE pooling divides by the window size within the padded
input; BatchNorm holds only statistics (0 learned params), the following Scale layer
holds the learned scale (and bias with bias_term); the fork "BN" layer learns a scale and a shift per
channel (its stored statistics, where the fork has them, are not learned); ConvolutionDepthwise has one
filter per input channel; InnerProduct flattens from axis 1.

    /usr/bin/python3 tools/make_caffe_refs.py   # Debian's python3-torch
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

from caffe_text import one, pair, parse  # noqa: F401  (re-exported for make_caffemodel_ref.py)
from rf_probe import ProbeTooSmall, conv as probe_window, cut, eltwise, probe_input, receptive_field, union

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "caffe"
V1 = {"CONVOLUTION": "Convolution", "DECONVOLUTION": "Deconvolution", "POOLING": "Pooling", "INNER_PRODUCT": "InnerProduct",
      "RELU": "ReLU", "LRN": "LRN", "SOFTMAX": "Softmax", "DROPOUT": "Dropout", "CONCAT": "Concat", "ELTWISE": "Eltwise",
      "DATA": "Data", "ACCURACY": "Accuracy", "SOFTMAX_LOSS": "SoftmaxWithLoss", "SLICE": "Slice", "SIGMOID": "Sigmoid",
      "FLATTEN": "Flatten", "CONTRASTIVE_LOSS": "ContrastiveLoss"}
SKIPPED = {"Accuracy", "SoftmaxWithLoss", "ContrastiveLoss", "SigmoidCrossEntropyLoss", "EuclideanLoss"}
MORE = {"Normalize", "ShuffleChannel", "Power", "Exp", "Log", "Axpy", "Upsample", "Interp", "Threshold", "Tile", "ArgMax", "Reduction"}
# train_val / train_test files whose data layer reads a database: the image size is in the database, not
# the file, so the test gives it as --input-shape. The sizes are the datasets' published ones: MNIST
# 28×28 grey, CIFAR-10 32×32 colour; CaffeNet crops ImageNet's colour images to 227 (its crop_size).
# Detection and sequence nets: tools/make_caffe_ssd_refs.py (Caffe's rules + OpenCV as the oracle).
OWN_GENERATOR = {"opencv_face_detector_deploy", "sequence_layers", "mobilenet_ssd_deploy", "roi_pooling"}
# The siamese net's database holds image pairs stacked as 2 channels; the autoencoder's three data
# layers (TRAIN, TEST test-on-train, TEST test-on-test) feed one blob: the first TEST one is the input.
GIVEN = {"lenet_train_test": [100, 1, 28, 28], "cifar10_quick_train_test": [100, 3, 32, 32],
         "caffenet_train_val": [50, 3, 227, 227], "mnist_siamese_train_test": [100, 2, 28, 28],
         "mnist_autoencoder": [100, 1, 28, 28], "cifar10_full_train_test": [100, 3, 32, 32]}


def blob_names(l):
    """The names a layer gives its learned blobs (param { name } or V1 param: "…"): Caffe shares a named blob."""
    return [q if isinstance(q, str) else one(q, "name") for q in l.get("param", [])]


def parameterless(t, l, xs):
    """The layers without weights, shared with make_caffemodel_ref.py: (output, several outputs or None),
    or None when `t` is not one of them. Caffe pools round up and AVE counts the padding; Slice has several tops."""
    x = xs[0]
    if t == "ReLU":
        return F.leaky_relu(x, float(one(l.get("relu_param", [{}])[0], "negative_slope", 0))), None
    if t == "Pooling":
        p = l["pooling_param"][0]
        mx = one(p, "pool", "MAX") == "MAX"
        if one(p, "global_pooling") == "true":
            return (x.amax((2, 3), keepdim=True) if mx else x.mean((2, 3), keepdim=True)), None
        k, s, pd = pair(p, "kernel_size", "kernel_h", "kernel_w", 1), pair(p, "stride", "stride_h", "stride_w", 1), pair(p, "pad", "pad_h", "pad_w", 0)
        up = one(p, "round_mode", "CEIL") != "FLOOR" and one(p, "ceil_mode", "true") != "false"
        return (F.max_pool2d(x, k, s, pd, ceil_mode=up) if mx else F.avg_pool2d(x, k, s, pd, ceil_mode=up, count_include_pad=True)), None
    if t == "LRN" and one(l["lrn_param"][0], "norm_region") == "WITHIN_CHANNEL":  # lrn_layer.cpp's spatial branch
        p = l["lrn_param"][0]
        size = int(one(p, "local_size", 5))
        mean = F.avg_pool2d(x * x, size, 1, (size - 1) // 2, count_include_pad=True)
        return x * (1 + float(one(p, "alpha", 1)) * mean) ** -float(one(p, "beta", 0.75)), None
    if t == "LRN":
        p = l["lrn_param"][0]
        return torch.nn.LocalResponseNorm(int(one(p, "local_size", 5)), float(one(p, "alpha", 1)), float(one(p, "beta", 0.75)), float(one(p, "k", 1)))(x), None
    if t == "Eltwise":
        p = l.get("eltwise_param", [{}])[0]
        op = one(p, "operation", "SUM")
        coeff = [float(v) for v in p.get("coeff", [])] or [1.0] * len(xs)
        y = xs[0] * coeff[0] if op == "SUM" else xs[0]
        for z, k in zip(xs[1:], coeff[1:] + [1.0] * len(xs)):
            y = y + k * z if op == "SUM" else (y * z if op == "PROD" else torch.maximum(y, z))
        return y, None
    if t == "Concat":
        return torch.cat(xs, int(one(l.get("concat_param", [{}])[0], "axis", 1))), None
    if t == "Slice":
        p = l["slice_param"][0]
        axis = int(one(p, "axis", 1))
        pts = [0] + [int(v) for v in p.get("slice_point", [])] + [x.shape[axis]]
        outs = [x.narrow(axis, a, b - a) for a, b in zip(pts, pts[1:])]
        return outs[0], outs
    if t == "Dropout":
        return x, None
    if t == "Crop":  # crop_layer: every axis from `axis` on cut to bottom[1]'s size, at offset (one for all, or per axis)
        p = l.get("crop_param", [{}])[0]
        axis = int(one(p, "axis", 2))
        offs = [int(v) for v in p.get("offset", [])] or [0]
        y = x
        for a in range(axis, x.dim()):
            y = y.narrow(a, offs[min(a - axis, len(offs) - 1)], xs[1].shape[a])
        return y, None
    if t in ("Power", "Exp", "Log"):
        p = l.get(t.lower() + "_param", [{}])[0]
        inner = float(one(p, "shift", 0)) + float(one(p, "scale", 1)) * x
        if t == "Power":
            return inner ** float(one(p, "power", 1)), None
        base = float(one(p, "base", -1))
        if t == "Exp":
            return (torch.exp(inner) if base == -1 else base ** inner), None
        return (torch.log(inner) if base == -1 else torch.log(inner) / math.log(base)), None
    if t == "Threshold":
        return (x > float(one(l.get("threshold_param", [{}])[0], "threshold", 0))).float(), None
    if t == "ShuffleChannel":  # shuffle_channel_layer: view as group × C/group, transpose
        g = int(one(l["shuffle_channel_param"][0], "group", 1))
        n, c, h, w = x.shape
        return x.view(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w), None
    if t == "Axpy":  # axpy_layer: a (N×C×1×1) · x + y
        return xs[0] * xs[1] + xs[2], None
    if t == "Upsample":
        return F.interpolate(x, scale_factor=int(one(l["upsample_param"][0], "scale", 2)), mode="nearest"), None
    if t == "Interp":  # interp_layer: zoom → (in − 1)·zoom + 1, bilinear with aligned corners
        z = int(one(l["interp_param"][0], "zoom_factor", 1))
        size = [(d - 1) * z + 1 for d in x.shape[2:]]
        return F.interpolate(x, size=size, mode="bilinear", align_corners=True), None
    if t == "Tile":
        p = l["tile_param"][0]
        reps = [1] * x.dim()
        reps[int(one(p, "axis", 1))] = int(one(p, "tiles", 1))
        return x.repeat(*reps), None
    if t == "ArgMax":
        return x.argmax(int(one(l["argmax_param"][0], "axis")), keepdim=True).float(), None
    if t == "Reduction":
        p = l["reduction_param"][0]
        axis = int(one(p, "axis", 0))
        dims = tuple(range(axis, x.dim()))
        op = one(p, "operation", "SUM")
        y = {"SUM": lambda: x.sum(dims), "ASUM": lambda: x.abs().sum(dims), "SUMSQ": lambda: (x * x).sum(dims), "MEAN": lambda: x.mean(dims)}[op]()
        return y * float(one(p, "coeff", 1)), None
    if t == "Sigmoid":
        return torch.sigmoid(x), None
    if t == "Flatten":
        return x.flatten(1), None
    if t == "Softmax":
        return F.softmax(x, 1), None
    return None


def run(path):
    net = parse(path.read_text())
    blobs, layers, named = {}, [], set()
    if "input" in net:
        dims = [int(v) for v in net.get("input_dim", [])]
        shapes = [[int(v) for v in m["dim"]] for m in net.get("input_shape", [])]
        for i, name in enumerate(net["input"]):
            blobs[name] = torch.rand(*(shapes[i] if i < len(shapes) else dims[i * 4:i * 4 + 4]))
    for l in net.get("layer", []) + net.get("layers", []):
        t = V1.get(one(l, "type"), one(l, "type"))
        if any(one(inc, "phase") == "TRAIN" for inc in l.get("include", [])) or t in SKIPPED:
            continue
        tops = l.get("top", [])
        if t == "Input":
            shape = [int(v) for v in l["input_param"][0]["shape"][0]["dim"]]
            blobs[tops[0]] = torch.rand(*shape)
            continue
        if t == "Data":  # the TEST phase's data layer: its batch_size, the image size given
            if tops[0] in blobs:  # another stage's data layer for the same blob
                continue
            given = GIVEN[path.stem]
            assert int(l["data_param"][0]["batch_size"][0]) == given[0]
            blobs[tops[0]] = torch.rand(*given)
            continue
        xs = [blobs[b] for b in l.get("bottom", [])]
        x = xs[0]
        params, macs, outs = 0, 0, None
        if t in ("Convolution", "Deconvolution", "ConvolutionDepthwise"):
            p = l["convolution_param"][0]
            n, g = int(one(p, "num_output")), int(one(p, "group", 1))
            if t == "ConvolutionDepthwise":  # conv_dw_layer.cpp: one filter per input channel, num_output unread
                n = g = x.shape[1]
            k, s, pd = pair(p, "kernel_size", "kernel_h", "kernel_w", 1), pair(p, "stride", "stride_h", "stride_w", 1), pair(p, "pad", "pad_h", "pad_w", 0)
            d = pair(p, "dilation", "dilation_h", "dilation_w", 1)
            bias = one(p, "bias_term", "true") != "false"
            if t != "Deconvolution":
                m = torch.nn.Conv2d(x.shape[1], n, k, s, pd, d, g, bias)
                y = m(x)
                macs = y.numel() * (x.shape[1] // g) * k[0] * k[1]
            else:
                m = torch.nn.ConvTranspose2d(x.shape[1], n, k, s, pd, 0, g, bias, d)
                y = m(x)
                macs = x.numel() * (n // g) * k[0] * k[1]
            params = sum(q.numel() for q in m.parameters())
        elif t == "InnerProduct":
            p = l["inner_product_param"][0]
            m = torch.nn.Linear(x[0].numel(), int(one(p, "num_output")), one(p, "bias_term", "true") != "false")
            y = m(x.flatten(1))
            params = sum(q.numel() for q in m.parameters())
            macs = y.numel() * m.in_features  # batch included
        elif t == "PReLU":
            m = torch.nn.PReLU(x.shape[1])
            y = m(x)
            params = x.shape[1]
        elif t == "Normalize":  # SSD normalize_layer: L2 over channels (or the sample), times a learned scale
            p = l.get("norm_param", [{}])[0]
            across = one(p, "across_spatial", "true") != "false"
            norm = torch.sqrt((x * x).sum((1, 2, 3) if across else 1, keepdim=True) + float(one(p, "eps", 1e-10)))
            shared = one(p, "channel_shared", "true") != "false"
            y = x / norm * torch.rand(1 if shared else x.shape[1], 1, 1)
            params = 1 if shared else x.shape[1]
        elif t == "BatchNorm":
            y = torch.nn.BatchNorm2d(x.shape[1], affine=False).eval()(x)
        elif t == "BN":  # fork BN (caffe-segnet bn_layer.cpp and kin): a learned scale and shift per channel
            segnet = any(f in l.get("bn_param", [{}])[0] for f in ("scale_filler", "shift_filler", "bn_mode"))
            bn = torch.nn.BatchNorm2d(x.shape[1], eps=0 if segnet else 1e-5).eval()  # SegNet INFERENCE: scale·x + shift
            y = bn(x)
            params = sum(q.numel() for q in bn.parameters())
        elif t == "Scale":
            bias = one(l.get("scale_param", [{}])[0], "bias_term", "false") == "true"
            y = x * torch.rand(x.shape[1], 1, 1) + (torch.rand(x.shape[1], 1, 1) if bias else 0)
            params = x.shape[1] * (2 if bias else 1)
        elif (shared := parameterless(t, l, xs)) is not None:
            y, outs = shared
        else:
            raise ValueError(t)
        names = [n for n in blob_names(l) if n]
        if names and all(n in named for n in names):  # shares an earlier layer's blobs: counted there
            params = 0
        named.update(names)
        for i, top in enumerate(tops):
            blobs[top] = outs[i] if outs else y
        layers.append({"name": one(l, "name"), "type": t, "output_shape": list(y.shape), "params": params, "macs": macs})
    rfs = probe(net, net_name=path.stem)
    for l in layers:
        if rfs[l["name"]] != "not period 1":
            l["rf"] = rfs[l["name"]]
    given = {"given_input_shape": GIVEN[path.stem]} if path.stem in GIVEN else {}
    return {"model": path.stem, **given, "totals": {"params": sum(l["params"] for l in layers), "macs": sum(l["macs"] for l in layers)}, "layers": layers}


def probe(net, size=1024, net_name=None):
    """Each layer's receptive field, from a one-channel probe of the net (tools/rf_probe.py) on a size×size input.

    A blob's probe is a list of channel segments [(channels, probe)] whose fields differ:
    a channel Concat joins its inputs' lists, per-channel layers (pooling, activations,
    Eltwise, Slice) keep them apart, and a convolution's group j reads the union of
    its input channels in group j. The field reported for a layer is its channel 0's
    (a unit is one position of one channel, as the README defines it)."""
    with torch.enable_grad():
        x = probe_input(size)
        blobs, out, seen = {}, {}, {}
        unmeasured = False  # after a layer the probe does not model, fields are left out of the reference
        dims = [int(v) for v in net.get("input_dim", [])]
        shapes = [[int(v) for v in m["dim"]] for m in net.get("input_shape", [])]
        for i, name in enumerate(net.get("input", [])):
            blobs[name] = [((shapes[i] if i < len(shapes) else dims[i * 4:i * 4 + 4])[1], x)]
        for l in net.get("layer", []) + net.get("layers", []):
            t = V1.get(one(l, "type"), one(l, "type"))
            if any(one(inc, "phase") == "TRAIN" for inc in l.get("include", [])) or t in SKIPPED:
                continue
            tops = l.get("top", [])
            if t == "Input":
                blobs[tops[0]] = [(int(l["input_param"][0]["shape"][0]["dim"][1]), x)]
                continue
            if t == "Data":
                blobs.setdefault(tops[0], [(GIVEN[net_name][1], x)])
                continue
            if unmeasured or t in MORE:
                unmeasured = True
                out[one(l, "name")] = "not period 1"
                continue
            xs = [blobs[b] for b in l.get("bottom", [])]
            y, ys = xs[0], None
            if y is None or t in ("InnerProduct", "Flatten") or (t == "Pooling" and one(l["pooling_param"][0], "global_pooling") == "true"):
                y = None
            elif t in ("Convolution", "Pooling", "Deconvolution", "ConvolutionDepthwise"):
                p = l.get("convolution_param", l.get("pooling_param", [{}]))[0]
                k, s, pd = pair(p, "kernel_size", "kernel_h", "kernel_w", 1), pair(p, "stride", "stride_h", "stride_w", 1), pair(p, "pad", "pad_h", "pad_w", 0)
                d = pair(p, "dilation", "dilation_h", "dilation_w", 1)
                if t == "Deconvolution":
                    w = torch.ones(1, 1, *k, dtype=x.dtype) / (k[0] * k[1])
                    window = lambda z: F.conv_transpose2d(z, w, stride=s, padding=pd, dilation=d)  # noqa: E731
                else:
                    window = lambda z: probe_window(z, k, s, (pd[0], pd[0], pd[1], pd[1]), d)  # noqa: E731
                if t == "Pooling":  # per channel
                    up = one(p, "round_mode", "CEIL") != "FLOOR" and one(p, "ceil_mode", "true") != "false"
                    if up:  # Caffe rounds the pooled size up: its last window is padded at the end (stride − 1 more)
                        window = lambda z: probe_window(z, k, s, (pd[0], pd[0] + s[0] - 1, pd[1], pd[1] + s[1] - 1), d)  # noqa: E731
                    def sized(z, window=window):  # and clips a last window starting in the padding, as parameterless does
                        h, w = parameterless(t, l, [z.detach()])[0].shape[2:]
                        return window(z)[:, :, :h, :w]
                    done = {}
                    y = [(c, done.setdefault(id(z), sized(z))) for c, z in y]
                else:  # output group j reads input group j
                    g, cin, n = int(one(p, "group", 1)), sum(c for c, _ in y), int(one(p, "num_output"))
                    if t == "ConvolutionDepthwise":
                        g = n = cin
                    y = [(n // g, window(union(y, j * cin // g, (j + 1) * cin // g))) for j in range(g)]
            elif t == "Concat":
                assert int(one(l.get("concat_param", [{}])[0], "axis", 1)) == 1
                y = None if any(z is None for z in xs) else [seg for z in xs for seg in z]
            elif t == "Eltwise":  # channel by channel
                y = eltwise(xs)
            elif t == "Crop":  # a spatial shift: unit 0 is the input's unit (offset_h, offset_w)
                p = l.get("crop_param", [{}])[0]
                assert int(one(p, "axis", 2)) == 2
                offs = [int(v) for v in p.get("offset", [])] or [0]
                (oh, ow), (h, w) = (offs[0], offs[-1]), xs[1][0][1].shape[2:]
                done = {}
                y = [(c, done.setdefault(id(z), z[:, :, oh:oh + h, ow:ow + w])) for c, z in y]
            elif t == "Slice":
                p = l["slice_param"][0]
                assert int(one(p, "axis", 1)) == 1
                pts = [0] + [int(v) for v in p.get("slice_point", [])] + [sum(c for c, _ in y)]
                ys = [cut(y, a, b) for a, b in zip(pts, pts[1:])]
            elif t == "LRN" and one(l["lrn_param"][0], "norm_region") == "WITHIN_CHANNEL":  # a spatial window
                size = int(one(l["lrn_param"][0], "local_size", 5))
                h = (size - 1) // 2
                done = {}
                y = [(c, done.setdefault(id(z), probe_window(z, (size, size), (1, 1), (h, h, h, h), (1, 1)))) for c, z in y]
            elif t in ("LRN", "Softmax"):  # across channels
                y = [(sum(c for c, _ in y), union(y))] if len({id(z) for _, z in y}) > 1 else y
            elif t not in ("ReLU", "PReLU", "BatchNorm", "BN", "Scale", "Dropout", "Sigmoid"):
                raise ValueError(t)
            for i, top in enumerate(tops):
                blobs[top] = ys[i] if ys else y
            y = ys[0] if ys else y
            if y is None:
                out[one(l, "name")] = None
            else:
                c0 = y[0][1]
                try:
                    if id(c0) not in seen:  # in-place layers share their input's probe
                        seen[id(c0)] = receptive_field(x, c0)
                except ProbeTooSmall:
                    return probe(net, size * 2, net_name)
                out[one(l, "name")] = seen[id(c0)]
        return out


if __name__ == "__main__":
    with torch.no_grad():
        for f in sorted(ROOT.glob("*.prototxt")):
            if f.stem in OWN_GENERATOR:
                continue
            ref = run(f)
            (ROOT / f"{f.stem}.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
            print(f.name, ref["totals"])
