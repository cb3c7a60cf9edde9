#!/usr/bin/python3
"""PyTorch's numbers for timm's CNN builders (ground truth for the timm source corpus).

    /tmp/timm-venv/bin/python tools/make_timm_refs.py [--copy] [NAME ...]

Needs timm 1.0.29 installed over Debian's python3-torch 1.13 (a venv made with
`/usr/bin/python3 -m venv --system-site-packages`, then `pip install --no-deps timm pyyaml
safetensors huggingface-hub` from the local mirror). --copy first copies the timm files the
corpus needs (FILES) into test/fixtures/third_party/timm/ and writes their sha256 into
SOURCES.md; without it, the copies are checked to be byte-identical to the installed package,
so these numbers are the numbers of exactly those sources.

Each builder is called as a user script calls it: `resnet50()` after `from timm.models.resnet
import resnet50` (pretrained defaults to False: no network), and a few through the registry,
`timm.create_model("resnet50")` after `import timm`. The recording and the NAME.json format
are tools/torch_model_refs.py's (run_model), shared with the other source corpora, plus
"import", the import line. The input is the builder's default input_size from its
pretrained config (224x224 for most, 299 for the Inception/Xception ones, 256 for CSPNet).
"""
import hashlib
import os
import shutil
import sys

import timm
from timm.models import get_pretrained_cfg_value
from timm.models._registry import _model_to_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from torch_model_refs import write_refs  # noqa: E402

THIRD_PARTY = os.path.join(ROOT, "test", "fixtures", "third_party")
COPY = os.path.join(THIRD_PARTY, "timm")
OUT = os.path.join(THIRD_PARTY, "timm-expected")
INSTALLED = os.path.dirname(timm.__file__)

BUILDERS = [
    "resnet18", "resnet50", "resnext50_32x4d", "seresnet50",
    "efficientnet_b0", "mobilenetv2_100", "mnasnet_100", "tf_efficientnet_b0",
    "mobilenetv3_small_100", "mobilenetv3_large_100",
    "regnetx_002", "regnety_002",
    "densenet121",
    "vgg11", "vgg16_bn",
    "convnext_atto", "convnext_tiny",
    "dla34",
    "ghostnet_100",
    "rexnet_100",
    "inception_v3",
    "legacy_xception", "xception41",
    "cspresnet50", "cspdarknet53",
    "dpn68",
    "hrnet_w18_small",
]
# Builders also called through the registry, as `timm.create_model("NAME")`.
REGISTRY = ["resnet50", "efficientnet_b0", "convnext_atto"]

# The package files these builders import: the package roots, all of timm/layers (its
# __init__ imports every file), the models package's helpers, and each family's module.
# timm/data is represented by its __init__ and constants only (the model files import the
# normalisation constants from it); its other modules are absent, as unavailable imports.
FAMILIES = sorted({_model_to_module[n] for n in BUILDERS})
FILES = sorted(
    ["__init__.py", "version.py", "data/__init__.py", "data/constants.py", "models/__init__.py"]
    + [f"layers/{f}" for f in os.listdir(os.path.join(INSTALLED, "layers")) if f.endswith(".py")]
    + [f"models/{f}" for f in os.listdir(os.path.join(INSTALLED, "models")) if f.startswith("_") and f.endswith(".py")]
    + [f"models/{m}.py" for m in FAMILIES]
)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def copy_sources():
    if os.path.isdir(COPY):
        for folder, _dirs, files in os.walk(COPY):
            for f in files:
                if f.endswith(".py"):
                    os.remove(os.path.join(folder, f))
    rows = []
    for rel in FILES:
        os.makedirs(os.path.dirname(os.path.join(COPY, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(INSTALLED, rel), os.path.join(COPY, rel))
        rows.append(f"| `timm/{rel}` | `{sha(os.path.join(COPY, rel))}` |")
    with open(os.path.join(COPY, "SOURCES.md"), "w") as f:
        f.write(
            f"# timm {timm.__version__} (pytorch-image-models), test inputs only\n\n"
            "Copied unmodified from the timm wheel (`pip install timm=="
            f"{timm.__version__}`), Apache-2.0 licensed (`LICENSE`, Copyright 2019 Ross Wightman),\n"
            "by `tools/make_timm_refs.py --copy`. Only the files the corpus's builders import are here;\n"
            "the other model families that `timm/models/__init__.py` star-imports, and timm/data's\n"
            "modules other than `constants.py`, are absent (unavailable imports to the analyser).\n\n"
            "| file | sha256 |\n| --- | --- |\n" + "\n".join(rows) + "\n"
        )


def check_copies():
    bad = [rel for rel in FILES if sha(os.path.join(COPY, rel)) != sha(os.path.join(INSTALLED, rel))]
    if bad:
        sys.exit(f"copied sources differ from {INSTALLED}: {bad}")


def input_shape(name):
    return [1, *get_pretrained_cfg_value(name, "input_size")]


def module_job(name):
    """(build, call, input shape, extra) of `from timm.models.FAMILY import NAME; NAME()`."""
    imports = f"from timm.models.{_model_to_module[name]} import {name}"
    namespace = {}
    exec(imports, namespace)  # the user script's import line, verbatim
    return (lambda: namespace[name]()), f"{name}()", input_shape(name), {"import": imports}


def registry_job(name):
    """(build, call, input shape, extra) of `import timm; timm.create_model("NAME")`."""
    call = f'timm.create_model("{name}")'
    return (lambda: timm.create_model(name)), call, input_shape(name), {"import": "import timm"}


def main(argv):
    if argv[:1] == ["--copy"]:
        copy_sources()
        argv = argv[1:]
    check_copies()
    jobs = {name: module_job(name) for name in BUILDERS}
    jobs.update({f"create_model_{name}": registry_job(name) for name in REGISTRY})
    write_refs(OUT, jobs, {}, {"timm": timm.__version__}, only=argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
