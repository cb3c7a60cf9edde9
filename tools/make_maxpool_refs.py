#!/usr/bin/python3
"""Reference gradients of max pooling from PyTorch autograd, for the MaxPool backward rule
(src/core/onnx/backwardRules.ts) and its unit test test/core/backwardMaxPool.test.ts.

    /usr/bin/python3 tools/make_maxpool_refs.py    # writes test/fixtures/maxpool/maxpool_grad.json

Each case is one ONNX MaxPool (its attributes as ONNX spells them), an input X and an upstream
gradient dY; the reference is dX = ∂(Σ Y·dY)/∂X. X is rounded to quarters and passed through a
ReLU, so windows hold ties (many all-zero) and PyTorch's rule, the first maximum in row-major
window order, is what the test checks. Symmetric pads are PyTorch's own padding; asymmetric
ONNX pads are F.pad with −inf followed by an unpadded pool, which is what they mean for MaxPool.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "maxpool" / "maxpool_grad.json"

# name, input shape, kernel, strides, pads (ONNX: begins then ends), ceil_mode, dilations, X filler
CASES = [
    ("resnet_stem_3x3_s2_p1", [1, 2, 9, 9], [3, 3], [2, 2], [1, 1, 1, 1], 0, [1, 1], "relu"),
    ("googlenet_3x3_s2_ceil", [1, 2, 8, 10], [3, 3], [2, 2], [0, 0, 0, 0], 1, [1, 1], "relu"),
    ("ceil_padded_3x3_s2_p1", [1, 2, 8, 8], [3, 3], [2, 2], [1, 1, 1, 1], 1, [1, 1], "relu"),
    ("inception_3x3_s1_p1_ceil", [1, 2, 5, 5], [3, 3], [1, 1], [1, 1, 1, 1], 1, [1, 1], "relu"),
    ("overlap_2x2_s1", [1, 2, 6, 6], [2, 2], [1, 1], [0, 0, 0, 0], 0, [1, 1], "relu"),
    ("asymmetric_3x2_s2x1_pads_0_1_2_0", [1, 2, 7, 6], [3, 2], [2, 1], [0, 1, 2, 0], 0, [1, 1], "relu"),
    ("tiled_2x2_odd_size", [1, 2, 7, 7], [2, 2], [2, 2], [0, 0, 0, 0], 0, [1, 1], "relu"),
    ("tiled_2x2_batch2", [2, 3, 4, 6], [2, 2], [2, 2], [0, 0, 0, 0], 0, [1, 1], "relu"),
    ("dilated_3x3_d2_p1", [1, 1, 7, 7], [3, 3], [1, 1], [1, 1, 1, 1], 0, [2, 2], "relu"),
    ("all_zero_3x3_s2_p1", [1, 1, 6, 6], [3, 3], [2, 2], [1, 1, 1, 1], 0, [1, 1], "zeros"),
    ("negative_3x3_s2_p1", [1, 1, 6, 6], [3, 3], [2, 2], [1, 1, 1, 1], 0, [1, 1], "negative"),
    ("pool1d_3_s2_p1", [1, 2, 11], [3], [2], [1, 1], 0, [1], "relu"),
    ("pool3d_2x3x3_s1x2x2_p0x1x1", [1, 1, 3, 6, 6], [2, 3, 3], [1, 2, 2], [0, 1, 1, 0, 1, 1], 0, [1, 1, 1], "relu"),
]

POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


def case(name, shape, k, s, pads, ceil, dil, fill, gen):
    n = len(k)
    if fill == "zeros":
        x = torch.zeros(shape, dtype=torch.float64)
    elif fill == "negative":
        # No ReLU: every value negative, so the −inf padding must never win.
        x = -1 - (torch.rand(shape, generator=gen, dtype=torch.float64) * 4).round() / 4
    else:
        x = torch.relu((torch.randn(shape, generator=gen, dtype=torch.float64) * 4).round() / 4)
    x.requires_grad_(True)
    if pads[:n] == pads[n:]:
        y = POOL[n](x, kernel_size=k, stride=s, padding=pads[:n], dilation=dil, ceil_mode=bool(ceil))
    else:
        # F.pad takes (last axis begin, last axis end, previous axis begin, …).
        fpad = []
        for i in reversed(range(n)):
            fpad += [pads[i], pads[i + n]]
        y = POOL[n](F.pad(x, fpad, value=float("-inf")), kernel_size=k, stride=s, dilation=dil, ceil_mode=bool(ceil))
    dy = (torch.rand(y.shape, generator=gen, dtype=torch.float64) * 2 - 1).round(decimals=3)
    (y * dy).sum().backward()
    attrs = {"kernel_shape": k, "strides": s, "pads": pads}
    if ceil:
        attrs["ceil_mode"] = 1
    if any(d != 1 for d in dil):
        attrs["dilations"] = dil
    return {
        "name": name,
        "attrs": attrs,
        "x_shape": shape,
        "y_shape": list(y.shape),
        "x": x.detach().flatten().tolist(),
        "dy": dy.flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
    }


def main():
    gen = torch.Generator().manual_seed(20240601)
    cases = [case(*c, gen) for c in CASES]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {"torch": torch.__version__, "script": "tools/make_maxpool_refs.py"}
    OUT.write_text(json.dumps({"meta": meta, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {len(cases)} cases, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
