#!/usr/bin/python3
"""PyTorch's numbers for one built model: the per-model recording every source corpus shares.

Used by tools/make_torchvision_refs.py (torchvision's builders) and tools/make_cifar_refs.py
(kuangliu/pytorch-cifar, pytorch/examples). A corpus script builds each model as a user script
would (seed 0, one CPU thread), and `run_model` puts it in eval mode and runs it once under
torch.no_grad() on torch.randn of the recorded input shape. `write_refs` writes the records.
One file per builder, CORPUS-expected/NAME.json:

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
import json
import math
import os
import signal
import sys
import time

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_python_sources import layer_macs  # noqa: E402

TIME_LIMIT_S = 120

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


class ModelRaised(Exception):
    """The model's own code raised (building it or running it): PyTorch refuses the model."""

    def __init__(self, error):
        first = str(error).splitlines()[0] if str(error) else ""
        super().__init__(f"{type(error).__name__}: {first}")


def _alarm(signum, frame):
    raise TimeLimit()


def run_model(name, call, input_shape, model):
    """PyTorch's numbers for one built model (the NAME.json record, see the module docstring)."""
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
    except TimeLimit:
        raise
    except Exception as e:  # noqa: BLE001 - whatever the model's forward raises
        raise ModelRaised(e) from e
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
    if "layers" not in ref:
        return json.dumps(ref, separators=(",", ":")) + "\n"
    head = {k: v for k, v in ref.items() if k != "layers"}
    text = json.dumps(head, separators=(",", ":"))[:-1]
    rows = ",\n".join(json.dumps(r, separators=(",", ":")) for r in ref["layers"])
    return f'{text},"layers":[\n{rows}\n]}}\n'


def write_refs(out_dir, jobs, skipped, index, only=None):
    """Record every job and write NAME.json plus index.json into out_dir.

    jobs: name -> (build, call, input_shape, extra): build() returns the model, call is the
    builder call as a user script writes it, extra are more fields for NAME.json (the import line).
    A build or forward that raises is recorded as {"builder", "call", "input_shape", "error"}:
    PyTorch itself refuses the model, so an analysis must not state numbers for it.
    index: fields for index.json besides the builders and the skipped ones.
    only: the names to record now (default all); index.json always lists every job.
    """
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    signal.signal(signal.SIGALRM, _alarm)
    for name in only or list(jobs):
        build, call, input_shape, extra = jobs[name]
        if name in skipped:
            print(f"{name}: skipped ({skipped[name]})")
            continue
        t0 = time.time()
        signal.alarm(TIME_LIMIT_S)
        try:
            torch.manual_seed(0)
            try:
                model = build()
            except TimeLimit:
                raise
            except Exception as e:  # noqa: BLE001 - whatever the model's constructor raises
                raise ModelRaised(e) from e
            ref = {**run_model(name, call, input_shape, model), **extra}
        except TimeLimit:
            print(f"{name}: over {TIME_LIMIT_S} s, not written")
            continue
        except ModelRaised as e:  # PyTorch's own refusal is the ground truth here
            ref = {"builder": name, "call": call, "input_shape": input_shape, **extra, "error": str(e)}
        finally:
            signal.alarm(0)
            gc.collect()
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            f.write(dump(ref))
        if "error" in ref:
            print(f"{name}: PyTorch raises {ref['error']}", flush=True)
            continue
        print(f"{name}: {time.time() - t0:.1f} s, {ref['params']} params, {ref['macs']} MACs "
              f"({ref['macs_functional'] or 'no functional products'}), {len(ref['layers'])} layer calls", flush=True)
    index = {"torch": torch.__version__, **index,
             "builders": sorted(n for n in jobs if n not in skipped), "skipped": skipped}
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1) + "\n")
