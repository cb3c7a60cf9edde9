#!/usr/bin/python3
"""Ground truth for loading Caffe .caffemodel weights, independent of ConvLens's decoder.

For test/fixtures/caffe/mini_inception.prototxt (current `layer` syntax) and tiny_v1.prototxt
(legacy V1 `layers`), this writes random weights as a binary NetParameter with Google's
protobuf encoder (python3-protobuf; the schema is tools/caffe_weights.proto, compiled by
protoc from protobuf-compiler), the way Caffe saves a trained net: every layer with its
parameters, blobs on the layers that learn. BatchNorm blobs are stored as Caffe keeps them
(mean and variance multiplied by a moving-average factor, the factor as a third blob);
V1 blobs use the legacy 4-D num/channels/height/width shape. Then an independent PyTorch
implementation of the net runs a fixed input with those weights and records the outputs
and, per layer, each blob's shape, sum and first values.

Also writes tiny_v1.unpacked.caffemodel: the same V1 blobs with every float in its own
field (unpacked) and the fc weight as double_data, legal protobuf a reader must accept.

    apt-get install python3-protobuf protobuf-compiler
    /usr/bin/python3 tools/make_caffemodel_ref.py   # Debian's python3-torch
"""
import importlib
import json
import pathlib
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from google.protobuf import text_format

from make_caffe_refs import ROOT, V1, one, pair, parameterless, parse

TOOLS = pathlib.Path(__file__).resolve().parent
BN_FACTOR = 7.5  # Caffe's accumulated moving-average weight; the stored statistics are multiplied by it


def compile_schema():
    out = pathlib.Path(tempfile.mkdtemp())
    subprocess.run(["protoc", f"--proto_path={TOOLS}", f"--python_out={out}", str(TOOLS / "caffe_weights.proto")], check=True)
    sys.path.insert(0, str(out))
    return importlib.import_module("caffe_weights_pb2")


def fixed_input(shape):
    n = 1
    for d in shape:
        n *= d
    # Mirrored by the TypeScript test: x[i] = ((i * 37) % 101) / 100 - 0.5.
    return torch.tensor([((i * 37) % 101) / 100 - 0.5 for i in range(n)], dtype=torch.float32).reshape(shape)


def forward(net, gen):
    """Run the net, creating each learned layer's Caffe blobs (in Caffe's order and shapes) on the way."""
    blobs, params, x0 = {}, {}, None
    if "input" in net:
        dims = [int(v) for v in net.get("input_dim", [])]
        for i, name in enumerate(net["input"]):
            blobs[name] = x0 = fixed_input(dims[i * 4:i * 4 + 4])
    for l in net.get("layer", []) + net.get("layers", []):
        t = V1.get(one(l, "type"), one(l, "type"))
        name = one(l, "name")
        if any(one(inc, "phase") == "TRAIN" for inc in l.get("include", [])):
            continue
        tops = l.get("top", [])
        if t == "Input":
            blobs[tops[0]] = x0 = fixed_input([int(v) for v in l["input_param"][0]["shape"][0]["dim"]])
            continue
        xs = [blobs[b] for b in l.get("bottom", [])]
        x = xs[0]
        outs = None
        rnd = lambda *s, scale=1.0: torch.randn(*s, generator=gen) * scale
        if t in ("Convolution", "Deconvolution"):
            p = l["convolution_param"][0]
            n, g = int(one(p, "num_output")), int(one(p, "group", 1))
            k, s, pd = pair(p, "kernel_size", "kernel_h", "kernel_w", 1), pair(p, "stride", "stride_h", "stride_w", 1), pair(p, "pad", "pad_h", "pad_w", 0)
            d = pair(p, "dilation", "dilation_h", "dilation_w", 1)
            c = x.shape[1]
            fan_in = (c // g) * k[0] * k[1]
            # Caffe's layouts: convolution [out, in/group, kh, kw], deconvolution [in, out/group, kh, kw].
            w = rnd(n, c // g, *k, scale=(2 / fan_in) ** 0.5) if t == "Convolution" else rnd(c, n // g, *k, scale=(1 / fan_in) ** 0.5)
            b = rnd(n, scale=0.1) if one(p, "bias_term", "true") != "false" else None
            params[name] = [w] + ([b] if b is not None else [])
            y = F.conv2d(x, w, b, s, pd, d, g) if t == "Convolution" else F.conv_transpose2d(x, w, b, s, pd, 0, g, d)
        elif t == "InnerProduct":
            p = l["inner_product_param"][0]
            n = int(one(p, "num_output"))
            w = rnd(n, x[0].numel(), scale=(1 / x[0].numel()) ** 0.5)
            b = rnd(n, scale=0.1) if one(p, "bias_term", "true") != "false" else None
            params[name] = [w] + ([b] if b is not None else [])
            y = F.linear(x.flatten(1), w, b)
        elif t == "BatchNorm":
            c = x.shape[1]
            mean, var = rnd(c, scale=0.2), torch.rand(c, generator=gen) + 0.5
            eps = float(one(l.get("batch_norm_param", [{}])[0], "eps", 1e-5))
            params[name] = [mean * BN_FACTOR, var * BN_FACTOR, torch.tensor([BN_FACTOR])]
            y = F.batch_norm(x, mean, var, None, None, False, 0.0, eps)
        elif t == "Scale":
            c = x.shape[1]
            gamma = torch.rand(c, generator=gen) + 0.5
            bias = one(l.get("scale_param", [{}])[0], "bias_term", "false") == "true"
            beta = rnd(c, scale=0.1) if bias else None
            params[name] = [gamma] + ([beta] if bias else [])
            y = x * gamma.view(1, c, 1, 1) + (beta.view(1, c, 1, 1) if bias else 0)
        elif t == "PReLU":
            slope = torch.rand(x.shape[1], generator=gen) * 0.5
            params[name] = [slope]
            y = F.prelu(x, slope)
        elif (shared := parameterless(t, l, xs)) is not None:
            y, outs = shared
        else:
            raise ValueError(t)
        for i, top in enumerate(tops):
            blobs[top] = outs[i] if outs else y
    consumed = {b for l in net.get("layer", []) + net.get("layers", []) for b in l.get("bottom", []) if not any(one(inc, "phase") == "TRAIN" for inc in l.get("include", []))}
    produced = [t for l in net.get("layer", []) + net.get("layers", []) for t in l.get("top", []) if not any(one(inc, "phase") == "TRAIN" for inc in l.get("include", []))]
    outputs = {t: blobs[t] for t in dict.fromkeys(produced) if t not in consumed}
    return x0, params, outputs


def fill_blob(proto, tensor, legacy, doubles=False):
    """One BlobProto: shape { dim } (current) or num/channels/height/width (legacy, padded to 4-D with leading 1s)."""
    dims = list(tensor.shape)
    if legacy:
        d = [1] * (4 - len(dims)) + dims
        proto.num, proto.channels, proto.height, proto.width = d
    else:
        proto.shape.dim.extend(dims)
    (proto.double_data if doubles else proto.data).extend(tensor.flatten().tolist())


def write(pb, stem):
    path = ROOT / f"{stem}.prototxt"
    text = path.read_text()
    net_proto = text_format.Parse(text, pb.NetParameter(), allow_unknown_field=True)
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        x0, params, outputs = forward(parse(text), gen)
    v1 = len(net_proto.layers) > 0
    for layer in net_proto.layers if v1 else net_proto.layer:
        for t in params.get(layer.name, []):
            fill_blob(layer.blobs.add(), t, legacy=v1)
    data = net_proto.SerializeToString()
    (ROOT / f"{stem}.caffemodel").write_bytes(data)
    shape = lambda t: [1] * (4 - t.dim()) + list(t.shape) if v1 else list(t.shape)  # as written to the file
    summary = [{"name": name, "blobs": [{"shape": shape(t), "sum": float(t.double().sum()), "first": t.flatten()[:3].tolist()} for t in ts]} for name, ts in params.items()]
    ref = {
        "input": "x[i] = ((i * 37) % 101) / 100 - 0.5 over the input's elements",
        "input_shape": list(x0.shape),
        "bn_factor": BN_FACTOR,
        "layers": summary,
        "outputs": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in outputs.items()},
    }
    (ROOT / f"{stem}.caffemodel.ref.json").write_text(json.dumps(ref) + "\n")
    print(f"wrote {stem}.caffemodel ({len(data)} bytes, {len(params)} learned layers); outputs", {k: list(v.shape) for k, v in outputs.items()})
    if v1:
        # The same blobs, unpacked; the InnerProduct weight as doubles.
        unpacked = pb.UnpackedNetParameter(name=net_proto.name)
        for layer in net_proto.layers:
            u = unpacked.layers.add(name=layer.name, type=layer.type)
            for i, t in enumerate(params.get(layer.name, [])):
                fill_blob(u.blobs.add(), t, legacy=True, doubles=layer.type == pb.V1LayerParameter.INNER_PRODUCT and i == 0)
        (ROOT / f"{stem}.unpacked.caffemodel").write_bytes(unpacked.SerializeToString())
        print(f"wrote {stem}.unpacked.caffemodel")


if __name__ == "__main__":
    pb = compile_schema()
    for stem in ["mini_inception", "tiny_v1"]:
        write(pb, stem)
