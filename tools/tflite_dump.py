"""What a .tflite file stores, read with the `flatbuffers` PyPI package and TensorFlow's schema.fbs alone
(field slots from the schema text, as tools/tflite_writer.py writes them; no TensorFlow, and nothing of
ConvLens's TypeScript reader): the main subgraph's operators in file order, each with its builtin or
custom code and its output tensors' stored shapes, and the constant tensors with their element counts.

    /tmp/tfl/bin/python tools/tflite_dump.py FILE.tflite            # prints JSON

Used by tools/make_tflite_published.py to write the published files' expectations.
"""
import json
import sys

import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

from tflite_writer import ENUMS, TABLES, UNIONS

FLAGS = {"bool": N.BoolFlags, "byte": N.Int8Flags, "ubyte": N.Uint8Flags, "short": N.Int16Flags,
         "ushort": N.Uint16Flags, "int": N.Int32Flags, "int32": N.Int32Flags, "uint": N.Uint32Flags,
         "float": N.Float32Flags, "long": N.Int64Flags, "ulong": N.Uint64Flags, "double": N.Float64Flags}
ELEMENT_BYTES = {"FLOAT32": 4, "FLOAT16": 2, "INT32": 4, "UINT8": 1, "INT64": 8, "INT16": 2, "INT8": 1,
                 "FLOAT64": 8, "BOOL": 1, "UINT32": 4, "UINT16": 2, "UINT64": 8}


def enum_name(enum, value):
    return next((k for k, v in ENUMS[enum][1].items() if v == value), f"{enum}_{value}")


class Obj:
    """One table of the file, its fields read by name through the schema's slot order."""

    def __init__(self, table_name, tab):
        self.name, self.tab = table_name, tab
        self.slots = {}
        slot = 0
        for fname, ftype in TABLES[table_name]:
            if ftype in UNIONS:
                self.slots[fname + "_type"] = (slot, "ubyte")
                slot += 1
            self.slots[fname] = (slot, ftype)
            slot += 1

    def get(self, field, default=None):
        slot, ftype = self.slots[field]
        t = self.tab
        o = t.Offset(4 + 2 * slot)
        if ftype in ENUMS:
            ftype = ENUMS[ftype][0]
        if o == 0:
            return 0 if ftype in FLAGS and default is None else default
        if ftype in FLAGS:
            return t.Get(FLAGS[ftype], t.Pos + o)
        if ftype == "string":
            return t.String(t.Pos + o).decode("utf-8")
        if ftype.startswith("["):
            elem = ftype[1:-1]
            elem = ENUMS[elem][0] if elem in ENUMS else elem
            if elem in FLAGS:
                return t.GetVectorAsNumpy(FLAGS[elem], o)
            start, n = t.Vector(o), t.VectorLen(o)
            return [Obj(elem, Table(t.Bytes, t.Indirect(start + 4 * i))) for i in range(n)]
        if ftype in UNIONS:
            member = next(k for k, v in UNIONS[ftype].items() if v == self.get(field + "_type"))
            u = Table(bytearray(), 0)
            t.Union(u, o)
            return Obj(member, u)
        return Obj(ftype, Table(t.Bytes, t.Indirect(t.Pos + o)))


def dump(data):
    buf = bytearray(data)
    assert buf[4:8] == b"TFL3", "no TFL3 file identifier"
    model = Obj("Model", Table(buf, int.from_bytes(buf[0:4], "little")))
    codes = []
    for oc in model.get("operator_codes", []):
        code = enum_name("BuiltinOperator", max(oc.get("builtin_code"), oc.get("deprecated_builtin_code")))
        codes.append(oc.get("custom_code") if code == "CUSTOM" else code)
    buffers = model.get("buffers", [])
    sub = model.get("subgraphs")[0]
    tensors = []
    for i, t in enumerate(sub.get("tensors", [])):
        b = buffers[t.get("buffer")] if t.get("buffer") else None
        nbytes = 0
        if b is not None:
            d = b.get("data")
            nbytes = len(d) if d is not None else int(b.get("size") or 0)
        q = t.get("quantization")
        scale = q.get("scale") if q is not None else None
        tensors.append(dict(
            index=i, name=t.get("name") or "", dtype=enum_name("TensorType", t.get("type")),
            shape=[int(d) for d in (t.get("shape") if t.get("shape") is not None else [])],
            constant=nbytes > 0, bytes=nbytes,
            scale=[float(s) for s in scale] if scale is not None and len(scale) else None,
            sparse=t.get("sparsity") is not None))
    ops = []
    for op in sub.get("operators", []):
        ins = [int(k) for k in (op.get("inputs") if op.get("inputs") is not None else [])]
        outs = [int(k) for k in (op.get("outputs") if op.get("outputs") is not None else [])]
        code = codes[op.get("opcode_index")]
        custom = ENUMS["BuiltinOperator"][1].get(code) is None
        opts = op.get("custom_options")
        ops.append(dict(code=code, custom=custom, inputs=ins, outputs=outs,
                        custom_options=opts.tobytes().hex() if custom and opts is not None else None))
    return dict(version=model.get("version"), tensors=tensors, operators=ops,
                inputs=[int(k) for k in sub.get("inputs")], outputs=[int(k) for k in sub.get("outputs")])


if __name__ == "__main__":
    d = dump(open(sys.argv[1], "rb").read())
    print(json.dumps(d, indent=1))
