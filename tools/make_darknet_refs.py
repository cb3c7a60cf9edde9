#!/usr/bin/python3
"""Ground truth for the Darknet reader: builds each test/fixtures/darknet/*.cfg as a
PyTorch network (an implementation independent of ConvLens), runs one forward pass
and records every layer's output shape and parameter count (Darknet's own counting:
conv weights + biases, or + BatchNorm scales and biases; running statistics excluded),
MACs and receptive field (rf: size, stride, start of unit 0 per spatial axis, channel 0,
measured by autograd on a one-channel probe of the net, tools/rf_probe.py; null once the
output is no longer spatial; left out after [reorg] and [upsample], which the probe
does not measure).

Darknet semantics written into the PyTorch build: a [convolutional] with pad=1 pads
size/2 (so 0 for size=1), padding=N overrides it; [maxpool] pads padding = size−1 by
default, floor(padding/2) before and the rest after — asymmetric, so a 2×2/2 maxpool
keeps ⌈n/2⌉ and a 2×2/1 one keeps n; [avgpool] is global; [route] concatenates
channels (groups/group_id take a slice); [shortcut] adds into the previous layer's tensor
the overlapping channels and positions of the `from` layer (darknet_shortcut: Darknet's
shortcut_cpu written out index by index); batch_normalize drops the conv bias and adds
BatchNorm scales and biases (2·filters learned params). AlexeyAB's sections, from its C code:
[sam] multiplies the previous output by the `from` output element by element; [scale_channels]
multiplies the `from` maps by the previous layer's per-channel values; [batchnorm] holds
scales and biases; [local_avgpool] pads like [maxpool] and averages only the inputs inside;
[local] (pjreddie, YOLOv1) is darknet_local below; [crop] (test time) takes the centred window and maps it to 2x−1 unless noadjust; relu6
clips to [0, 6]; [gaussian_yolo] passes its input on as [yolo] does, [detection] and [cost] too.
The recurrent [rnn], [gru], [lstm], [crnn] and AlexeyAB's [conv_lstm] and [history] are tools/darknet_recurrent.py, one row (one step of
one sequence) as Darknet's BFLOPs column counts; a [net] with only inputs= feeds rows of that many
values. Over an image their receptive field is not a window: the reference says so (rf_unknown).

    /usr/bin/python3 tools/make_darknet_refs.py   # Debian's python3-torch (apt-get install python3-torch)
"""
import json
import math
import pathlib
import torch
import torch.nn.functional as F

from darknet_recurrent import connected_recurrent, conv_lstm, crnn, history
from rf_probe import ProbeTooSmall, conv as probe_window, cut, eltwise, probe_input, receptive_field, union

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "darknet"


def parse(text):
    sections = []
    for raw in text.splitlines():
        line = raw.split("#")[0].split(";")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append((line.strip("[]").lower(), {}))
        else:
            k, v = line.split("=", 1)
            sections[-1][1][k.strip()] = v.strip()
    return sections


def darknet_reorg(x, stride):
    """Darknet's [reorg]: reorg_cpu(input, l.w, l.h, l.c, batch, stride, forward=0, output) with the
    layer's *input* sizes (pjreddie/darknet; AlexeyAB's fork keeps it as [reorg], REORG_OLD),
    written out index by index as in the C loop. Not PyTorch's pixel_unshuffle: same shape, other order."""
    b, c, h, w = x.shape
    out_c = c // (stride * stride)
    src = x.contiguous().view(-1)
    out = torch.empty_like(src)
    for bb in range(b):
        for k in range(c):
            c2, offset = k % out_c, k // out_c
            for j in range(h):
                for i in range(w):
                    in_index = i + w * (j + h * (k + c * bb))
                    w2 = i * stride + offset % stride
                    h2 = j * stride + offset // stride
                    out_index = w2 + w * stride * (h2 + h * stride * (c2 + out_c * bb))
                    out[in_index] = src[out_index]
    return out.view(b, c * stride * stride, h // stride, w // stride)


def darknet_shortcut(add, out):
    """shortcut_cpu(batch, w1, h1, c1, add, w2, h2, c2, s1=1, s2=1, out) from darknet's blas.c:
    `add` is the `from` layer (c1×h1×w1), `out` a copy of the previous layer's output (c2×h2×w2).
    Its loop over k < min(c), j < min(h), i < min(w) does
        out[k, j*sample, i*sample] += add[k, j*stride, i*stride]
    with stride = max(1, w1/w2), sample = max(1, w2/w1): the same indices as slices below."""
    _, c1, h1, w1 = add.shape
    out = out.clone()
    _, c2, h2, w2 = out.shape
    stride, sample = max(1, w1 // w2), max(1, w2 // w1)
    c, h, w = min(c1, c2), min(h1, h2), min(w1, w2)
    out[:, :c, 0:h * sample:sample, 0:w * sample:sample] += add[:, :c, 0:h * stride:stride, 0:w * stride:stride]
    return out


def darknet_local(x, filters, size, stride, pad):
    """Darknet's [local] (local_layer.c, forward_local_layer) written out: output sizes from
    local_out_height ((h - size)/stride + 1, or (h - 1)/stride + 1 with pad), im2col with `pad`
    pixels, then at every output position its own filters·(c·size·size) weights plus a bias per
    output value. Returns the output and the parameter count (c·n·size²·positions + n·positions)."""
    _, c, h, w = x.shape
    oh = ((h - 1) if pad else (h - size)) // stride + 1
    ow = ((w - 1) if pad else (w - size)) // stride + 1
    cols = F.unfold(x, size, padding=pad, stride=stride)  # [1, c·size², positions] as im2col orders it
    assert cols.shape[2] == oh * ow, "im2col and local_out_height disagree"
    weights = torch.rand(oh * ow, filters, c * size * size)
    biases = torch.rand(filters, oh * ow)
    y = torch.stack([weights[j] @ cols[0, :, j] for j in range(oh * ow)], 1) + biases
    return y.reshape(1, filters, oh, ow), weights.numel() + biases.numel()


def act(x, name):
    return {
        "leaky": lambda t: F.leaky_relu(t, 0.1),
        "relu": F.relu,
        "relu6": lambda t: t.clamp(0, 6),
        "mish": lambda t: t * torch.tanh(F.softplus(t)),
        "logistic": torch.sigmoid,
        "linear": lambda t: t,
    }[name](x)


def input_shape(net):
    """A net of vectors (inputs= and no image sizes) takes rows of `inputs` values."""
    if "inputs" in net and not {"width", "height", "channels"} & net.keys():
        return [1, int(net["inputs"])]
    return [1, int(net.get("channels", 3)), int(net.get("height", 416)), int(net.get("width", 416))]


def build(path):
    sections = parse(path.read_text())
    net = sections[0][1]
    x = torch.rand(*input_shape(net))
    outs, layers = [], []
    for i, (kind, o) in enumerate(sections[1:]):
        params, macs = 0, 0
        if kind == "convolutional":
            f, size, stride, groups = int(o.get("filters", 1)), int(o.get("size", 1)), int(o.get("stride", 1)), int(o.get("groups", 1))
            pad = int(o["padding"]) if "padding" in o else (size // 2 if int(o.get("pad", 0)) else 0)
            conv = torch.nn.Conv2d(x.shape[1], f, size, stride, pad, groups=groups, bias="batch_normalize" not in o)
            y = conv(x)
            params = sum(p.numel() for p in conv.parameters())
            macs = y.numel() * (x.shape[1] // groups) * size * size
            if o.get("batch_normalize") == "1":
                bn = torch.nn.BatchNorm2d(f).eval()
                y = bn(y)
                params += 2 * f
            y = act(y, o.get("activation", "linear"))
        elif kind == "local":
            f, size, stride = int(o.get("filters", 1)), int(o.get("size", 1)), int(o.get("stride", 1))
            y, params = darknet_local(x, f, size, stride, 1 if int(o.get("pad", 0)) else 0)
            macs = y.numel() * x.shape[1] * size * size
            y = act(y, o.get("activation", "linear"))
        elif kind == "maxpool":
            size = int(o.get("size", 1))
            stride = int(o.get("stride", size))
            padding = int(o.get("padding", size - 1))
            b = padding // 2
            y = F.max_pool2d(F.pad(x, (b, padding - b, b, padding - b), value=-math.inf), size, stride)
        elif kind == "avgpool":
            y = x.mean(dim=(2, 3), keepdim=True)
        elif kind == "upsample":
            y = F.interpolate(x, scale_factor=int(o.get("stride", 2)), mode="nearest")
        elif kind == "reorg":
            y = darknet_reorg(x, int(o.get("stride", 2)))
        elif kind == "reorg3d":
            y = F.pixel_unshuffle(x, int(o.get("stride", 2)))
        elif kind == "route":
            refs = [int(v) for v in o["layers"].split(",")]
            y = torch.cat([outs[r if r >= 0 else i + r] for r in refs], 1)
            g = int(o.get("groups", 1))
            if g > 1:
                part = y.shape[1] // g
                gid = int(o.get("group_id", 0))
                y = y[:, gid * part:(gid + 1) * part]
        elif kind == "shortcut":
            y = x
            for r in (int(v) for v in o.get("from", "-3").split(",")):
                y = darknet_shortcut(outs[r if r >= 0 else i + r], y)
            y = act(y, o.get("activation", "linear"))
        elif kind == "sam":
            r = int(o.get("from", -1))
            y = act(x * outs[r if r >= 0 else i + r], o.get("activation", "linear"))
        elif kind == "scale_channels":
            r = int(o.get("from", -1))
            y = act(outs[r if r >= 0 else i + r] * x, o.get("activation", "linear"))
        elif kind == "batchnorm":
            y = torch.nn.BatchNorm2d(x.shape[1]).eval()(x)
            params = 2 * x.shape[1]
        elif kind == "local_avgpool":
            size = int(o.get("size", 1))
            stride = int(o.get("stride", size))
            padding = int(o.get("padding", size - 1))
            b = padding // 2
            pads = (b, padding - b, b, padding - b)
            total = F.avg_pool2d(F.pad(x, pads), size, stride, divisor_override=1)
            count = F.avg_pool2d(F.pad(torch.ones_like(x[:, :1]), pads), size, stride, divisor_override=1)
            y = total / count
        elif kind == "crop":
            ch, cw = int(o["crop_height"]), int(o["crop_width"])
            dy, dx = (x.shape[2] - ch) // 2, (x.shape[3] - cw) // 2
            y = x[:, :, dy:dy + ch, dx:dx + cw]
            if not int(o.get("noadjust", 0)):
                y = y * 2 - 1
        elif kind == "connected":
            # connected_layer.c: with batch_normalize the biases shift the batch norm (plus its scales).
            fc = torch.nn.Linear(x.numel(), int(o["output"]))
            y = fc(x.flatten(1))
            params = sum(p.numel() for p in fc.parameters())
            if o.get("batch_normalize") == "1":
                y = torch.nn.BatchNorm1d(fc.out_features).eval()(y - fc.bias)
                params += fc.out_features
            y = act(y, o.get("activation", "linear"))
            macs = fc.in_features * fc.out_features
        elif kind in ("rnn", "gru", "lstm"):
            y, params, macs = connected_recurrent(kind, x, o)
        elif kind == "crnn":
            y, params, macs = crnn(x, o)
        elif kind == "conv_lstm":
            y, params, macs = conv_lstm(x, o)
        elif kind == "history":
            y, params, macs = history(x, o)
        elif kind in ("dropout", "yolo", "region", "gaussian_yolo", "detection", "cost"):
            y = x
        elif kind == "softmax":
            y = F.softmax(x, 1)
        else:
            raise ValueError(kind)
        layers.append({"name": str(i), "type": kind, "output_shape": list(y.shape), "params": params, "macs": macs})
        outs.append(y)
        x = y
    fields = [None] * len(layers) if len(input_shape(net)) == 2 else probe(sections, [l["output_shape"] for l in layers])
    for l, rf in zip(layers, fields):
        if rf == "not a window":
            l["rf_unknown"] = "not a spatial window"
        elif rf not in ("unmeasured", "not period 1"):
            l["rf"] = rf
    return {"model": path.stem, "input_shape": input_shape(net),
            "totals": {"params": sum(l["params"] for l in layers), "macs": sum(l["macs"] for l in layers)}, "layers": layers}


def probe(sections, shapes, size=1024):
    """Each layer's receptive field from a one-channel probe (tools/rf_probe.py); blobs are channel segments."""
    net = sections[0][1]
    with torch.enable_grad():
        x = probe_input(size)
        outs, fields, seen = [], [], {}
        y = [(int(net.get("channels", 3)), x)]
        for i, (kind, o) in enumerate(sections[1:]):
            ref = lambda r: outs[r if r >= 0 else i + r]  # noqa: E731
            if kind == "route":
                ins = [ref(int(v)) for v in o["layers"].split(",")]
                y = "unmeasured" if "unmeasured" in ins else None if None in ins else [seg for z in ins for seg in z]
            elif kind == "shortcut":
                ins = [y] + [ref(int(v)) for v in o.get("from", "-3").split(",")]
                same = len({tuple(shapes[i + int(v)] if int(v) < 0 else shapes[int(v)]) for v in o.get("from", "-3").split(",")} | {tuple(shapes[i - 1])}) == 1 if i else True
                y = "unmeasured" if "unmeasured" in ins or not same else None if None in ins else eltwise(ins)
            elif kind in ("sam", "scale_channels", "crop", "local_avgpool", "local"):
                y = "unmeasured" if y is not None else None
            elif kind in ("rnn", "gru", "lstm", "crnn", "conv_lstm", "history"):
                # A state carried from step to step: over an image, no window describes the output.
                y = "not a window" if y not in (None, "unmeasured", "not a window") else y
            if y in (None, "unmeasured", "not a window"):
                pass
            elif kind in ("avgpool", "connected"):
                y = None
            elif kind in ("reorg", "reorg3d"):
                y = "unmeasured"
            elif kind == "convolutional":
                size_, stride, g, f = int(o.get("size", 1)), int(o.get("stride", 1)), int(o.get("groups", 1)), int(o.get("filters", 1))
                pad = int(o["padding"]) if "padding" in o else (size_ // 2 if int(o.get("pad", 0)) else 0)
                cin = sum(c for c, _ in y)
                y = [(f // g, probe_window(union(y, j * cin // g, (j + 1) * cin // g), (size_, size_), (stride, stride), (pad,) * 4)) for j in range(g)]
            elif kind == "maxpool":
                size_ = int(o.get("size", 1))
                stride, padding = int(o.get("stride", size_)), int(o.get("padding", size_ - 1))
                b = padding // 2
                done = {}
                y = [(c, done.setdefault(id(z), probe_window(z, (size_, size_), (stride, stride), (b, padding - b, b, padding - b)))) for c, z in y]
            elif kind == "upsample":
                done = {}
                y = [(c, done.setdefault(id(z), F.interpolate(z, scale_factor=int(o.get("stride", 2)), mode="nearest"))) for c, z in y]
            elif kind == "route" and int(o.get("groups", 1)) > 1:
                g, gid = int(o["groups"]), int(o.get("group_id", 0))
                part = sum(c for c, _ in y) // g
                y = cut(y, gid * part, (gid + 1) * part)
            elif kind == "batchnorm":
                pass
            elif kind not in ("route", "shortcut", "dropout", "yolo", "region", "gaussian_yolo", "softmax", "sam", "scale_channels", "crop", "local_avgpool", "local", "detection", "cost"):
                raise ValueError(kind)
            outs.append(y)
            if y in (None, "unmeasured", "not a window"):
                fields.append(y)
                y = "unmeasured" if y == "not a window" else y
                outs[-1] = y
                continue
            c0 = y[0][1]
            try:
                if id(c0) not in seen:
                    seen[id(c0)] = receptive_field(x, c0)
            except ProbeTooSmall:
                return probe(sections, shapes, size * 2)
            fields.append(seen[id(c0)])
        return fields


if __name__ == "__main__":
    with torch.no_grad():
        for cfg in sorted(ROOT.glob("*.cfg")):
            ref = build(cfg)
            (ROOT / f"{cfg.stem}.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
            print(cfg.name, ref["totals"])
