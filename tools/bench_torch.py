#!/usr/bin/python3
"""PyTorch CPU reference timings for `npm run bench` (run when Debian's python3-torch is present):
forward, saliency (input gradient of a logit) and Grad-CAM (gradient at the last conv block) for
ShapesCNN (64²) and a VGG-16-sized network (224²), with one thread (as wasm in a webview) and with
all threads. Prints one JSON object."""
import importlib.util
import json
import pathlib
import statistics
import time

import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("custom_models", ROOT.parent / "shared" / "fixtures" / "definitions" / "custom_models.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)


def vgg16():
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def timed(fn, runs):
    fn()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(t), 1)


def measure(model, shape, cam_layer, runs):
    model.eval()
    x = torch.full(shape, 0.5)

    def forward():
        with torch.no_grad():
            model(x)

    def saliency():
        xi = x.clone().requires_grad_(True)
        model(xi)[0, 0].backward()

    def gradcam():
        acts = {}
        h = cam_layer.register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
        out = model(x)
        h.remove()
        a = acts["a"]
        (g,) = torch.autograd.grad(out[0, 0], a)
        torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))

    return {"forward": timed(forward, runs), "saliency": timed(saliency, runs), "gradcam": timed(gradcam, runs)}


results = {}
torch.manual_seed(0)
shapes = mod.ShapesCNN()
big = vgg16()
for threads in sorted({1, torch.get_num_threads()}):
    torch.set_num_threads(threads)
    results[f"shapes_cnn, {threads} thread(s)"] = measure(shapes, (1, 3, 64, 64), shapes.relu3, 5)
    results[f"vgg16-sized, {threads} thread(s)"] = measure(big, (1, 3, 224, 224), big[29], 2)
print(json.dumps(results))
