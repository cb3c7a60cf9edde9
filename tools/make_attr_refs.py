#!/usr/bin/python3
"""Reference values from PyTorch for the op attribute schema (src/core/ops/attrSchemas.ts) and the
backward rules that read attributes through the forward rules' helpers; used by
test/core/attrSchema.test.ts.

    /usr/bin/python3 tools/make_attr_refs.py    # writes test/fixtures/attrs/attr_refs.json

activations: a layer as written in a PyTorch or Keras source, the input x and PyTorch's output.
Keras layers have no PyTorch class here: `torch` names the PyTorch call with the same definition
(Keras ELU(alpha) = F.elu(x, alpha), LeakyReLU(negative_slope) = F.leaky_relu(x, negative_slope)).

window_grads: one ONNX AveragePool or Conv (attributes as ONNX spells them), an input X, the
weights W (Conv), an upstream gradient dY, and PyTorch autograd's dX = ∂(Σ Y·dY)/∂X. ONNX
auto_pad SAME_UPPER / SAME_LOWER is written out as the explicit pads ONNX defines
(total = (⌈x/s⌉ − 1)·s + (k − 1)·d + 1 − x; SAME_UPPER puts the extra one at the end), so
PyTorch sees F.pad then an unpadded conv.
"""
import json
import math
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "attrs" / "attr_refs.json"

# name, framework, layer as written in the source, the PyTorch call it equals
ACTIVATIONS = [
    ("torch_leaky_relu_0.2", "torch", "nn.LeakyReLU(0.2)", lambda x: nn.LeakyReLU(0.2)(x)),
    ("torch_leaky_relu_kw", "torch", "nn.LeakyReLU(negative_slope=0.3)", lambda x: nn.LeakyReLU(negative_slope=0.3)(x)),
    ("torch_elu_1.0", "torch", "nn.ELU(alpha=1.0)", lambda x: nn.ELU(alpha=1.0)(x)),
    ("torch_elu_0.5", "torch", "nn.ELU(0.5)", lambda x: nn.ELU(0.5)(x)),
    ("torch_celu_2.0", "torch", "nn.CELU(alpha=2.0)", lambda x: nn.CELU(alpha=2.0)(x)),
    ("keras_elu_1.0", "keras", "layers.ELU(alpha=1.0)", lambda x: F.elu(x, alpha=1.0)),
    ("keras_elu_2.0", "keras", "layers.ELU(alpha=2.0)", lambda x: F.elu(x, alpha=2.0)),
    ("keras_leaky_relu_0.2", "keras", "layers.LeakyReLU(negative_slope=0.2)", lambda x: F.leaky_relu(x, 0.2)),
]

# name, op, input shape, attrs (ONNX), weight shape (Conv)
WINDOWS = [
    ("avgpool_3x3_s2_p1_include", "AveragePool", [1, 2, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}, None),
    ("avgpool_3x3_s2_p1_exclude", "AveragePool", [1, 2, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, None),
    ("avgpool_3x3_s2_ceil", "AveragePool", [1, 2, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, None),
    ("avgpool_3x3_s2_p1_ceil_include", "AveragePool", [1, 2, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": 1}, None),
    ("avgpool_3x3_s2_p1_ceil_exclude", "AveragePool", [1, 2, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, None),
    ("avgpool_2x2_s2", "AveragePool", [1, 3, 6, 6], {"kernel_shape": [2, 2], "strides": [2, 2]}, None),
    ("conv_3x3_same_upper", "Conv", [1, 2, 7, 7], {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"}, [3, 2, 3, 3]),
    ("conv_4x4_s2_same_upper", "Conv", [1, 2, 7, 7], {"kernel_shape": [4, 4], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, [3, 2, 4, 4]),
    ("conv_4x4_s2_same_lower", "Conv", [1, 2, 7, 7], {"kernel_shape": [4, 4], "strides": [2, 2], "auto_pad": "SAME_LOWER"}, [3, 2, 4, 4]),
    ("conv_3x3_s2_valid", "Conv", [1, 2, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "VALID"}, [2, 2, 3, 3]),
]


def same_pads(x, k, s, d, mode):
    begins, ends = [], []
    for xi, ki, si, di in zip(x, k, s, d):
        total = max(0, (math.ceil(xi / si) - 1) * si + (ki - 1) * di + 1 - xi)
        small = total // 2
        begin = small if mode == "SAME_UPPER" else total - small
        begins.append(begin)
        ends.append(total - begin)
    return begins + ends


def window_case(name, op, shape, attrs, wshape, gen):
    x = (torch.randn(shape, generator=gen, dtype=torch.float64) * 4).round() / 4
    x.requires_grad_(True)
    k, n = attrs["kernel_shape"], len(attrs["kernel_shape"])
    s = attrs.get("strides", [1] * n)
    if op == "AveragePool":
        p = attrs.get("pads", [0] * 2 * n)
        assert p[:n] == p[n:], "PyTorch pads are symmetric"
        y = F.avg_pool2d(x, k, s, p[:n], ceil_mode=bool(attrs.get("ceil_mode", 0)),
                         count_include_pad=bool(attrs.get("count_include_pad", 0)))
        w = None
    else:
        w = (torch.randn(wshape, generator=gen, dtype=torch.float64) * 4).round() / 8
        mode = attrs["auto_pad"]
        pads = [0] * 2 * n if mode == "VALID" else same_pads(shape[2:], k, s, [1] * n, mode)
        fpad = []
        for i in reversed(range(n)):
            fpad += [pads[i], pads[i + n]]
        y = F.conv2d(F.pad(x, fpad), w, stride=s)
    dy = (torch.rand(y.shape, generator=gen, dtype=torch.float64) * 2 - 1).round(decimals=3)
    (y * dy).sum().backward()
    case = {
        "name": name,
        "op": op,
        "attrs": attrs,
        "x_shape": shape,
        "y_shape": list(y.shape),
        "x": x.detach().flatten().tolist(),
        "y": y.detach().flatten().tolist(),
        "dy": dy.flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
    }
    if w is not None:
        case["w_shape"] = wshape
        case["w"] = w.flatten().tolist()
    return case


def main():
    gen = torch.Generator().manual_seed(20261205)
    x = torch.linspace(-3, 3, 13, dtype=torch.float32).reshape(1, 13)
    activations = [
        {"name": name, "framework": fw, "layer": layer, "x": x.flatten().tolist(), "y": fn(x).flatten().tolist()}
        for name, fw, layer, fn in ACTIVATIONS
    ]
    windows = [window_case(*c, gen) for c in WINDOWS]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {"torch": torch.__version__, "script": "tools/make_attr_refs.py"}
    OUT.write_text(json.dumps({"meta": meta, "activations": activations, "window_grads": windows}, separators=(",", ":")) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {len(activations)} activations, {len(windows)} window gradients, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
