#!/usr/bin/python3
"""Writes media/imagenet1k-labels.txt: the 1,000 ImageNet-1k (ILSVRC-2012) class names, one per
line in class-index order, as torchvision lists them (`_IMAGENET_CATEGORIES` in
torchvision/models/_meta.py, torchvision is BSD-3-Clause licensed). The Run tab uses them when a
model's output has 1,000 classes and no labels.txt lies beside the model.

    /usr/bin/python3 tools/make_imagenet_labels.py
"""
from pathlib import Path

from torchvision.models._meta import _IMAGENET_CATEGORIES

out = Path(__file__).resolve().parent.parent / "media" / "imagenet1k-labels.txt"
assert len(_IMAGENET_CATEGORIES) == 1000
out.write_text("".join(f"{name}\n" for name in _IMAGENET_CATEGORIES), encoding="utf-8")
print(f"wrote {out} ({len(_IMAGENET_CATEGORIES)} labels)")
