#!/usr/bin/env python3
"""The ONNX project's backend node test cases, as expectations for ConvLens's op table
(test/core/onnxNodeSuite.test.ts).

    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx
    .venv-onnx/bin/python tools/make_onnx_node_cases.py

The cases come from the generator code the `onnx` package ships (onnx/backend/test/case/node/*.py,
the same code `backend-test-tools generate-data` runs): each is a one-op model (or its function
expansion, "_expanded") with input data and the outputs the ONNX authors computed with numpy.

Writes, under test/fixtures/onnx-node/:
  cases.json     one row per case: name, op, opset, input shapes, expected output shapes (null where
                 the output is not a tensor: sequences, optionals), and `determined`: whether onnx's
                 own shape inference (with data propagation) derives each output's full static shape
                 from the model alone — those must come out exact; the others depend on input values.
  ops.json       the default-domain op types of the onnx package's schemas up to opset 23 (what
                 the op coverage statement in README.md is measured against).
  models.json.gz name → base64 of the model bytes (~3 MB raw, under 1 MB compressed); the input and
                 output data are not kept, only their shapes.
"""
import base64
import gzip
import json
import pathlib
import warnings

import numpy as np
import onnx
from onnx import shape_inference
from onnx.backend.test.case import node

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "onnx-node"


def shape_of(v):
    """Shape of one input/output datum; None for sequences, optionals, maps."""
    if isinstance(v, np.ndarray) or np.isscalar(v):
        return list(np.shape(v))
    return None


def inferred_static(model, names):
    """onnx's inferred shape per output name when fully static, else None."""
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    # The generator declares each output's actual shape: inference must start without them.
    for o in bare.graph.output:
        if o.type.HasField("tensor_type"):
            o.type.tensor_type.ClearField("shape")
    del bare.graph.value_info[:]
    try:
        m = shape_inference.infer_shapes(bare, strict_mode=False, data_prop=True)
    except Exception:  # noqa: BLE001 - inference failing just means "not determined"
        return {n: None for n in names}
    out = {}
    for vi in list(m.graph.output) + list(m.graph.value_info):
        if vi.name not in names or not vi.type.HasField("tensor_type"):
            continue
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        out[vi.name] = None if None in dims else dims
    return {n: out.get(n) for n in names}


def main():
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    cases = node.collect_testcases(None)
    rows, models = [], {}
    for c in sorted(cases, key=lambda c: c.name):
        m = c.model
        if not c.data_sets:
            continue
        ins, outs = c.data_sets[0]
        opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None)
        ops = sorted({f"{n.domain + '.' if n.domain else ''}{n.op_type}" for n in m.graph.node})
        out_names = [o.name for o in m.graph.output]
        expected = [shape_of(v) for v in outs]
        inferred = inferred_static(m, out_names)
        rows.append(
            {
                "name": c.name,
                "op": m.graph.node[0].op_type if len(m.graph.node) == 1 else "+".join(ops),
                "opset": opset,
                "inputs": [shape_of(v) for v in ins],
                "outputs": expected,
                "determined": [
                    e is not None and inferred[n] is not None and list(inferred[n]) == e
                    for n, e in zip(out_names, expected)
                ],
            }
        )
        models[c.name] = base64.b64encode(m.SerializeToString()).decode("ascii")
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "cases.json", "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in rows) + "\n]\n")
    # mtime=0: the same cases give the same bytes (no diff from a rerun).
    with open(OUT / "models.json.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(models, separators=(",", ":")).encode("utf8"))
    schemas = onnx.defs.get_all_schemas_with_history()
    ops = sorted({s.name for s in schemas if s.domain in ("", "ai.onnx") and s.since_version <= 23 and not s.deprecated})
    with open(OUT / "ops.json", "w") as f:
        json.dump({"onnx": onnx.__version__, "max_opset": 23, "ops": ops}, f, indent=0)
        f.write("\n")
    print(f"{len(rows)} cases (onnx {onnx.__version__}) → {OUT}")


if __name__ == "__main__":
    main()
