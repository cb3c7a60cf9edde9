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
One file per builder, test/fixtures/third_party/torchvision-expected/NAME.json:

    {"builder", "call", "input_shape", "params", "output_shapes", "macs",
     "macs_modules", "macs_functional", "uncalled", "layers": [[path, type, shape, macs], ...]}

- params: sum(p.numel() for p in model.parameters()).
- output_shapes: [[key, shape], ...]: key "" for a tensor output, the dict key for an
  OrderedDict output (segmentation: "out"), the index for a tuple.
- layers: every call of a convolution, linear, pooling or nn.MultiheadAttention leaf module,
  in call order (a module called twice has two entries), recorded with forward hooks:
  module path as named_modules() names it, class name, output shape (first tensor of a
  tuple output), MACs of that call (tools/check_python_sources.py's layer_macs: conv
  N*C_out*spatial_out*C_in/groups*kernel, linear out_numel*in_features, pools 0, bias not
  counted; nn.MultiheadAttention the four projections plus the two attention products,
  batch*(4*L*E*E + 2*L*L*E)).
- uncalled: convolution/linear/pooling leaf modules that exist but never run as modules in
  eval mode (Inception/GoogLeNet auxiliary heads, Swin's qkv/proj whose weights are used
  through F.linear, MultiheadAttention's out_proj).
- macs = macs_modules + sum(macs_functional). macs_modules sums layer_macs over every call
  of every module that layer_macs counts. macs_functional counts the matrix products a
  forward method computes itself, outside any such module: a torch.overrides.TorchFunctionMode
  sees every torch.matmul / Tensor.matmul / @ / mm / bmm / baddbmm / addmm / einsum /
  F.linear / F.bilinear / F.conv* call while no counted module is running (inside one, the
  module's own functional calls are already in its layer_macs). MACs: out.numel() * k for a
  product contracting k (matmul family, F.linear: k = in_features), out.numel() times the
  product of the summed-over letters for einsum, the conv formula for F.conv*. This is how
  attention is counted: ViT's nn.MultiheadAttention through layer_macs; Swin's
  F.linear(qkv/proj weights), q @ k^T and attn @ v, MaxViT's einsums and MViT's matmuls and
  relative-position einsums through the functional counter (torch 1.13 has no
  F.scaled_dot_product_attention).
"""
import gc
import hashlib
import json
import math
import os
import signal
import sys
import time

import torch
import torch.nn as nn
import torchvision
from torch.overrides import TorchFunctionMode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from check_python_sources import layer_macs  # noqa: E402

COPY = os.path.join(ROOT, "test", "fixtures", "third_party", "torchvision")
OUT = os.path.join(ROOT, "test", "fixtures", "third_party", "torchvision-expected")
TIME_LIMIT_S = 120

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

LAYER_TYPES = (
    nn.modules.conv._ConvNd,
    nn.Linear,
    nn.Bilinear,
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
    nn.modules.pooling._LPPoolNd,
    nn.MultiheadAttention,
)
# Modules whose layer_macs is their whole cost: functional calls inside them are not counted again.
MAC_MODULES = (nn.modules.conv._ConvNd, nn.Linear, nn.Bilinear, nn.MultiheadAttention, nn.LSTM)
PRODUCTS = {"matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "baddbmm", "addmm", "addbmm", "linear"}
CONVS = {"conv1d", "conv2d", "conv3d"}
CONV_TRANSPOSES = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}


def functional_macs(name, args, kwargs, out):
    """MACs of one functional call (0 for anything that is not a product)."""
    if not isinstance(out, torch.Tensor):
        return 0
    if name in PRODUCTS:
        if name == "linear":
            weight = args[1] if len(args) > 1 else kwargs["weight"]
            return out.numel() * weight.shape[-1]
        a = args[1] if name in ("baddbmm", "addmm", "addbmm") else args[0]
        if name == "__rmatmul__":
            a = args[1]
        if name == "addbmm":  # sum over the batch of products
            return a.shape[0] * out.numel() * a.shape[-1]
        return out.numel() * a.shape[-1]
    if name == "bilinear":
        w = args[2]
        return out.numel() * w.shape[1] * w.shape[2]
    if name in CONVS:
        w = args[1] if len(args) > 1 else kwargs["weight"]
        return out.numel() * math.prod(w.shape[1:])
    if name in CONV_TRANSPOSES:
        w = args[1] if len(args) > 1 else kwargs["weight"]
        return args[0].numel() * math.prod(w.shape[1:])
    if name == "einsum":
        eq = args[0].replace(" ", "")
        ops = args[1:] if len(args) > 2 or not isinstance(args[1], (list, tuple)) else args[1]
        lhs, rhs = eq.split("->") if "->" in eq else (eq, None)
        sizes = {}
        for term, t in zip(lhs.split(","), ops):
            letters = [c for c in term.replace("...", "") if c.isalpha()]
            # letters after an ellipsis align with the trailing dimensions
            if "..." in term:
                head, tail = term.split("...")
                dims = list(t.shape[: len(head)]) + list(t.shape[t.dim() - len(tail):])
            else:
                dims = list(t.shape)
            for c, d in zip(letters, dims):
                sizes[c] = d
        if rhs is None:
            rhs = "".join(sorted(c for c in sizes if lhs.count(c) == 1))
        summed = [c for c in sizes if c not in rhs]
        return out.numel() * math.prod(sizes[c] for c in summed)
    return 0


class ProductCounter(TorchFunctionMode):
    """Counts the matrix products computed outside any counted module (see the docstring)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.macs = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self.depth == 0:
            name = getattr(func, "__name__", "")
            macs = functional_macs(name, args, kwargs, out)
            if macs:
                key = "matmul" if name in ("__matmul__", "__rmatmul__") else name
                self.macs[key] = self.macs.get(key, 0) + macs
        return out


def shape_of(v):
    while isinstance(v, (tuple, list)) and v:
        v = v[0]
    return list(v.shape) if isinstance(v, torch.Tensor) else None


def output_shapes(out):
    if isinstance(out, torch.Tensor):
        return [["", list(out.shape)]]
    if isinstance(out, dict):
        return [[k, shape_of(v)] for k, v in out.items()]
    if isinstance(out, (tuple, list)):
        return [[str(i), shape_of(v)] for i, v in enumerate(out)]
    raise TypeError(f"unexpected output {type(out).__name__}")


class TimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise TimeLimit()


def run(name):
    where, kwargs, input_shape = BUILDERS[name]
    module = torchvision
    for part in where.split("."):
        module = getattr(module, part)
    builder = getattr(module, name)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    call = f"torchvision.{where}.{name}({args})"
    torch.manual_seed(0)
    model = builder(**kwargs)
    model.eval()
    params = sum(p.numel() for p in model.parameters())

    counter = ProductCounter()
    layers, calls, module_macs = [], {}, [0]
    handles = []
    for path, m in model.named_modules():
        is_layer = isinstance(m, LAYER_TYPES) and not list(m.children()) or isinstance(m, nn.MultiheadAttention)
        counts = isinstance(m, MAC_MODULES)
        if not (is_layer or counts):
            continue

        def pre(m, inputs, counts=counts):
            if counts:
                counter.depth += 1

        def post(m, inputs, output, path=path, is_layer=is_layer, counts=counts):
            if counts:
                counter.depth -= 1
            if counter.depth > 0:  # a module inside a counted module (MultiheadAttention's out_proj)
                return
            if not inputs and isinstance(m, nn.MultiheadAttention):
                # called with keywords (ViT: query=x, ...), which 1.13's hooks do not see; the
                # attention output has the query's length, batch and width
                inputs = (output[0],)
            macs = layer_macs(m, inputs, output)
            module_macs[0] += macs
            calls[path] = calls.get(path, 0) + 1
            if is_layer:
                layers.append([path, type(m).__name__, shape_of(output), macs])

        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    uncalled = [p for p, m in model.named_modules()
                if p and isinstance(m, LAYER_TYPES) and not list(m.children()) and p not in calls]
    x = torch.randn(*input_shape)
    try:
        with torch.no_grad(), counter:
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    uncalled = [p for p in uncalled if p not in calls]
    functional = dict(sorted(counter.macs.items()))
    return {
        "builder": name,
        "call": call,
        "input_shape": input_shape,
        "params": params,
        "output_shapes": output_shapes(out),
        "macs": module_macs[0] + sum(functional.values()),
        "macs_modules": module_macs[0],
        "macs_functional": functional,
        "uncalled": uncalled,
        "layers": layers,
    }


def dump(ref):
    head = {k: v for k, v in ref.items() if k != "layers"}
    text = json.dumps(head, separators=(",", ":"))[:-1]
    rows = ",\n".join(json.dumps(r, separators=(",", ":")) for r in ref["layers"])
    return f'{text},"layers":[\n{rows}\n]}}\n'


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
    torch.set_num_threads(1)
    check_copies()
    os.makedirs(OUT, exist_ok=True)
    names = argv or list(BUILDERS)
    signal.signal(signal.SIGALRM, _alarm)
    for name in names:
        if name in SKIPPED:
            print(f"{name}: skipped ({SKIPPED[name]})")
            continue
        t0 = time.time()
        signal.alarm(TIME_LIMIT_S)
        try:
            ref = run(name)
        except TimeLimit:
            print(f"{name}: over {TIME_LIMIT_S} s, not written")
            continue
        finally:
            signal.alarm(0)
            gc.collect()
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            f.write(dump(ref))
        print(f"{name}: {time.time() - t0:.1f} s, {ref['params']} params, {ref['macs']} MACs "
              f"({ref['macs_functional'] or 'no functional products'}), {len(ref['layers'])} layer calls", flush=True)
    index = {"torch": torch.__version__, "torchvision": torchvision.__version__,
             "builders": sorted(n for n in BUILDERS if n not in SKIPPED), "skipped": SKIPPED}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
