#!/usr/bin/env python3
"""Ground truth for Caffe's detection and sequence layers, independent of ConvLens.

Two sources, checked against each other:
 (a) Caffe's C++ shape and size rules written out in Python (as make_darknet_refs.py does for
     Darknet): SSD fork (weiliu89/caffe) prior_box_layer.cpp LayerSetUp/Reshape — priors per
     location = |{1} ∪ aspect ratios (∪ 1/ratio when flip), deduplicated| · |min_size| + |max_size|,
     top [1, 2, H·W·priors·4]; detection_output_layer.cpp — [1, 1, N, 7] with N only known at run
     time (null here); BVLC embed_layer.cpp — top = bottom shape + [num_output], weight
     [input_dim, num_output] (+ bias [num_output]); lstm_layer.cpp / rnn_layer.cpp (the unrolled
     nets of FillUnrolledNet) — x [T, N, …] → [T, N, num_output]; LSTM W_xc [4H, I], b_c [4H],
     W_hc [4H, H]; RNN W_xh [H, I], b_h [H], W_hh [H, H], W_ho [H, H], b_o [H]; MACs are those
     of the unrolled InnerProduct layers. Convolution, pooling (rounding up), BatchNorm
     (statistics, no learned params), Scale, Normalize, Permute, Flatten, Concat, Reshape as in BVLC.
 (b) OpenCV's Caffe importer as an oracle (pip install "opencv-python-headless<5": OpenCV 5 dropped
     it): random weights are written as a .caffemodel (protobuf wire format, by hand, the
     fields of tools/caffe_weights.proto), then cv2.dnn's getLayersShapes gives every layer's
     output shape for the same input; each must equal (a). The .caffemodel is temporary.

    /tmp/venv/bin/python tools/make_caffe_ssd_refs.py   # numpy + opencv-python-headless 4.x
"""
import json
import math
import pathlib
import struct
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from caffe_text import one, pair, parse  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "caffe"

FILES = ["opencv_face_detector_deploy", "sequence_layers", "mobilenet_ssd_deploy"]


def prod(xs):
    return math.prod(int(v) for v in xs)


def prior_count(p):
    ratios = [1.0]
    flip = one(p, "flip", "true") == "true"
    for ar in (float(v) for v in p.get("aspect_ratio", [])):
        if any(abs(ar - r) < 1e-6 for r in ratios):
            continue
        ratios.append(ar)
        if flip:
            ratios.append(1 / ar)
    return len(ratios) * len(p.get("min_size", [])) + len(p.get("max_size", []))


def formulas(net):
    """Every layer's (name, type, output shape, learned blob shapes, MACs) by Caffe's rules."""
    shapes, rows = {}, []
    for i, name in enumerate(net.get("input", [])):
        shapes[name] = [int(v) for v in net["input_shape"][i]["dim"]]
    for l in net["layer"]:
        t, name = one(l, "type"), one(l, "name")
        if t == "Input":
            for top, s in zip(l["top"], l["input_param"][0]["shape"]):
                shapes[top] = [int(v) for v in s["dim"]]
            continue
        xs = [shapes[b] for b in l.get("bottom", [])]
        x = xs[0]
        blobs, macs, reason = [], 0, None
        if t == "Convolution":
            p = l["convolution_param"][0]
            n, g = int(one(p, "num_output")), int(one(p, "group", 1))
            (kh, kw), (sh, sw), (ph, pw) = (pair(p, "kernel_size", "kernel_h", "kernel_w", 1),
                                            pair(p, "stride", "stride_h", "stride_w", 1),
                                            pair(p, "pad", "pad_h", "pad_w", 0))
            dh, dw = pair(p, "dilation", "dilation_h", "dilation_w", 1)
            oh = (x[2] + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
            ow = (x[3] + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
            y = [x[0], n, oh, ow]
            # group: each output channel reads x[1] / group input channels (MobileNet's depthwise convs).
            blobs = [[n, x[1] // g, kh, kw]] + ([[n]] if one(p, "bias_term", "true") == "true" else [])
            macs = prod(y) * (x[1] // g) * kh * kw
        elif t == "Pooling":
            p = l["pooling_param"][0]
            (kh, kw), (sh, sw), (ph, pw) = (pair(p, "kernel_size", "kernel_h", "kernel_w", 1),
                                            pair(p, "stride", "stride_h", "stride_w", 1),
                                            pair(p, "pad", "pad_h", "pad_w", 0))
            oh = math.ceil((x[2] + 2 * ph - kh) / sh) + 1
            ow = math.ceil((x[3] + 2 * pw - kw) / sw) + 1
            if ph and (oh - 1) * sh >= x[2] + ph:
                oh -= 1
            if pw and (ow - 1) * sw >= x[3] + pw:
                ow -= 1
            y = [x[0], x[1], oh, ow]
        elif t == "BatchNorm":
            y = x  # mean, variance, moving-average factor: statistics, not learned
        elif t == "Scale":
            y = x
            blobs = [[x[1]]] + ([[x[1]]] if one(l["scale_param"][0], "bias_term") == "true" else [])
        elif t == "Normalize":
            y = x
            shared = one(l["norm_param"][0], "channel_shared", "true") == "true"
            blobs = [[1] if shared else [x[1]]]
        elif t in ("ReLU", "Softmax"):
            y = x
        elif t == "Eltwise":
            y = x
        elif t == "Permute":
            y = [x[int(a)] for a in l["permute_param"][0]["order"]]
        elif t == "Flatten":
            axis = int(one(l["flatten_param"][0], "axis", 1))
            y = x[:axis] + [prod(x[axis:])]
        elif t == "Concat":
            axis = int(one(l["concat_param"][0], "axis", 1))
            y = list(x)
            y[axis] = sum(s[axis] for s in xs)
        elif t == "Reshape":
            dims = [int(v) for v in l["reshape_param"][0]["shape"][0]["dim"]]
            y = [x[i] if d == 0 else d for i, d in enumerate(dims)]
            if -1 in y:
                y[y.index(-1)] = prod(x) // -prod(y)
        elif t == "PriorBox":
            y = [1, 2, x[2] * x[3] * prior_count(l["prior_box_param"][0]) * 4]
        elif t == "DetectionOutput":
            y = [1, 1, None, 7]
            keep = one(l["detection_output_param"][0], "keep_top_k")
            reason = f"at most keep_top_k = {keep} per image"
        elif t == "Embed":
            p = l["embed_param"][0]
            k, n = int(one(p, "input_dim")), int(one(p, "num_output"))
            y = x + [n]
            blobs = [[k, n]] + ([[n]] if one(p, "bias_term", "true") == "true" else [])
        elif t in ("LSTM", "RNN"):
            h = int(one(l["recurrent_param"][0], "num_output"))
            tt, n, i = x[0], x[1], prod(x[2:])
            y = [tt, n, h]
            if t == "LSTM":
                blobs = [[4 * h, i], [4 * h], [4 * h, h]]
                macs = tt * n * (4 * h * i + 4 * h * h)
            else:
                blobs = [[h, i], [h], [h, h], [h, h], [h]]
                macs = tt * n * (h * i + h * h + h * h)
        else:
            raise ValueError(f"no rule for {t}")
        for top in l["top"]:
            shapes[top] = y
        stats = [[x[1]], [x[1]], [1]] if t == "BatchNorm" else []
        rows.append({"name": name, "type": t, "output_shape": y, "blobs": blobs or stats,
                     "params": sum(prod(b) for b in blobs), "macs": macs,
                     **({"runtime_reason": reason} if reason else {})})
    return shapes, rows


# --- (b) OpenCV: a .caffemodel of random blobs, in protobuf's wire format -------------------------
def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, payload):  # length-delimited field
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def caffemodel(rows, seed=7):
    import numpy as np
    rng = np.random.default_rng(seed)
    layers = b""
    for r in rows:
        if not r["blobs"]:
            continue
        blobs = b""
        for dims in r["blobs"]:
            shape = field(1, b"".join(varint(d) for d in dims))  # BlobShape.dim, packed
            data = rng.standard_normal(prod(dims)).astype("<f4") * 0.05
            if r["type"] == "BatchNorm":
                data = np.abs(data) + (1 if len(dims) == 1 and dims[0] == 1 else 0.5)
            blobs += field(7, field(7, shape) + field(5, data.tobytes()))  # BlobProto.shape, .data
        layers += field(100, field(1, r["name"].encode()) + field(2, r["type"].encode()) + blobs)
    return layers


def opencv_shapes(path, rows, in_shapes):
    import cv2
    with tempfile.NamedTemporaryFile(suffix=".caffemodel", delete=False) as f:
        f.write(caffemodel(rows))
    net = cv2.dnn.readNetFromCaffe(str(path), f.name)
    ids, _ins, outs = net.getLayersShapes(in_shapes)
    return cv2.__version__, {net.getLayer(int(i)).name: [int(v) for v in o[0].flatten()]
                             for i, o in zip(ids, outs) if len(o)}


def main():
    for stem in FILES:
        path = ROOT / f"{stem}.prototxt"
        net = parse(path.read_text())
        shapes, rows = formulas(net)
        ins = [shapes[n] for n in net.get("input", [])] or [
            [int(v) for v in s["dim"]] for l in net["layer"] if one(l, "type") == "Input"
            for s in l["input_param"][0]["shape"]]
        oracle = "formulas only"
        try:
            version, cv = opencv_shapes(path, rows, ins[0] if len(ins) == 1 else ins)
            checked = 0
            for r in rows:
                mine = r["output_shape"]
                theirs = cv.get(r["name"])
                if theirs is None or None in mine:
                    continue
                # OpenCV drops trailing unit axes on some layers: compare element counts then.
                if theirs != mine and prod(theirs) != prod(mine):
                    raise SystemExit(f"{stem} {r['name']}: formulas {mine}, OpenCV {theirs}")
                checked += 1
            oracle = f"OpenCV {version}: {checked} layer shapes equal"
        except ImportError:
            pass
        except Exception as e:  # cv2.error: a layer OpenCV's importer lacks (Embed)
            oracle = f"formulas only; OpenCV: {str(e).strip().splitlines()[-1][:120]}"
        ref = {"model": stem, "oracle": oracle,
               "totals": {"params": sum(r["params"] for r in rows), "macs": sum(r["macs"] for r in rows)},
               "layers": [{k: r[k] for k in ("name", "type", "output_shape", "params", "macs", "runtime_reason")
                           if k in r} for r in rows]}
        (ROOT / f"{stem}.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
        print(stem, ref["totals"], oracle)


if __name__ == "__main__":
    main()
