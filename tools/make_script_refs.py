#!/usr/bin/python3
"""PyTorch ground truth for the user-script corpus test/fixtures/python/scripts.

    /usr/bin/python3 tools/make_script_refs.py [SCRIPT.py ...]

Each script runs as `__main__` (as `python script.py` would, without arguments) until it first
calls a model itself: nn.Module.__call__ is wrapped so that the first call made from outside any
module records the model, the variable the script holds it in and the tensors it was given, and
then stops the script (training loops after it never run). torchinfo's summary and pytorch_
lightning are stood in for when they are not installed (summary calls the model on zeros of its
input_size; LightningModule is nn.Module). The model is then run once more in eval mode on zeros
of the recorded shapes, with the hooks of check_python_sources.record (leaf modules in first-call
order: name, type, output shape, params, MACs). Writes scripts/NAME.expected.json in the format
of the source cases ({file, models: {variable: {model, input_shape, input_dtype, output_shapes,
totals, layers}}}).
"""
import glob
import inspect
import json
import os
import runpy
import sys
import types

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_python_sources import ROOT, _shape, layer_macs  # noqa: E402

SCRIPTS = os.path.join(ROOT, "test", "fixtures", "python", "scripts")


class Stop(Exception):
    pass


def stand_ins():
    """torchinfo and pytorch_lightning, when not installed, and torch.onnx.export (a plain call
    instead of a trace, so the recorded tensors are not tracer values): only what scripts use."""
    torch.onnx.export = lambda model, args, *_, **__: model(*(args if isinstance(args, tuple) else (args,)))
    try:
        import torchinfo  # noqa: F401
    except ImportError:
        ti = types.ModuleType("torchinfo")
        ti.summary = lambda model, input_size=None, **_: model(torch.zeros(*input_size))
        sys.modules["torchinfo"] = ti
    try:
        import pytorch_lightning  # noqa: F401
    except ImportError:
        pl = types.ModuleType("pytorch_lightning")

        class LightningModule(nn.Module):
            def save_hyperparameters(self):
                pass

        pl.LightningModule = LightningModule
        sys.modules["pytorch_lightning"] = pl


def capture(path):
    """Run the script until its first model call: (model, variable name, args, kwargs)."""
    seen = {}
    original = nn.Module.__call__
    depth = [0]

    def call(self, *args, **kwargs):
        if depth[0] == 0 and not seen:
            frame = inspect.currentframe().f_back
            while frame is not None and frame.f_code.co_filename != path:
                frame = frame.f_back
            names = [k for k, v in (frame.f_locals.items() if frame else []) if v is self]
            seen.update(model=self, name=names[0] if names else type(self).__name__, args=args, kwargs=kwargs)
            raise Stop()
        depth[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    nn.Module.__call__ = call
    old_argv = sys.argv
    sys.argv = [path]
    try:
        runpy.run_path(path, run_name="__main__")
    except Stop:
        pass
    finally:
        nn.Module.__call__ = original
        sys.argv = old_argv
    if not seen:
        raise SystemExit(f"{path}: the script never calls a model")
    return seen


def record(model, args, kwargs):
    """check_python_sources.record with the script's own arguments (as zeros of their shapes)."""
    model.eval()
    mha = [n for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]
    leaves = [(n, m) for n, m in model.named_modules()
              if n and (isinstance(m, nn.MultiheadAttention) or (not list(m.children()) and not any(n.startswith(a + ".") for a in mha)))]
    layers, by_module, total = [], {}, [0]

    def hook(name):
        def fn(m, inputs, output):
            macs = int(layer_macs(m, inputs, output))
            total[0] += macs
            if id(m) in by_module:
                by_module[id(m)]["calls"] = by_module[id(m)].get("calls", 1) + 1
                return
            out = _shape(output)
            entry = {"name": name, "type": type(m).__name__,
                     "output_shape": out[0] if isinstance(output, (tuple, list)) else out,
                     "params": sum(p.numel() for p in m.parameters(recurse=isinstance(m, nn.MultiheadAttention))),
                     "macs": macs}
            by_module[id(m)] = entry
            layers.append(entry)
        return fn

    zeros = lambda t: torch.zeros_like(t) if torch.is_tensor(t) else t  # noqa: E731
    handles = [m.register_forward_hook(hook(n)) for n, m in leaves]
    try:
        with torch.no_grad():
            out = model(*[zeros(a) for a in args], **{k: zeros(v) for k, v in kwargs.items()})
    finally:
        for h in handles:
            h.remove()
    return out, layers, total[0]


def main(paths):
    stand_ins()
    torch.set_num_threads(1)
    for path in paths:
        path = os.path.abspath(path)
        torch.manual_seed(0)
        seen = capture(path)
        model, args, kwargs = seen["model"], seen["args"], seen["kwargs"]
        out, layers, macs = record(model, args, kwargs)
        first = args[0]
        outs = [out] if torch.is_tensor(out) else list(out.values()) if isinstance(out, dict) else list(out)
        entry = {
            "model": seen["name"],
            "input_shape": list(first.shape),
            "input_dtype": str(first.dtype).replace("torch.", ""),
            "output_shapes": [list(o.shape) for o in outs if torch.is_tensor(o)],
            "totals": {"params": sum(p.numel() for p in model.parameters()), "macs": macs},
            "layers": layers,
        }
        name = os.path.basename(path)
        out_path = path[:-3] + ".expected.json"
        with open(out_path, "w") as f:
            json.dump({"file": name, "models": {seen["name"]: entry}}, f, indent=1)
            f.write("\n")
        print(f"{name}: {seen['name']} {entry['input_shape']} → {entry['output_shapes']}, "
              f"{entry['totals']['params']} params, {macs} MACs")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(glob.glob(os.path.join(SCRIPTS, "*.py"))))
