#!/usr/bin/python3
"""An attention-heavy PyTorch export for the benchmark and test/core/attentionExport.test.ts.

    /usr/bin/python3 tools/make_attention_export.py   # Debian's torch 1.13

nn.TransformerEncoder (d_model 64, 4 heads, 120 layers) on tokens [2, 16, 64], exported by
torch.onnx with dynamic_axes on the sequence length: every layer's multi-head attention becomes
Shape → Gather → Unsqueeze → Concat → Reshape arithmetic (about 10,000 nodes in all). Saved
weightless (a few hundred kB). Writes test/fixtures/attention/encoder120.onnx and
encoder120.json with PyTorch's output shape and node count.
"""
import json
import os
import pathlib

import onnx
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "attention"
LAYERS = 120


def main():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, num_layers=LAYERS, enable_nested_tensor=False).eval()
    x = torch.zeros(2, 16, 64)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "encoder120.onnx"
    torch.onnx.export(model, x, str(path), input_names=["tokens"], output_names=["y"],
                      dynamic_axes={"tokens": {1: "T"}}, opset_version=17)
    m = onnx.load(str(path))
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location="encoder120.weights.bin", size_threshold=256)
    os.remove(OUT / "encoder120.weights.bin")
    with torch.no_grad():
        y = model(x)
    with open(OUT / "encoder120.json", "w") as f:
        json.dump({"input_shape": list(x.shape), "output_shape": list(y.shape), "nodes": len(m.graph.node),
                   "op_counts": {op: sum(n.op_type == op for n in m.graph.node) for op in sorted({n.op_type for n in m.graph.node})}}, f, indent=1)
        f.write("\n")
    print(path, path.stat().st_size, len(m.graph.node))


if __name__ == "__main__":
    main()
