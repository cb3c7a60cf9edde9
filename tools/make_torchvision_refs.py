#!/usr/bin/python3
"""PyTorch's numbers for every torchvision 0.14 builder (ground truth for the source corpus).

    /usr/bin/python3 tools/make_torchvision_refs.py [NAME ...]

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14) under /usr/lib/python3.
The model sources the analyser reads are the copies in test/fixtures/third_party/torchvision;
before anything runs, every copied .py file is checked to be byte-identical to the installed
package, so these numbers are the numbers of exactly those sources.

Each builder is called as a user script calls it (`torchvision.models.resnet34()`, no
weights; the exact call is recorded as "call"), put in eval mode, and run once under
torch.no_grad() on torch.randn of the recorded input shape (seed 0, one CPU thread).
The recording and the NAME.json format are tools/torch_model_refs.py's (run_model),
shared with the other source corpora.
"""
import hashlib
import os
import sys

import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from torch_model_refs import write_refs  # noqa: E402

COPY = os.path.join(ROOT, "test", "fixtures", "third_party", "torchvision")
OUT = os.path.join(ROOT, "test", "fixtures", "third_party", "torchvision-expected")

IMG = [1, 3, 224, 224]
CLIP = [1, 3, 16, 112, 112]
SEG = [1, 3, 256, 256]  # smaller than the 520 of the weights' transforms: any size is valid
NO_BACKBONE = {"weights_backbone": None}  # the default would download ImageNet weights

CLASSIFICATION = [
    "alexnet",
    *[f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")],
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
    "squeezenet1_0", "squeezenet1_1",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "inception_v3", "googlenet",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    *[f"efficientnet_b{i}" for i in range(8)], "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    *[f"regnet_{k}_{s}" for k, sizes in (("x", ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")),
                                         ("y", ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")))
      for s in sizes],
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
    "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14",
    "swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b",
    "maxvit_t",
]
# name -> (module path under torchvision, keyword arguments, input shape)
BUILDERS = {n: ("models", {}, [1, 3, 299, 299] if n == "inception_v3" else IMG) for n in CLASSIFICATION}
for _n in ("r3d_18", "mc3_18", "r2plus1d_18"):
    BUILDERS[_n] = ("models.video", {}, CLIP)
# S3D ends in an AvgPool3d((2, 7, 7)); MViT is built for 16 frames of 224x224.
for _n in ("s3d", "mvit_v1_b", "mvit_v2_s"):
    BUILDERS[_n] = ("models.video", {}, [1, 3, 16, 224, 224])
for _n in ("fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
           "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"):
    BUILDERS[_n] = ("models.segmentation", NO_BACKBONE, SEG)

# Builders left out, with the reason (kept here so that reruns are deterministic).
SKIPPED = {
    "vit_h_14": "over 120 s on one shared CPU thread (632 M params, 167 GMACs); the same code as vit_b_16/vit_l_16",
}

def job(name):
    """(build, call, input shape, extra fields) of one builder, as a user script calls it."""
    where, kwargs, input_shape = BUILDERS[name]
    module = torchvision
    for part in where.split("."):
        module = getattr(module, part)
    builder = getattr(module, name)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return (lambda: builder(**kwargs)), f"torchvision.{where}.{name}({args})", input_shape, {}


def check_copies():
    """The copied sources must be exactly the installed package's."""
    installed = os.path.dirname(torchvision.__file__)
    bad = []
    for folder, _dirs, files in os.walk(COPY):
        for f in files:
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(folder, f), COPY)
            a = open(os.path.join(COPY, rel), "rb").read()
            b = open(os.path.join(installed, rel), "rb").read()
            if hashlib.sha256(a).digest() != hashlib.sha256(b).digest():
                bad.append(rel)
    if bad:
        sys.exit(f"copied sources differ from {installed}: {bad}")


def main(argv):
    check_copies()
    jobs = {name: job(name) for name in BUILDERS}
    write_refs(OUT, jobs, SKIPPED, {"torchvision": torchvision.__version__}, only=argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
