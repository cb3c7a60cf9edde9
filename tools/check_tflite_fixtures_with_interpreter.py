"""Checks the reference writer's files with TensorFlow Lite's own interpreter: each test/fixtures/tflite
model with a PyTorch sample (tools/make_tflite_models.py) is run on the sample's input, and its outputs must
equal PyTorch's — so the files mean to TFLite what the PyTorch builds compute (option fields, layouts,
custom options), independently of ConvLens's reader.

    /tmp/tfrt/bin/python tools/check_tflite_fixtures_with_interpreter.py    # tensorflow-cpu in /tmp/tfrt
"""
import json
import pathlib
import sys

import numpy as np
import tensorflow as tf

DIR = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "tflite"
failed = 0
for f in sorted(DIR.glob("*.tflite")):
    exp = json.loads(f.with_suffix(".expected.json").read_text())
    if "sample" not in exp:
        continue
    it = tf.lite.Interpreter(model_path=str(f))
    it.allocate_tensors()
    (inp,) = it.get_input_details()
    it.set_tensor(inp["index"], np.array(exp["sample"]["input"], np.float32).reshape(inp["shape"]))
    it.invoke()
    outs = it.get_output_details()
    want = {outs[0]["name"]: exp["sample"]["output"], **exp["sample"].get("outputs", {})}
    for o in outs:
        got = it.get_tensor(o["index"]).astype(np.float64).flatten()
        worst = float(np.abs(got - np.array(want[o["name"]])).max())
        ok = worst < 1e-4
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {f.name} {o['name']}: worst |TFLite − PyTorch| {worst:.2e}")
sys.exit(1 if failed else 0)
