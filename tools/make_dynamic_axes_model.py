#!/usr/bin/python3
"""torchvision ResNet-18 exported with dynamic_axes on batch, height and width, for
test/core/dynamicAxes.test.ts.

    /usr/bin/python3 tools/make_dynamic_axes_model.py   # Debian's torch 1.13 / torchvision 0.14

Writes test/fixtures/dynamic/resnet18_dynamic.onnx (weightless: weights saved as external data and
dropped, so the file is a few kB) and resnet18_dynamic.json: for two input shapes, PyTorch's output
shape and MACs of every Conv2d / Linear (forward hooks: output elements × in_channels / groups ×
kernel area; output elements × in_features), and their total.
"""
import json
import os
import pathlib

import onnx
import torch
import torchvision

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "dynamic"
SHAPES = [[1, 3, 224, 224], [2, 3, 160, 192]]


def reference(model, shape):
    rows = []

    def hook(m, _inp, out):
        if isinstance(m, torch.nn.Conv2d):
            macs = out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            macs = out.numel() * m.in_features
        rows.append({"type": type(m).__name__, "output_shape": list(out.shape), "macs": macs})

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        y = model(torch.zeros(shape))
    for h in hs:
        h.remove()
    return {"input_shape": shape, "output_shape": list(y.shape), "layers": rows, "macs": sum(r["macs"] for r in rows)}


def main():
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "resnet18_dynamic.onnx"
    torch.onnx.export(
        model,
        torch.zeros(SHAPES[0]),
        str(path),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}},
        opset_version=17,
    )
    m = onnx.load(str(path))
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location="resnet18_dynamic.weights.bin", size_threshold=1024)
    os.remove(OUT / "resnet18_dynamic.weights.bin")
    with open(OUT / "resnet18_dynamic.json", "w") as f:
        json.dump([reference(model, s) for s in SHAPES], f, indent=1)
        f.write("\n")
    print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
