#!/usr/bin/python3
"""Check PyTorch model sources against shared/fixtures/expected with real PyTorch.

    /usr/bin/python3 tools/check_python_sources.py [FILE.py CLASS=expected_name ...]

Without arguments the torchvision-style fixtures of test/fixtures/python are checked.
Each class is instantiated with no arguments, run in eval mode on zeros of the
expected input shape, and its leaf modules are recorded with forward hooks in
first-call order (name = module path, type, output shape, own params, MACs); the
result must equal expected/NAME.json layer by layer, and the totals too.
`record` is shared with tools/make_python_refs.py.
"""
import importlib.util
import json
import math
import os
import sys

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED = os.path.join(ROOT, "..", "shared", "fixtures", "expected")
DEFAULT = {
    "test/fixtures/python/torchvision_style.py": {"ResNet18": "resnet18", "VGG16": "vgg16", "MobileNetV2": "mobilenet_v2"},
    "test/fixtures/python/torchvision_more.py": {"AlexNet": "alexnet", "SqueezeNet1_1": "squeezenet1_1", "GoogLeNetNoAux": "googlenet"},
    "test/fixtures/python/torchvision_more2.py": {"DenseNet121": "densenet121", "R3D18": "r3d_18"},
}


def load_module(path):
    name = "src_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _shape(v):
    if isinstance(v, torch.Tensor):
        return list(v.shape)
    if isinstance(v, (tuple, list)):
        return [_shape(x) for x in v]
    return None


def _first_tensor(v):
    while isinstance(v, (tuple, list)) and v:
        v = v[0]
    return v if isinstance(v, torch.Tensor) else None


def layer_macs(m, inputs, output):
    """MACs of one call, batch included, bias not counted (fixtures README)."""
    out = _first_tensor(output)
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return inputs[0].numel() * math.prod(m.weight.shape[1:])
    if isinstance(m, nn.modules.conv._ConvNd):
        return out.numel() * math.prod(m.weight.shape[1:])
    if isinstance(m, nn.Linear):
        return out.numel() * m.in_features
    if isinstance(m, nn.Bilinear):
        return out.numel() * m.in1_features * m.in2_features
    if isinstance(m, nn.MultiheadAttention):
        # The four projections and the two attention products (what flop_counter counts as matmuls):
        # query length L, key length S (cross-attention), key / value widths kdim / vdim.
        q = inputs[0]
        k = inputs[1] if len(inputs) > 1 else q
        length, batch = (q.shape[1], q.shape[0]) if m.batch_first else (q.shape[0], q.shape[1])
        keys = k.shape[1] if m.batch_first else k.shape[0]
        e = m.embed_dim
        return batch * (2 * length * e * e + keys * (m.kdim + m.vdim) * e + 2 * length * keys * e)
    if isinstance(m, nn.RNNCellBase):
        # One step of the gate matrix products: gates * (input + hidden) * hidden per batch element.
        gates = {nn.LSTMCell: 4, nn.GRUCell: 3, nn.RNNCell: 1}[type(m)]
        batch = inputs[0].shape[0] if inputs[0].dim() == 2 else 1
        return gates * (m.input_size + m.hidden_size) * m.hidden_size * batch
    if isinstance(m, nn.RNNBase):
        # Gate matrix products per step and direction: LSTM 4, GRU 3, plain RNN 1.
        gates = {"LSTM": 4, "GRU": 3}.get(m.mode, 1)
        x = inputs[0]
        seq = x.shape[1] if m.batch_first else x.shape[0]
        batch = (x.shape[0] if m.batch_first else x.shape[1]) if x.dim() == 3 else 1
        if x.dim() == 2:
            seq = x.shape[0]
        dirs = 2 if m.bidirectional else 1
        h = m.hidden_size
        total = 0
        for layer in range(m.num_layers):
            size_in = m.input_size if layer == 0 else h * dirs
            total += dirs * gates * (size_in + h) * h * seq * batch
        return total
    return 0


def record(model, input_shape, dtype=torch.float32):
    """Run one forward on zeros; return (output, layers, total_macs). Raises what the model raises."""
    model.eval()
    # MultiheadAttention counts as one layer: its out_proj child is never called as a module.
    mha = [n for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]
    leaves = [(n, m) for n, m in model.named_modules()
              if n and (isinstance(m, nn.MultiheadAttention) or (not list(m.children()) and not any(n.startswith(a + ".") for a in mha)))]
    if not list(model.children()):
        leaves = [("", model)]
    layers, by_module, total = [], {}, [0]

    def hook(name):
        def fn(m, inputs, output):
            macs = layer_macs(m, inputs, output)
            total[0] += macs
            if id(m) in by_module:
                by_module[id(m)]["calls"] = by_module[id(m)].get("calls", 1) + 1
                return
            out = _shape(output)
            entry = {
                "name": name,
                "type": type(m).__name__,
                "output_shape": out[0] if isinstance(output, (tuple, list)) else out,
                "params": sum(p.numel() for p in m.parameters(recurse=isinstance(m, nn.MultiheadAttention))),
                "macs": macs,
            }
            by_module[id(m)] = entry
            layers.append(entry)

        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in leaves]
    try:
        with torch.no_grad():
            out = model(torch.zeros(*input_shape, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return out, layers, total[0]


def check(path, cls_name, expected_name):
    exp = json.load(open(os.path.join(EXPECTED, expected_name + ".json")))
    mod = load_module(path)
    torch.manual_seed(0)
    model = getattr(mod, cls_name)()
    out, layers, macs = record(model, exp["input_shape"])
    problems = []
    params = sum(p.numel() for p in model.parameters())
    if params != exp["totals"]["params"]:
        problems.append(f"params {params} != {exp['totals']['params']}")
    if macs != exp["totals"]["macs"]:
        problems.append(f"macs {macs} != {exp['totals']['macs']}")
    if list(out.shape) != exp["output_shape"]:
        problems.append(f"output {list(out.shape)} != {exp['output_shape']}")
    if len(layers) != len(exp["layers"]):
        problems.append(f"{len(layers)} layers != {len(exp['layers'])}")
    for got, e in zip(layers, exp["layers"]):
        for key in ("name", "type", "output_shape", "params", "macs"):
            if got[key] != e[key]:
                problems.append(f"layer {e['name']}: {key} {got[key]} != {e[key]}")
        if got.get("calls", 1) != e.get("calls", 1):
            problems.append(f"layer {e['name']}: calls {got.get('calls', 1)} != {e.get('calls', 1)}")
    status = "OK" if not problems else "MISMATCH"
    print(f"{os.path.basename(path)} {cls_name} vs {expected_name}: {status} ({len(layers)} layers, {params} params, {macs} MACs)")
    for p in problems[:20]:
        print("   ", p)
    return not problems


def main(argv):
    if argv:
        table = {argv[0]: dict(a.split("=", 1) for a in argv[1:])}
    else:
        table = DEFAULT
    ok = True
    for path, classes in table.items():
        full = path if os.path.isabs(path) else os.path.join(ROOT, path)
        for cls, name in classes.items():
            ok = check(full, cls, name) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
