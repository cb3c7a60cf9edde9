#!/usr/bin/python3
"""PyTorch ground truth for the input sizes ConvLens assumes (test/fixtures/python/assumed_inputs.py).

    /usr/bin/python3 tools/make_assumed_input_refs.py

Each class is built with no arguments and run in eval mode on zeros of every square (1-D: every
length) input size in its scan range, with the channels of its first layer and batch 1. For each
size that runs and keeps batch 1 in the output: {output_shape, params, macs} (leaf modules hooked
as in check_python_sources.record). For each size PyTorch rejects, kept for classes that run at no
size: the first line of the error. Params (no size changes them) for every class, and what happens at the first layer's default size.
Writes test/fixtures/python/assumed_inputs.expected.json.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_python_sources import ROOT, load_module, record  # noqa: E402

SOURCE = os.path.join(ROOT, "test", "fixtures", "python", "assumed_inputs.py")
# Sizes scanned per class (PolicyNet's 192-channel convs are slow at large boards).
SCAN = {"PolicyNet": range(1, 41), "ValueHead": range(1, 41), "FullyConv": [1, 2, 3, 4, 32, 64, 224]}
DEFAULT_SCAN = range(1, 161)


def first_layer(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            return m
    raise ValueError("no conv layer")


def main():
    mod = load_module(SOURCE)
    out = {}
    for name, cls in vars(mod).items():
        if not (isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == mod.__name__):
            continue
        torch.manual_seed(0)
        model = cls()
        conv = first_layer(model)
        spatial = conv.weight.dim() - 2
        runs, errors = {}, {}
        for size in SCAN.get(name, DEFAULT_SCAN):
            shape = [1, conv.in_channels] + [size] * spatial
            try:
                y, _, macs = record(model, shape)
            except RuntimeError as e:
                line = str(e).strip().split("\n")[0]
                errors[size] = line
                continue
            if y.shape[0] != 1:
                errors[size] = f"runs, but the output batch is {y.shape[0]}"
                continue
            runs[size] = {
                "output_shape": list(y.shape),
                "params": sum(p.numel() for p in model.parameters()),
                "macs": macs,
            }
        # A class that runs somewhere is judged by its runs; the errors matter for those that never run.
        # At the first layer's default size (224; 1-D: 128) for comparison: the output shape or the error.
        try:
            y, _, _ = record(model, [1, conv.in_channels] + [224 if spatial == 2 else 128] * spatial)
            default = {"output_shape": list(y.shape)}
        except RuntimeError as e:
            default = {"error": str(e).strip().split("\n")[0]}
        out[name] = {
            "at_default_size": default,
            "rank": 2 + spatial,
            "channels": conv.in_channels,
            "params": sum(p.numel() for p in model.parameters()),
            "runs": runs,
            "errors": {} if runs else errors,
        }
        print(f"{name}: runs at {sorted(runs)[:8]}{'…' if len(runs) > 8 else ''} ({len(runs)} sizes)")
    path = os.path.splitext(SOURCE)[0] + ".expected.json"
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "classes": out}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
