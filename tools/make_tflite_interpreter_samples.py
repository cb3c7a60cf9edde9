"""TensorFlow Lite's own interpreter as the oracle for the published files' values: each file in
test/fixtures/tflite/published/ whose operators it can run (builtins only; MediaPipe's custom ops are not
the pip package has are run) is fed input[i] = 0.5 + 0.5·sin(i / 100) (flat NHWC index, float32), and
the values of every output, and of every custom operator's output (MediaPipe's Convolution2DTransposeBias
before selfie_segmentation's sigmoid), at indices 0, STRIDE, 2·STRIDE, … are written to
<name>.sample.json with the stride and the shape. ConvLens's test feeds the same input to the converted
graph on onnxruntime.

    /usr/bin/python3 -m venv /tmp/tfrt && /tmp/tfrt/bin/pip install tensorflow-cpu
    /tmp/tfrt/bin/python tools/make_tflite_interpreter_samples.py
"""
import json
import pathlib

import numpy as np
import tensorflow as tf

from tflite_dump import dump

DIR = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "tflite" / "published"
VALUES_PER_OUTPUT = 500

for f in sorted(DIR.glob("*.tflite")):
    try:
        it = tf.lite.Interpreter(model_path=str(f), experimental_preserve_all_tensors=True)
        it.allocate_tensors()
    except (RuntimeError, ValueError) as e:
        print(f"{f.name}: the interpreter cannot run it ({str(e).splitlines()[0]})")
        continue
    (inp,) = it.get_input_details()
    i = np.arange(np.prod(inp["shape"]), dtype=np.float64)
    x = (0.5 + 0.5 * np.sin(i / 100)).astype(np.float32).reshape(inp["shape"])
    it.set_tensor(inp["index"], x)
    it.invoke()
    stored = dump(f.read_bytes())
    custom = [k for op in stored["operators"] if op["custom"] for k in op["outputs"]]
    outputs = {}
    for k in [*stored["outputs"], *custom]:
        name = stored["tensors"][k]["name"]
        y = it.get_tensor(k).astype(np.float64)
        stride = max(1, y.size // VALUES_PER_OUTPUT)
        outputs[name] = dict(shape=list(y.shape), stride=stride, values=[float(v) for v in y.flatten()[::stride]])
    sample = dict(interpreter=f"tensorflow {tf.__version__} tf.lite.Interpreter", input="0.5 + 0.5 sin(i / 100)",
                  outputs=outputs)
    f.with_suffix(".sample.json").write_text(json.dumps(sample, indent=1) + "\n")
    print(f.name + ": " + ", ".join(f"{k} {v['shape']}" for k, v in outputs.items()))
