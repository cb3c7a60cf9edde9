#!/usr/bin/python3
"""Expectations for the published .tflite files in test/fixtures/tflite/published/, from what each file
stores, read by tools/tflite_dump.py (the `flatbuffers` package and TensorFlow's schema.fbs; nothing of
ConvLens's TypeScript reader):
- every operator's output shape is the shape the file stores for its first output tensor;
- params: the elements of the constant tensors an operator reads, where they are weights (float data, or
  quantized data with a scale); plain int32/int64 constants are operands such as paddings, shapes, sizes
  and axes, not weights;
- MACs from the stored shapes: output elements × kernel area × weight input channels for CONV_2D,
  output elements × kernel area for DEPTHWISE_CONV_2D, output elements × input features for
  FULLY_CONNECTED, input elements × output channels × kernel area for TRANSPOSE_CONV and MediaPipe's
  Convolution2DTransposeBias, output elements × the contracted dim for BATCH_MATMUL, 0 for the rest.
A row is named after the operator's first output tensor (up to the first ";", as TFLite converters join
fused op names), typed by its builtin code or "CUSTOM <code>".

    /usr/bin/python3 -m venv --system-site-packages /tmp/tfl && /tmp/tfl/bin/pip install flatbuffers
    /tmp/tfl/bin/python tools/make_tflite_published.py
"""
import json
import math
import pathlib

from tflite_dump import dump

DIR = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "tflite" / "published"
ELEMENT_BYTES = {"FLOAT32": 4, "FLOAT16": 2, "FLOAT64": 8, "INT8": 1, "UINT8": 1, "INT16": 2, "INT32": 4,
                 "INT64": 8}


def elements(t):
    return math.prod(t["shape"])


def is_weight(t):
    return t["constant"] and (t["dtype"].startswith("FLOAT") or t["scale"] is not None)


def macs(op, T):
    ins = [T[k] if k >= 0 else None for k in op["inputs"]]
    out = T[op["outputs"][0]]
    code = op["code"]
    if code == "CONV_2D":
        _, kh, kw, cin = ins[1]["shape"]
        return elements(out) * kh * kw * cin
    if code == "DEPTHWISE_CONV_2D":
        _, kh, kw, _ = ins[1]["shape"]
        return elements(out) * kh * kw
    if code == "FULLY_CONNECTED":
        return elements(out) * ins[1]["shape"][1]
    if code == "TRANSPOSE_CONV":
        cout, kh, kw, _ = ins[1]["shape"]
        return elements(ins[2]) * cout * kh * kw
    if code == "Convolution2DTransposeBias":
        cout, kh, kw, _ = ins[1]["shape"]
        return elements(ins[0]) * cout * kh * kw
    if code == "BATCH_MATMUL":
        return elements(out) * ins[0]["shape"][-1]
    return 0


def expected(path):
    d = dump(path.read_bytes())
    T = d["tensors"]
    rows, seen = [], set()
    for op in d["operators"]:
        out = T[op["outputs"][0]]
        name = out["name"].split(";")[0]
        assert name not in seen, f"{path.name}: two operators would share the row {name}"
        seen.add(name)
        rows.append(dict(name=name, type=f"CUSTOM {op['code']}" if op["custom"] else op["code"],
                         output_shape=out["shape"],
                         params=sum(elements(T[k]) for k in op["inputs"] if k >= 0 and is_weight(T[k])),
                         macs=macs(op, T)))
    weights = [t for t in T if is_weight(t)]
    return dict(model=path.stem, input_shape=T[d["inputs"][0]]["shape"],
                totals=dict(params=sum(r["params"] for r in rows), macs=sum(r["macs"] for r in rows)),
                stored=dict(weight_tensors=len(weights), weight_elements=sum(elements(t) for t in weights),
                            weight_bytes=sum(elements(t) * ELEMENT_BYTES[t["dtype"]] for t in weights),
                            operators=len(d["operators"])),
                layers=rows)


if __name__ == "__main__":
    for f in sorted(DIR.glob("*.tflite")):
        exp = expected(f)
        # Every stored weight is read by some operator: the per-row params add up to all of them.
        assert exp["totals"]["params"] == exp["stored"]["weight_elements"], f.name
        f.with_suffix(".expected.json").write_text(json.dumps(exp, indent=1) + "\n")
        print(f"{f.name}: {exp['stored']['operators']} operators, {exp['totals']['params']} params, "
              f"{exp['totals']['macs']} MACs")
