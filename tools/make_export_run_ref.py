#!/usr/bin/python3
"""Reference for the end-to-end test of Export with PyTorch + the Run tab: PyTorch's logits and
top-1 for LeNet5 (shared/fixtures/definitions/custom_models.py) with the weights of
test/fixtures/weights/lenet5_fp16.pth (tools/make_pth_ref.py) on the bundled sample image
media/samples/images/digit_3.png, preprocessed as the Run tab's "[0,1]" preset does for a
1-channel input: grayscale pixel / 255, 1x1x32x32, no mean/std.

    /usr/bin/python3 tools/make_export_run_ref.py

Writes test/fixtures/weights/lenet5_fp16_digit_3.ref.json.
"""
import importlib.util
import json
import pathlib

import numpy as np
import torch
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "custom_models", ROOT.parent / "shared" / "fixtures" / "definitions" / "custom_models.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

model = mod.LeNet5().eval()
state = torch.load(ROOT / "test" / "fixtures" / "weights" / "lenet5_fp16.pth", map_location="cpu")
model.load_state_dict({k: v.float() for k, v in state.items()})
image = Image.open(ROOT / "media" / "samples" / "images" / "digit_3.png").convert("L")
assert image.size == (32, 32), image.size
x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).reshape(1, 1, 32, 32)
with torch.no_grad():
    logits = model(x)[0].tolist()
ranked = sorted(range(len(logits)), key=lambda i: -logits[i])
out = {
    "model": "LeNet5 of custom_models.py with lenet5_fp16.pth (random weights, seed 0: not a trained classifier)",
    "image": "media/samples/images/digit_3.png",
    "preprocessing": "grayscale pixel / 255 -> float32 1x1x32x32 (no mean/std)",
    "torch": torch.__version__,
    "logits": logits,
    "top1": ranked[0],
    "margin": logits[ranked[0]] - logits[ranked[1]],
}
path = ROOT / "test" / "fixtures" / "weights" / "lenet5_fp16_digit_3.ref.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("top-1", out["top1"], "margin", round(out["margin"], 5))
