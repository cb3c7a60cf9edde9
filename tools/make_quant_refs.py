#!/usr/bin/env python3
"""How the quantized ResNet-18 fixtures store each conv's input and weight, read by the onnx package
(test/webview/quantDetails.test.ts checks the details pane's Quantization rows against it).

    /usr/bin/python3 tools/make_quant_refs.py

Writes test/fixtures/quantized/quant_params.json: per model, per conv node name, the quantized
values it reads (QDQ: through DequantizeLinear; QLinearConv: its own operands) as
{value, dtype, scale (first 8), zero_point (first 8), scale_count}.
"""
import json
import pathlib

import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIR = ROOT / "test" / "fixtures" / "quantized"


def values(inits, name):
    t = inits.get(name)
    if t is None or t.data_location == onnx.TensorProto.EXTERNAL:
        return None
    return numpy_helper.to_array(t).reshape(-1)


def dtype_of(m, inits, name):
    if name in inits:
        return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[inits[name].data_type].name
    producer = next((n for n in m.graph.node if name in n.output), None)
    if producer is not None and producer.op_type == "QuantizeLinear":
        return dtype_of(m, inits, producer.input[2])
    return None


def entry(m, inits, value, scale, zp):
    s = values(inits, scale)
    z = values(inits, zp)
    return {
        "value": value,
        "dtype": dtype_of(m, inits, value) or dtype_of(m, inits, zp),
        "scale": None if s is None else [float(x) for x in s[:8]],
        "zero_point": None if z is None else [int(x) for x in z[:8]],
        "scale_count": None if s is None else int(s.size),
    }


def main():
    out = {}
    for name in ["resnet18_qdq", "resnet18_qlinear"]:
        m = onnx.load(str(DIR / f"{name}.onnx"), load_external_data=False)
        inits = {t.name: t for t in m.graph.initializer}
        by_output = {o: n for n in m.graph.node for o in n.output}
        convs = {}
        for n in m.graph.node:
            if n.op_type == "Conv":
                dq = [by_output.get(i) for i in n.input]
                convs[n.name] = [entry(m, inits, d.input[0], d.input[1], d.input[2])
                                 for d in dq if d is not None and d.op_type == "DequantizeLinear"]
            elif n.op_type == "QLinearConv":
                convs[n.name] = [entry(m, inits, n.input[0], n.input[1], n.input[2]),
                                 entry(m, inits, n.input[3], n.input[4], n.input[5])]
        out[name] = convs
    (DIR / "quant_params.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
