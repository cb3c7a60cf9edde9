#!/usr/bin/python3
"""Reference for loading PyTorch .pth / .pt state_dicts: writes small torch.save files with
real PyTorch under test/fixtures/weights/ and, next to them, what PyTorch itself reads back
(names, shapes, dtypes and values as JSON), for the unit tests of
src/core/formats/weights/pytorchCheckpoint.ts.

    /usr/bin/python3 tools/make_pth_ref.py

The LeNet5 weights are those of tools/make_safetensors_ref.py (same seed), so they can
also be compared with test/fixtures/python/lenet5.safetensors.

  lenet5_fp16.pth        LeNet5's state_dict in float16 (float32 would be 240 KB) + .ref.json
                         (per-tensor checksums and PyTorch's logits with these weights)
  nested_module.pth      {"epoch", "state_dict": DataParallel(LeNet5).state_dict() (keys
                         "module.…", a subset), "optimizer": {…}, …} + .ref.json
  nested_deflate.pth     the same archive re-packed with deflate (torch never compresses)
  nested_zip64.pth       the same archive re-written with ZIP64 extra fields everywhere
  noncontiguous.pth      transposed, sliced, offset, expanded, permuted and shared-storage
                         tensors and every storage type + .ref.json
  wrong_shape.pth        LeNet5 keys of the wrong shape / dtype, an unexpected key
  whole_model.pth        torch.save(model) of a whole nn.Module (must be refused)
  legacy.pth             _use_new_zipfile_serialization=False (must be refused; its storage
                         keys are object ids, so its bytes differ from run to run)
  torchscript.pt         torch.jit.save of a scripted module (must be refused; bytes vary too)
"""
import collections
import importlib.util
import json
import pathlib
import struct
import zipfile
import zlib

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "weights"
OUT.mkdir(parents=True, exist_ok=True)
spec = importlib.util.spec_from_file_location("custom_models", ROOT.parent / "shared" / "fixtures" / "definitions" / "custom_models.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)


class TensorSubclass(torch.Tensor):
    pass


def values(t):
    """A tensor's values in row-major order as PyTorch reads them (floats as float32, like ConvLens)."""
    t = t.detach()
    if t.is_floating_point():
        # the shortest decimal that reads back as the same float32
        return [float(str(v)) for v in t.to(torch.float32).reshape(-1).numpy()]
    return t.to(torch.int64).reshape(-1).tolist()


def reference(sd, full=True):
    out = {}
    for name, t in sd.items():
        entry = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "contiguous": t.is_contiguous()}
        if full:
            entry["values"] = values(t)
        else:
            v = t.detach().to(torch.float64).reshape(-1)
            entry["sum"] = v.sum().item()
            entry["abs_sum"] = v.abs().sum().item()
            entry["first"] = values(t)[:4]
        out[name] = entry
    return out


def write_json(name, obj):
    (OUT / name).write_text(json.dumps(obj, separators=(",", ":")) + "\n")


def save(name, obj, **kw):
    torch.save(obj, OUT / name, **kw)


torch.manual_seed(0)
model = mod.LeNet5().eval()
state = model.state_dict()
x = torch.linspace(0, 1, 32 * 32).reshape(1, 1, 32, 32)

# --- LeNet5 in float16; PyTorch's logits for the model with these (rounded) weights, in float32.
half = collections.OrderedDict((k, v.half()) for k, v in state.items())
save("lenet5_fp16.pth", half)
rounded = mod.LeNet5().eval()
rounded.load_state_dict({k: v.float() for k, v in half.items()})
with torch.no_grad():
    logits = rounded(x)[0].tolist()
write_json("lenet5_fp16.ref.json", {"input": "linspace(0, 1, 1024) as 1x1x32x32", "logits": logits, "tensors": reference(half, full=False)})

# --- a training checkpoint: state_dict nested, DataParallel's "module." prefix, other entries.
wrapped = torch.nn.DataParallel(model).state_dict()  # OrderedDict with _metadata, keys "module.…"
for k in ["module.c3.weight", "module.c5.weight", "module.f6.weight"]:
    del wrapped[k]
checkpoint = {
    "epoch": 7,
    "state_dict": wrapped,
    "optimizer": {"lr": 0.01, "betas": (0.9, 0.999), "flags": [True, False, None], "big": 2**40, "neg": -5, "step": 70000, "name": "sgd"},
    "best_acc": 0.97,
}
save("nested_module.pth", checkpoint)
write_json("nested_module.ref.json", {"tensors": reference(collections.OrderedDict((k[len("module."):], v) for k, v in wrapped.items()))})

# The same archive with every entry deflated (as `zip -r` or an archiver would re-pack it).
with zipfile.ZipFile(OUT / "nested_module.pth") as src, zipfile.ZipFile(OUT / "nested_deflate.pth", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
        fixed.compress_type = zipfile.ZIP_DEFLATED
        dst.writestr(fixed, src.read(info.filename))


def write_zip64(src_path, dst_path):
    """Every entry with ZIP64 extra fields (sizes and offsets 0xFFFFFFFF in the headers, the real
    values in the extra field), data descriptors after the data, and the ZIP64 end records."""
    with zipfile.ZipFile(src_path) as src:
        entries = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    body, central = bytearray(), bytearray()
    for name, data in entries:
        n = name.encode()
        crc = zlib.crc32(data)
        offset = len(body)
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0x808, 0, 0, 0x21, 0, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra)) + n + extra
        body += data
        body += struct.pack("<IIQQ", 0x08074B50, crc, len(data), len(data))
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x808, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF) + n + cextra
    cd_offset = len(body)
    z64 = len(body) + len(central)
    tail = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), cd_offset)
    tail += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
    tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    pathlib.Path(dst_path).write_bytes(bytes(body + central + tail))


write_zip64(OUT / "nested_module.pth", OUT / "nested_zip64.pth")
for variant in ["nested_deflate.pth", "nested_zip64.pth"]:
    back = torch.load(OUT / variant)["state_dict"]
    assert all(torch.equal(back[k], wrapped[k]) for k in wrapped), variant

# --- tensors that are views: gathered through offset and strides.
g = torch.Generator().manual_seed(1)
base = torch.randn(2, 3, generator=g)
views = collections.OrderedDict()
views["transposed"] = torch.randn(3, 5, generator=g).t()
views["sliced"] = torch.randn(4, 6, generator=g)[:, 1:4]
views["offset"] = torch.randn(10, generator=g)[3:7]
views["shared_a"] = base
views["shared_b"] = base[1]
views["expanded"] = torch.randn(3, 1, generator=g).expand(3, 4)
views["permuted"] = torch.randn(2, 3, 4, generator=g).permute(2, 0, 1)
views["every_other"] = torch.randn(12, generator=g)[1::2]
views["scalar"] = torch.tensor(2.5)
views["empty"] = torch.zeros(0, 3)
views["f64"] = torch.randn(2, 2, generator=g, dtype=torch.float64)
views["bf16"] = torch.randn(5, generator=g).bfloat16()
views["f16_transposed"] = torch.randn(3, 2, generator=g).half().t()
views["i64"] = torch.arange(-2, 4)
views["i32"] = torch.arange(3, dtype=torch.int32) * -7
views["u8"] = torch.tensor([1, 2, 255], dtype=torch.uint8)
views["bool"] = torch.tensor([True, False, True])
views["parameter"] = torch.nn.Parameter(torch.randn(2, generator=g))  # _rebuild_parameter
views["subclass"] = torch.randn(2, generator=g).as_subclass(TensorSubclass)  # _rebuild_from_type_v2
# LeNet5's last layer stored transposed (W.t().contiguous().t(): the same values, column-major).
views["out.weight"] = state["out.weight"].t().contiguous().t()
views["out.bias"] = state["out.bias"]
assert not views["out.weight"].is_contiguous() and not views["transposed"].is_contiguous()
save("noncontiguous.pth", views)
write_json("noncontiguous.ref.json", {"tensors": reference(views)})

# --- keys that do not fit LeNet5.
g = torch.Generator().manual_seed(2)
wrong = collections.OrderedDict()
wrong["c1.weight"] = torch.randn(6, 1, 3, 3, generator=g)  # 3x3 instead of 5x5
wrong["c1.bias"] = torch.randn(6, generator=g)
wrong["c3.bias"] = torch.randn(16, generator=g).half()  # loads, as float32
wrong["f6.bias"] = torch.randn(80, generator=g)  # 80 instead of 84
wrong["out.bias"] = torch.arange(10)  # int64
wrong["extra.weight"] = torch.randn(2, generator=g)
wrong["bn.num_batches_tracked"] = torch.tensor(5)
save("wrong_shape.pth", wrong)
write_json("wrong_shape.ref.json", {"tensors": reference(wrong, full=False)})

# --- files to refuse.
torch.manual_seed(3)
save("whole_model.pth", torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU()))
save("legacy.pth", collections.OrderedDict(w=torch.ones(2)), _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), OUT / "torchscript.pt")

total = sum(p.stat().st_size for p in OUT.iterdir())
print(f"wrote {len(list(OUT.iterdir()))} files, {total / 1024:.1f} KB; fp16 logits", [round(v, 4) for v in logits])
