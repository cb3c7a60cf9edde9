#!/usr/bin/env python3
"""Quantized ResNet-18s for test/core/quantizedModels.test.ts, written by onnxruntime's own quantizer.

    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx onnxruntime
    .venv-onnx/bin/python tools/make_quantized_models.py

Input: the shared fixture /work/shared/fixtures/models/resnet18.onnx (weightless: its float weights
are filled with seeded random numbers, which changes no shape or MAC). onnxruntime.quantization
quantize_static writes
  resnet18_qdq.onnx      QuantFormat.QDQ: int8 weights → DequantizeLinear → Conv, activations
                         through QuantizeLinear/DequantizeLinear pairs;
  resnet18_qlinear.onnx  QuantFormat.QOperator: QLinearConv (Conv only; Gemm stays float).
Both are saved weightless (weights as external data, not kept) so they stay a few kB; the expected
per-layer MACs are PyTorch's, from the float model's fixture (shared/fixtures/expected/resnet18.json).
"""
import os
import pathlib
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT.parent / "shared" / "fixtures" / "models" / "resnet18.onnx"
OUT = ROOT / "test" / "fixtures" / "quantized"


class RandomImages(CalibrationDataReader):
    def __init__(self, name, n=2):
        rng = np.random.default_rng(0)
        self.items = iter([{name: rng.standard_normal((1, 3, 224, 224), dtype=np.float32)} for _ in range(n)])

    def get_next(self):
        return next(self.items, None)


def with_random_weights(path):
    m = onnx.load(str(path), load_external_data=False)
    rng = np.random.default_rng(0)
    for i, t in enumerate(m.graph.initializer):
        arr = (rng.standard_normal(tuple(t.dims)) * 0.05).astype(np.float32)
        new = numpy_helper.from_array(arr, t.name)
        m.graph.initializer[i].CopyFrom(new)
    # The exporter aliases shared biases through Identity nodes; the quantizer wants initializers.
    inits = {t.name: t for t in m.graph.initializer}
    for n in [n for n in m.graph.node if n.op_type == "Identity" and n.input[0] in inits]:
        alias = onnx.TensorProto()
        alias.CopyFrom(inits[n.input[0]])
        alias.name = n.output[0]
        m.graph.initializer.append(alias)
        m.graph.node.remove(n)
    return m


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        float_path = os.path.join(tmp, "float.onnx")
        onnx.save(with_random_weights(SRC), float_path)
        inp = onnx.load(float_path).graph.input[0].name
        for fmt, name in ((QuantFormat.QDQ, "resnet18_qdq"), (QuantFormat.QOperator, "resnet18_qlinear")):
            q = os.path.join(tmp, name + ".onnx")
            quantize_static(
                float_path,
                q,
                RandomImages(inp),
                quant_format=fmt,
                weight_type=QuantType.QInt8,
                activation_type=QuantType.QUInt8,
                op_types_to_quantize=["Conv"],
            )
            m = onnx.load(q)
            out = OUT / (name + ".onnx")
            onnx.save(m, str(out), save_as_external_data=True, all_tensors_to_one_file=True,
                      location=name + ".weights.bin", size_threshold=1024)
            os.remove(OUT / (name + ".weights.bin"))  # weightless: only shapes and dtypes are kept
            print(out, out.stat().st_size, sorted({n.op_type for n in m.graph.node}))


if __name__ == "__main__":
    main()
