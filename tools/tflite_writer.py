"""A minimal TensorFlow Lite file writer driven by the TFLite schema itself (no TensorFlow, no
generated code): tables, their field slots, enum values and union members are read from
src/core/formats/tflite/schema.fbs, and the file is built with the `flatbuffers` PyPI package.
Used by tools/make_tflite_models.py. Independent of ConvLens's TypeScript reader: it shares only
the schema text, which is TensorFlow's.
"""
import pathlib
import re

import flatbuffers
import numpy as np

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "src/core/formats/tflite/schema.fbs"
SCALARS = {"bool": ("Bool", 1), "byte": ("Int8", 1), "ubyte": ("Uint8", 1), "short": ("Int16", 2),
           "ushort": ("Uint16", 2), "int": ("Int32", 4), "int32": ("Int32", 4), "uint": ("Uint32", 4),
           "float": ("Float32", 4), "long": ("Int64", 8), "ulong": ("Uint64", 8), "double": ("Float64", 8)}
NUMPY = {"bool": np.bool_, "byte": np.int8, "ubyte": np.uint8, "short": np.int16, "ushort": np.uint16,
         "int": np.int32, "int32": np.int32, "uint": np.uint32, "float": np.float32, "long": np.int64,
         "ulong": np.uint64, "double": np.float64}


def _parse(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"\([^)]*\)", "", text)  # attributes: (deprecated), (force_align: 16) are not fields
    enums, unions, tables = {}, {}, {}
    for kind, name, base, body in re.findall(r"\b(enum|union|table)\s+(\w+)\s*(?::\s*(\w+))?[^{]*\{([^}]*)\}", text):
        items = [i.strip() for i in body.replace(";", ",").split(",") if i.strip()]
        if kind == "enum":
            values, nxt = {}, 0
            for item in items:
                m = re.match(r"(\w+)\s*(?:=\s*(-?\d+))?", item)
                nxt = int(m.group(2)) if m.group(2) else nxt
                values[m.group(1)] = nxt
                nxt += 1
            enums[name] = (base, values)
        elif kind == "union":
            unions[name] = {re.match(r"\w+", item).group(0): i + 1 for i, item in enumerate(items)}
        else:
            fields = []
            for f in re.findall(r"(\w+)\s*:\s*(\[?\w+\]?)", body):
                fields.append(f)
            tables[name] = fields
    return enums, unions, tables


ENUMS, UNIONS, TABLES = _parse(SCHEMA.read_text())


def enum(enum_name, value_name):
    return ENUMS[enum_name][1][value_name]


class Writer:
    """Builds one flatbuffer bottom-up: each call returns an offset to pass to an enclosing table."""

    def __init__(self):
        self.b = flatbuffers.Builder(1024)
        self.b.ForceDefaults(True)

    def string(self, s):
        return self.b.CreateString(s)

    def vector(self, elem_type, values, align=None):
        b = self.b
        if elem_type in NUMPY:
            arr = np.asarray(values, dtype=NUMPY[elem_type])
            raw = arr.tobytes()
            size = arr.dtype.itemsize
            b.StartVector(size, len(arr), align or size)
            b.head = b.head - len(raw)
            b.Bytes[b.head:b.head + len(raw)] = raw
            return b.EndVector()
        b.StartVector(4, len(values), 4)  # offsets to tables / strings
        for off in reversed(values):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    def table(self, table_name, **values):
        """A table by field name; enum fields take the enum's value name, union fields (type, offset)."""
        b, slots = self.b, []
        for fname, ftype in TABLES[table_name]:
            if ftype in UNIONS:
                slots.append((fname + "_type", "ubyte_union", ftype))
            slots.append((fname, ftype, None))
        b.StartObject(len(slots))
        for slot, (fname, ftype, union) in enumerate(slots):
            if fname not in values:
                continue
            v = values[fname]
            if ftype == "ubyte_union":
                b.PrependUint8Slot(slot, UNIONS[union][v], 0)
            elif ftype in SCALARS:
                getattr(b, f"Prepend{SCALARS[ftype][0]}Slot")(slot, v, 0)
            elif ftype in ENUMS:
                base = ENUMS[ftype][0]
                iv = ENUMS[ftype][1][v] if isinstance(v, str) else v
                getattr(b, f"Prepend{SCALARS[base][0]}Slot")(slot, iv, 0)
            else:  # string, vector, table or union value: an offset
                b.PrependUOffsetTRelativeSlot(slot, v, 0)
        return b.EndObject()

    def finish(self, root):
        self.b.Finish(root, file_identifier=b"TFL3")
        return bytes(self.b.Output())


INDEX_TYPES = {"Int32Vector": "int", "Uint16Vector": "ushort", "Uint8Vector": "ubyte"}


def _sparsity(w, s):
    """SparsityParameters from tools/tflite_sparsity.py's dict; index vectors in the union member named."""
    dims = []
    for d in s["dim_metadata"]:
        fields = dict(format=d["format"], dense_size=d["dense_size"])
        if d["format"] == "SPARSE_CSR":
            kind = d["index_type"]
            for key, values in (("array_segments", d["segments"]), ("array_indices", d["indices"])):
                vec = w.vector(INDEX_TYPES[kind], values, 4)
                fields[key] = w.table(kind, values=vec)
                fields[key + "_type"] = kind
        dims.append(w.table("DimensionMetadata", **fields))
    return w.table("SparsityParameters", traversal_order=w.vector("int", s["traversal_order"]),
                   block_map=w.vector("int", s["block_map"]), dim_metadata=w.vector("table", dims))


TYPES = {np.float32: "FLOAT32", np.int32: "INT32", np.int8: "INT8", np.uint8: "UINT8", np.int64: "INT64",
         np.int16: "INT16", np.float16: "FLOAT16"}


class Model:
    """Tensors, operators and buffers of one subgraph, written as a TFLite model."""

    def __init__(self):
        self.tensors, self.buffers, self.ops, self.codes = [], [b""], [], []

    def tensor(self, name, shape, dtype="FLOAT32", data=None, quant=None, signature=None, sparsity=None):
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append(dict(name=name, shape=list(shape), dtype=dtype, buffer=buf, quant=quant,
                                 signature=signature, sparsity=sparsity))
        return len(self.tensors) - 1

    def const(self, name, array, quant=None):
        array = np.asarray(array)
        return self.tensor(name, array.shape, TYPES[array.dtype.type], array, quant)

    def op(self, code, inputs, outputs, options=None, options_type=None, custom=None, custom_options=None):
        key = ("CUSTOM", custom) if custom else (code, None)
        if key not in self.codes:
            self.codes.append(key)
        self.ops.append(dict(code=self.codes.index(key), inputs=inputs, outputs=outputs, options=options or {},
                             options_type=options_type, custom_options=custom_options))

    def write(self, inputs, outputs, description="ConvLens reference writer"):
        w = Writer()
        tensors = []
        for t in self.tensors:
            fields = dict(shape=w.vector("int", t["shape"]), type=t["dtype"], buffer=t["buffer"], name=w.string(t["name"]))
            if t["signature"] is not None:
                fields["shape_signature"] = w.vector("int", t["signature"])
            q = t["quant"]
            if q:
                qf = dict(scale=w.vector("float", q["scale"]), zero_point=w.vector("long", q["zero_point"]))
                if "axis" in q:
                    qf["quantized_dimension"] = q["axis"]
                fields["quantization"] = w.table("QuantizationParameters", **qf)
            if t["sparsity"]:
                fields["sparsity"] = _sparsity(w, t["sparsity"])
            tensors.append(w.table("Tensor", **fields))
        ops = []
        for o in self.ops:
            fields = dict(opcode_index=o["code"], inputs=w.vector("int", o["inputs"]), outputs=w.vector("int", o["outputs"]))
            if o["custom_options"] is not None:  # raw bytes, as MediaPipe's custom ops keep their params
                fields["custom_options"] = w.vector("ubyte", np.frombuffer(o["custom_options"], np.uint8))
            if o["options_type"]:
                opts = {k: (w.vector("int", v) if isinstance(v, list) else v) for k, v in o["options"].items()}
                fields["builtin_options"] = (o["options_type"], w.table(o["options_type"], **opts))
            ops.append(w.table("Operator", **{k: v for k, v in fields.items() if k != "builtin_options"},
                               **({"builtin_options": fields["builtin_options"][1],
                                   "builtin_options_type": fields["builtin_options"][0]}
                                  if "builtin_options" in fields else {})))
        sub = w.table("SubGraph", tensors=w.vector("table", tensors), inputs=w.vector("int", inputs),
                      outputs=w.vector("int", outputs), operators=w.vector("table", ops), name=w.string("main"))
        codes = []
        for code, custom in self.codes:
            value = enum("BuiltinOperator", code)
            fields = dict(deprecated_builtin_code=min(value, 127), version=1, builtin_code=value)
            if custom:
                fields["custom_code"] = w.string(custom)
            codes.append(w.table("OperatorCode", **fields))
        buffers = [w.table("Buffer", **({"data": w.vector("ubyte", np.frombuffer(d, np.uint8), 16)} if d else {}))
                   for d in self.buffers]
        root = w.table("Model", version=3, operator_codes=w.vector("table", codes), subgraphs=w.vector("table", [sub]),
                       description=w.string(description), buffers=w.vector("table", buffers))
        return w.finish(root)
