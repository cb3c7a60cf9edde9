#!/usr/bin/python3
"""Reference for loading weights into a source-defined model: builds LeNet5 from
shared/fixtures/definitions/custom_models.py with a fixed seed, writes its state_dict as
test/fixtures/python/lenet5.safetensors (written by hand: the format is an 8-byte header
length, a JSON header and raw little-endian data) and PyTorch's logits for a fixed input.

    /usr/bin/python3 tools/make_safetensors_ref.py
"""
import importlib.util
import json
import pathlib
import struct

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("custom_models", ROOT.parent / "shared" / "fixtures" / "definitions" / "custom_models.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

torch.manual_seed(0)
model = mod.LeNet5().eval()
state = model.state_dict()
header, blobs, offset = {}, [], 0
for name, t in state.items():
    data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
h = json.dumps(header).encode()
out = ROOT / "test" / "fixtures" / "python"
(out / "lenet5.safetensors").write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
x = torch.linspace(0, 1, 32 * 32).reshape(1, 1, 32, 32)
with torch.no_grad():
    logits = model(x)[0].tolist()
(out / "lenet5.safetensors.logits.json").write_text(json.dumps({"input": "linspace(0, 1, 1024) as 1x1x32x32", "logits": logits}) + "\n")
print("wrote lenet5.safetensors", len(state), "tensors; logits", [round(v, 4) for v in logits])
