#!/usr/bin/python3
"""PyTorch ground truth for the source cases of test/fixtures/python/cases.

    /usr/bin/python3 tools/make_python_refs.py [FILE.py ...]

For each case file (default: every cases/*.py) and each nn.Module class with a
`# convlens: input 1x3x32x32 [int64]` comment on or just above its class line,
the class is built with no arguments and run in eval mode on zeros of that shape.
A model that runs gets {model, input_shape, output_shapes, totals: {params, macs},
layers: [{name, type, output_shape, params, macs[, calls]}]} (leaf modules in
first-call order, fixtures README conventions, see check_python_sources.record).
A model that PyTorch rejects gets {model, input_shape, error, line, numbers[, fix]}:
the first line of the exception, the 1-based line of the failing call in the case
file (innermost traceback frame in that file), the two numbers of the message that
a diagnostic should name, and for a constructor constant (Linear in_features, Conv
in_channels, BatchNorm num_features) the number it should be.
Writes cases/NAME.expected.json next to each NAME.py.
"""
import ast
import glob
import json
import os
import re
import sys
import traceback

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_python_sources import ROOT, load_module, record  # noqa: E402

CASES = os.path.join(ROOT, "test", "fixtures", "python", "cases")
INPUT_COMMENT = re.compile(r"#\s*convlens:\s*input\s+([A-Za-z0-9_×x, ]+?)(?:\s+(int64|int32|float32|float16))?\s*$", re.I)
DTYPES = {"int64": torch.int64, "int32": torch.int32, "float32": torch.float32, "float16": torch.float16}

# (pattern, kind, numbers a diagnostic should name, the constant's right value or None)
MESSAGES = [
    (r"\(\d+x(\d+) and (\d+)x\d+\)", "linear_in_features", lambda m: [m[1], m[2]], lambda m: m[1]),
    (r"to have (\d+) channels, but got (\d+) channels", "conv_in_channels", lambda m: [m[1], m[2]], lambda m: m[2]),
    (r"running_mean should contain (\d+) elements not (\d+)", "batchnorm_num_features", lambda m: [m[1], m[2]], lambda m: m[1]),
    (r"Expected size (\d+) but got size (\d+)", "cat_size", lambda m: [m[1], m[2]], None),
    (r"input size per channel: \((\d+) x \d+\)\. Kernel size: \((\d+) x \d+\)", "kernel_too_large", lambda m: [m[1], m[2]], None),
    (r"Given input size: \(\d+x(\d+)x\d+\)\. Calculated output size: \(\d+x(\d+)x\d+\)", "output_too_small", lambda m: [m[1], m[2]], None),
]


def input_specs(source):
    """{class name: (shape, dtype name)} from `# convlens: input` comments."""
    lines = source.split("\n")
    out = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        candidates = [lines[node.lineno - 1]]
        i = first - 2
        while i >= 0 and lines[i].strip().startswith(("#", "@")):
            candidates.append(lines[i].strip())
            i -= 1
        for c in candidates:
            m = INPUT_COMMENT.search(c)
            if m:
                dims = [int(d) for d in re.split(r"\s*[x×,]\s*", m.group(1).strip())]
                out[node.name] = (dims, (m.group(2) or "float32").lower())
                break
    return out


def failing_line(exc, path):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(path)]
    return frames[-1].lineno if frames else None


def describe_error(exc, path):
    first = str(exc).strip().split("\n")[0]
    entry = {"error": first, "error_type": type(exc).__name__, "line": failing_line(exc, path)}
    for pattern, kind, numbers, fix in MESSAGES:
        m = re.search(pattern, first)
        if m:
            entry["kind"] = kind
            entry["numbers"] = [int(n) for n in numbers(m)]
            if fix:
                entry["fix"] = fix(m)
            break
    return entry


def shapes(v):
    if isinstance(v, torch.Tensor):
        return [list(v.shape)]
    if isinstance(v, (tuple, list)):
        return [s for x in v for s in shapes(x)]
    return []


def make(path):
    source = open(path).read()
    mod = load_module(path)
    models = {}
    for name, (shape, dtype) in input_specs(source).items():
        cls = getattr(mod, name, None)
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            continue
        torch.manual_seed(0)
        model = cls()
        entry = {"model": name, "input_shape": shape, "input_dtype": dtype}
        try:
            out, layers, macs = record(model, shape, DTYPES[dtype])
        except Exception as exc:  # PyTorch's own shape errors are RuntimeError, some ValueError
            entry.update(describe_error(exc, path))
            models[name] = entry
            print(f"  {name}: error at line {entry['line']}: {entry['error']}")
            continue
        entry["output_shapes"] = shapes(out)
        entry["totals"] = {"params": sum(p.numel() for p in model.parameters()), "macs": macs}
        entry["layers"] = layers
        models[name] = entry
        print(f"  {name}: {len(layers)} layers, {entry['totals']['params']} params, {macs} MACs -> {entry['output_shapes']}")
    target = os.path.splitext(path)[0] + ".expected.json"
    with open(target, "w") as f:
        json.dump({"file": os.path.basename(path), "torch": torch.__version__, "models": models}, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(target, ROOT)}")


def main(argv):
    files = argv or sorted(glob.glob(os.path.join(CASES, "*.py")))
    for path in files:
        print(os.path.relpath(path, ROOT))
        make(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
