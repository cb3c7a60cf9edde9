#!/usr/bin/python3
"""Reference for the Run tab's default preprocessing of colour inputs >= 64 px (ImageNet mean/std):
what PyTorch predicts on the fixtures' real photographs with torchvision's own transforms.

The fixtures' resnet18.onnx and googlenet.onnx carry no weights, so this builds the same
torchvision networks with seeded random weights (torch.manual_seed(0), weights=None; GoogLeNet's
convolutions re-initialised with He init, see build()), exports
them to ONNX (with their weights, ~50 MB together, into OUT_DIR, not committed) and records,
for each photograph (astronaut, chelsea, coffee: already 224x224, so no resize or crop), the
top-5 classes and logits with

    transforms.Compose([transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])

and the top-1 with ToTensor() alone ([0, 1]), into test/fixtures/imagenet_default/refs.json.
test/webview/imagenetDefault.test.ts runs the exported ONNX files on the Run tab's default
preprocessing and compares.

    /usr/bin/python3 tools/make_imagenet_default_refs.py [OUT_DIR]   (default /tmp/convlens-imagenet-default)
    /usr/bin/python3 tools/make_imagenet_default_refs.py --onnx-only OUT_DIR   (only the ONNX files)
"""
import json
import sys
from pathlib import Path

import torch
import torchvision
from PIL import Image
from torchvision import transforms

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
REFS = ROOT / "test" / "fixtures" / "imagenet_default" / "refs.json"
IMAGES = ["astronaut.png", "chelsea.png", "coffee.png"]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def build(name):
    torch.manual_seed(0)
    if name == "googlenet":
        m = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True)
        # torchvision's GoogLeNet init (truncated normal, std 0.01) lets the activations die out:
        # the logits would not depend on the input at all. He init, as ResNet's, keeps them alive.
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
    else:
        m = getattr(torchvision.models, name)(weights=None)
    return m.eval()


def main():
    args = sys.argv[1:]
    onnx_only = "--onnx-only" in args
    args = [a for a in args if a != "--onnx-only"]
    out_dir = Path(args[0] if args else "/tmp/convlens-imagenet-default")
    out_dir.mkdir(parents=True, exist_ok=True)
    normalise = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    unit = transforms.ToTensor()
    refs = {"torch": torch.__version__, "torchvision": torchvision.__version__, "models": {}}
    for name in ["resnet18", "googlenet"]:
        model = build(name)
        onnx_file = out_dir / f"{name}_seed0.onnx"
        with torch.no_grad():
            torch.onnx.export(model, torch.zeros(1, 3, 224, 224), str(onnx_file), opset_version=13,
                              input_names=["input"], output_names=["output"])
        if onnx_only:
            continue
        rows = []
        for image in IMAGES:
            pil = Image.open(FIXTURES / "images" / image).convert("RGB")
            assert pil.size == (224, 224), pil.size
            with torch.no_grad():
                logits = model(normalise(pil).unsqueeze(0))[0].double()
                logits_unit = model(unit(pil).unsqueeze(0))[0].double()
            top = torch.topk(logits, 5)
            x = normalise(pil)
            probes = [(c, y, xx) for c in range(3) for (y, xx) in [(0, 0), (17, 101), (112, 112), (223, 5)]]
            rows.append({
                "image": image,
                "input_channel_sums": [round(float(x[c].double().sum()), 4) for c in range(3)],
                "input_probes": [[c, y, xx, round(float(x[c, y, xx]), 6)] for (c, y, xx) in probes],
                "logits": [round(v, 6) for v in logits.tolist()],
                "unit_range_max_abs_logit_diff": round(float((logits - logits_unit).abs().max()), 6),
                "top5": top.indices.tolist(),
                "top5_logits": [round(v, 6) for v in top.values.tolist()],
                "top1_margin": round(float(top.values[0] - top.values[1]), 6),
                "top1_unit_range": int(torch.argmax(logits_unit)),
            })
        refs["models"][name] = {"onnx": onnx_file.name, "images": rows}
        print(name, [(r["image"], r["top5"][0], r["top1_margin"], r["top1_unit_range"]) for r in rows])
    if not onnx_only:
        REFS.write_text(json.dumps(refs, indent=1) + "\n")
        print(f"wrote {REFS}")


if __name__ == "__main__":
    main()
