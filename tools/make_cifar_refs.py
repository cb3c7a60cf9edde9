#!/usr/bin/python3
"""PyTorch's numbers for every builder of kuangliu/pytorch-cifar (ground truth for that corpus).

    /usr/bin/python3 tools/make_cifar_refs.py [NAME ...]

Needs Debian's python3-torch (1.13). The sources are the unmodified copies in
test/fixtures/third_party/pytorch-cifar (SOURCES.md says from which commits); they are
imported from there, with that folder first on sys.path, exactly as a user script of the
repository imports them: `from models.resnet import ResNet18` (which runs models/__init__.py).

Every public builder of each models/*.py is called as the repository's main.py calls it
(`ResNet18()`, `VGG('VGG19')`, `ShuffleNetV2(net_size=0.5)`), on a CIFAR batch of one,
torch.randn(1, 3, 32, 32). The recording and the NAME.json format are
tools/torch_model_refs.py's (run_model), with one more field, "import": the import line
of the user script. A builder whose construction or forward raises in PyTorch 1.13 (code
written for Python 2 or an older PyTorch) is written with "error": PyTorch's message.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from torch_model_refs import write_refs  # noqa: E402

CORPUS = os.path.join(ROOT, "test", "fixtures", "third_party", "pytorch-cifar")
OUT = os.path.join(ROOT, "test", "fixtures", "third_party", "pytorch-cifar-expected")
CIFAR = [1, 3, 32, 32]

# (module under models/, builder function or class, call arguments as source text)
CALLS = [
    *[("vgg", "VGG", repr(n)) for n in ("VGG11", "VGG13", "VGG16", "VGG19")],
    *[("resnet", f"ResNet{d}", "") for d in (18, 34, 50, 101, 152)],
    *[("preact_resnet", f"PreActResNet{d}", "") for d in (18, 34, 50, 101, 152)],
    *[("densenet", f"DenseNet{d}", "") for d in (121, 169, 201, 161)],
    ("densenet", "densenet_cifar", ""),
    ("dla", "DLA", ""),
    ("dla_simple", "SimpleDLA", ""),
    ("dpn", "DPN26", ""),
    ("dpn", "DPN92", ""),
    ("efficientnet", "EfficientNetB0", ""),
    ("googlenet", "GoogLeNet", ""),
    ("lenet", "LeNet", ""),
    ("mobilenet", "MobileNet", ""),
    ("mobilenetv2", "MobileNetV2", ""),
    ("pnasnet", "PNASNetA", ""),
    ("pnasnet", "PNASNetB", ""),
    *[("regnet", n, "") for n in ("RegNetX_200MF", "RegNetX_400MF", "RegNetY_400MF")],
    ("resnext", "ResNeXt29", ""),
    ("senet", "SENet18", ""),
    ("shufflenet", "ShuffleNetG2", ""),
    ("shufflenet", "ShuffleNetG3", ""),
    *[("shufflenetv2", "ShuffleNetV2", f"net_size={s}") for s in ("0.5", "1", "1.5", "2")],
    ("acn", "ACN", ""),
    ("xception", "xception", ""),
]


def job(module, builder, args):
    """(name, (build, call, input shape, extra fields)) of one builder call."""
    call = f"{builder}({args})"
    name = re.sub(r"[^A-Za-z0-9.]+", "_", f"{builder}_{args}" if args else builder).strip("_")
    imports = f"from models.{module} import {builder}"

    def build():
        namespace = {}
        exec(f"{imports}\nmodel = {call}", namespace)  # the user script's two lines, verbatim
        return namespace["model"]

    return name, (build, call, CIFAR, {"import": imports})


def main(argv):
    sys.path.insert(0, CORPUS)
    jobs = dict(job(*c) for c in CALLS)
    write_refs(OUT, jobs, {}, {"corpus": "kuangliu/pytorch-cifar"}, only=argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
