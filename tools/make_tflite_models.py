#!/usr/bin/python3
"""Ground truth for the TFLite reader: small .tflite files written with tools/tflite_writer.py (the
TFLite schema + the `flatbuffers` PyPI package; no TensorFlow), each from the same architecture built
in PyTorch, whose forward pass gives every layer's output shape (NCHW, written NHWC as the file keeps
it), parameter count (the module's parameters; bias included) and MACs (output elements × input
channels per group × kernel area for convolutions, output elements × input features for dense layers,
input elements × output channels × kernel area for transposed convolutions, output elements × the
contracted dim for BATCH_MATMUL, 0 for the rest).
The float models carry the PyTorch weights (in TFLite layouts: OHWI, [1,H,W,C] depthwise) and the
expectations hold one input and PyTorch's output for it, for the Run tab's check.

    /usr/bin/python3 -m venv --system-site-packages /tmp/tfl && /tmp/tfl/bin/pip install flatbuffers
    /tmp/tfl/bin/python tools/make_tflite_models.py      # torch 1.13 from Debian's python3-torch

Writes test/fixtures/tflite/*.tflite + *.expected.json (the per-format corpus test iterates them) and
test/fixtures/tflite/edge/ (a custom op, a stored shape that disagrees with the op). Published files
are checked by tools/make_tflite_published.py instead (their stored shapes are the ground truth).
"""
import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

from tflite_sparsity import VECTORS, check_against_tflite, encode
from tflite_writer import Model

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "tflite"
torch.manual_seed(0)


def nhwc(shape):
    s = list(shape)
    return [s[0], *s[2:], s[1]] if len(s) == 4 else s


def np32(t):
    return t.detach().numpy().astype(np.float32)


class Build:
    """One model built twice: the PyTorch layers (reference rows) and the TFLite tensors/operators."""

    def __init__(self, name):
        self.name, self.m, self.rows = name, Model(), []

    def row(self, name, typ, y, params=0, macs=0):
        self.rows.append(dict(name=name, type=typ, output_shape=nhwc(y.shape), params=int(params), macs=int(macs)))

    def out(self, name, y, dtype="FLOAT32", quant=None):
        return self.m.tensor(name, nhwc(y.shape), dtype, quant=quant)

    def conv(self, name, x, t, cout, k, stride=1, pad="VALID", act="NONE", groups=1, q=None):
        cin = x.shape[1]
        conv = torch.nn.Conv2d(cin, cout, k, stride, groups=groups)
        xp = x
        if pad == "SAME":  # TensorFlow SAME: total max((⌈n/s⌉−1)·s + k − n, 0), the extra one after
            pads = []
            for n in reversed(x.shape[2:]):
                total = max((-(-n // stride) - 1) * stride + k - n, 0)
                pads += [total // 2, total - total // 2]
            xp = F.pad(x, pads)
        y = conv(xp)
        y = {"NONE": y, "RELU": F.relu(y), "RELU6": F.relu6(y)}[act]
        self.row(name, "DEPTHWISE_CONV_2D" if groups > 1 else "CONV_2D", y, sum(p.numel() for p in conv.parameters()),
                 y.numel() * cin // groups * k * k)
        w, b = conv.weight, conv.bias
        if groups > 1:  # TFLite depthwise weights: [1, H, W, C·multiplier]
            wt = np32(w.permute(1, 2, 3, 0))
        else:  # OHWI
            wt = np32(w.permute(0, 2, 3, 1))
        if q:
            wq = self.m.const(name + "/weights", np.clip(np.round(wt / 0.02), -127, 127).astype(np.int8),
                              quant=dict(scale=[0.02] * cout, zero_point=[0] * cout, axis=3 if groups > 1 else 0))
            bq = self.m.const(name + "/bias", np.round(np32(b) / (0.02 * q[0])).astype(np.int32),
                              quant=dict(scale=[0.02 * q[0]] * cout, zero_point=[0] * cout))
            o = self.out(name, y, "INT8", dict(scale=[q[1]], zero_point=[-128 if act != "NONE" else 0]))
            wi, bi = wq, bq
        else:
            wi, bi = self.m.const(name + "/weights", wt), self.m.const(name + "/bias", np32(b))
            o = self.out(name, y)
        if groups > 1:
            self.m.op("DEPTHWISE_CONV_2D", [t, wi, bi], [o], dict(padding=pad, stride_w=stride, stride_h=stride,
                      depth_multiplier=cout // cin, fused_activation_function=act, dilation_w_factor=1,
                      dilation_h_factor=1), "DepthwiseConv2DOptions")
        else:
            self.m.op("CONV_2D", [t, wi, bi], [o], dict(padding=pad, stride_w=stride, stride_h=stride,
                      fused_activation_function=act, dilation_w_factor=1, dilation_h_factor=1), "Conv2DOptions")
        return y, o

    def pool(self, name, x, t, k, s, kind="MAX", dtype="FLOAT32", quant=None):
        y = F.max_pool2d(x, k, s) if kind == "MAX" else F.avg_pool2d(x, k, s)
        self.row(name, f"{kind}_POOL_2D" if kind == "MAX" else "AVERAGE_POOL_2D", y)
        o = self.out(name, y, dtype, quant)
        self.m.op(f"{kind}_POOL_2D" if kind == "MAX" else "AVERAGE_POOL_2D", [t], [o],
                  dict(padding="VALID", stride_w=s, stride_h=s, filter_width=k, filter_height=k), "Pool2DOptions")
        return y, o

    def dense(self, name, x, t, nout, act="NONE", q=None):
        lin = torch.nn.Linear(x.shape[-1], nout)
        y = lin(x)
        y = {"NONE": y, "RELU": F.relu(y)}[act]
        self.row(name, "FULLY_CONNECTED", y, sum(p.numel() for p in lin.parameters()), y.numel() * x.shape[-1])
        w = lin.weight
        if q:
            wi = self.m.const(name + "/weights", np.clip(np.round(np32(w) / 0.02), -127, 127).astype(np.int8),
                              quant=dict(scale=[0.02], zero_point=[0]))
            bi = self.m.const(name + "/bias", np.round(np32(lin.bias) / (0.02 * q[0])).astype(np.int32),
                              quant=dict(scale=[0.02 * q[0]], zero_point=[0]))
            o = self.out(name, y, "INT8", dict(scale=[q[1]], zero_point=[5]))
        else:
            wi, bi = self.m.const(name + "/weights", np32(w)), self.m.const(name + "/bias", np32(lin.bias))
            o = self.out(name, y)
        self.m.op("FULLY_CONNECTED", [t, wi, bi], [o], dict(fused_activation_function=act), "FullyConnectedOptions")
        return y, o

    def reshape(self, name, x, t, shape, dtype="FLOAT32", quant=None):
        y = x.permute(0, 2, 3, 1).reshape(shape) if x.dim() == 4 else x.reshape(shape)
        self.row(name, "RESHAPE", y)
        o = self.m.tensor(name, list(y.shape), dtype, quant=quant)
        self.m.op("RESHAPE", [t, self.m.const(name + "/shape", np.array(shape, np.int32))], [o],
                  dict(new_shape=list(shape)), "ReshapeOptions")
        return y, o

    def unary(self, code, name, y, t, dtype="FLOAT32", quant=None):
        self.row(name, code, y)
        o = self.out(name, y, dtype, quant)
        self.m.op(code, [t], [o], {"SOFTMAX": dict(beta=1.0)}.get(code), {"SOFTMAX": "SoftmaxOptions"}.get(code))
        return y, o

    def save(self, inputs, outputs, sample=None):
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"{self.name}.tflite").write_bytes(self.m.write(inputs, outputs))
        exp = dict(model=self.name, input_shape=self.m.tensors[inputs[0]]["shape"],
                   totals=dict(params=sum(r["params"] for r in self.rows), macs=sum(r["macs"] for r in self.rows)),
                   layers=self.rows)
        if sample:
            exp["sample"] = sample
        (OUT / f"{self.name}.expected.json").write_text(json.dumps(exp, indent=1) + "\n")
        print(f"{self.name}: {exp['totals']['params']} params, {exp['totals']['macs']} MACs")


def sample_of(x, y):
    return dict(input=[round(float(v), 6) for v in x.permute(0, 2, 3, 1).flatten()],
                output=[float(v) for v in (y.permute(0, 2, 3, 1) if y.dim() == 4 else y).flatten()])


@torch.no_grad()
def lenet():
    b = Build("lenet")
    x0 = torch.randn(1, 1, 28, 28)
    x0 = torch.round(x0 * 1e6) / 1e6
    t = b.m.tensor("input", [1, 28, 28, 1])
    x, t1 = b.conv("conv1", x0, t, 6, 5, act="RELU")
    x, t1 = b.pool("pool1", x, t1, 2, 2)
    x, t1 = b.conv("conv2", x, t1, 16, 5, act="RELU")
    x, t1 = b.pool("pool2", x, t1, 2, 2)
    x, t1 = b.reshape("flatten", x, t1, [1, 256])  # flattens H, W, C as TFLite does
    x, t1 = b.dense("fc1", x, t1, 120, "RELU")
    x, t1 = b.dense("fc2", x, t1, 84, "RELU")
    x, t1 = b.dense("fc3", x, t1, 10)
    y, t1 = b.unary("SOFTMAX", "softmax", torch.softmax(x, -1), t1)
    b.save([t], [t1], sample_of(x0, y))


@torch.no_grad()
def mobilenet_block():
    b = Build("mobilenet_block")
    x0 = torch.round(torch.randn(1, 3, 32, 32) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 32, 32, 3])
    x, t1 = b.conv("stem", x0, t, 16, 3, stride=2, pad="SAME", act="RELU6")
    x, t1 = b.conv("dw1", x, t1, 16, 3, pad="SAME", act="RELU6", groups=16)
    x, t1 = b.conv("pw1", x, t1, 32, 1)
    # PAD then a VALID strided depthwise conv, as converters write MobileNet's stride-2 blocks.
    xp = F.pad(x, [0, 1, 0, 1])
    b.row("pad", "PAD", xp)
    tp = b.out("pad", xp)
    b.m.op("PAD", [t1, b.m.const("pad/paddings", np.array([[0, 0], [0, 1], [0, 1], [0, 0]], np.int32))], [tp])
    x, t2 = b.conv("dw2", xp, tp, 32, 3, stride=2, act="RELU6", groups=32)
    y, t3 = b.conv("pw2", x, t2, 32, 1)
    s = x + y
    b.row("add", "ADD", s)
    ts = b.out("add", s)
    b.m.op("ADD", [t2, t3], [ts], dict(fused_activation_function="NONE"), "AddOptions")
    h = F.hardswish(s)
    _, th = b.unary("HARD_SWISH", "hard_swish", h, ts)
    cat = torch.cat([h, s], 1)
    b.row("concat", "CONCATENATION", cat)
    tc = b.out("concat", cat)
    b.m.op("CONCATENATION", [th, ts], [tc], dict(axis=3, fused_activation_function="NONE"), "ConcatenationOptions")
    m = cat.mean(dim=(2, 3))
    b.row("mean", "MEAN", m)
    tm = b.m.tensor("mean", list(m.shape))
    b.m.op("MEAN", [tc, b.m.const("mean/axes", np.array([1, 2], np.int32))], [tm], dict(keep_dims=False),
           "ReducerOptions")
    y, t4 = b.dense("logits", m, tm, 10)
    y, t5 = b.unary("LOGISTIC", "sigmoid", torch.sigmoid(y), t4)
    b.save([t], [t5], sample_of(x0, y))


@torch.no_grad()
def decoder():
    b = Build("decoder")
    x0 = torch.round(torch.randn(1, 16, 8, 8) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 8, 8, 16])
    up = torch.nn.ConvTranspose2d(16, 8, 2, 2)
    x = F.relu(up(x0))
    b.row("up", "TRANSPOSE_CONV", x, sum(p.numel() for p in up.parameters()), x0.numel() * 8 * 2 * 2)
    tu = b.out("up", x)
    b.m.op("TRANSPOSE_CONV", [b.m.const("up/output_shape", np.array(nhwc(x.shape), np.int32)),
                              b.m.const("up/weights", np32(up.weight.permute(1, 2, 3, 0))), t,
                              b.m.const("up/bias", np32(up.bias))], [tu],
           dict(padding="VALID", stride_w=2, stride_h=2, fused_activation_function="RELU"), "TransposeConvOptions")
    r = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    b.row("resize_bilinear", "RESIZE_BILINEAR", r)
    tr = b.out("resize_bilinear", r)
    b.m.op("RESIZE_BILINEAR", [tu, b.m.const("resize_bilinear/size", np.array([32, 32], np.int32))], [tr],
           dict(align_corners=False, half_pixel_centers=True), "ResizeBilinearOptions")
    c, tc = b.conv("side", r, tr, 4, 1)
    cat = torch.cat([r, c], 1)
    b.row("concat", "CONCATENATION", cat)
    tcat = b.out("concat", cat)
    b.m.op("CONCATENATION", [tr, tc], [tcat], dict(axis=-1, fused_activation_function="NONE"), "ConcatenationOptions")
    n = F.interpolate(cat, size=(64, 64), mode="nearest")
    b.row("resize_nearest", "RESIZE_NEAREST_NEIGHBOR", n)
    tn = b.out("resize_nearest", n)
    b.m.op("RESIZE_NEAREST_NEIGHBOR", [tcat, b.m.const("resize_nearest/size", np.array([64, 64], np.int32))], [tn],
           dict(align_corners=False, half_pixel_centers=False), "ResizeNearestNeighborOptions")
    y, ty = b.conv("head", n, tn, 1, 3, pad="SAME")
    y, ty = b.unary("TANH", "tanh", torch.tanh(y), ty)
    s = y[:, :, ::2, ::2]
    b.row("subsample", "STRIDED_SLICE", s)
    ts = b.out("subsample", s)
    b.m.op("STRIDED_SLICE", [ty, b.m.const("subsample/begin", np.array([0, 0, 0, 0], np.int32)),
                             b.m.const("subsample/end", np.array([0, 0, 0, 0], np.int32)),
                             b.m.const("subsample/strides", np.array([1, 2, 2, 1], np.int32))], [ts],
           dict(begin_mask=15, end_mask=15), "StridedSliceOptions")
    q = s.squeeze(1)
    b.row("squeeze", "SQUEEZE", q)
    tq = b.m.tensor("squeeze", list(q.shape))
    b.m.op("SQUEEZE", [ts], [tq], dict(squeeze_dims=[3]), "SqueezeOptions")
    b.save([t], [tq], sample_of(x0, q))


@torch.no_grad()
def int8_convnet():
    """Full-integer quantization as the converter writes it: float in → QUANTIZE → int8 ops → DEQUANTIZE."""
    b = Build("int8_convnet")
    x0 = torch.randn(1, 3, 16, 16)
    t = b.m.tensor("input", [1, 16, 16, 3])
    qin = dict(scale=[0.05], zero_point=[3])
    tq = b.out("quantize", x0, "INT8", qin)
    b.row("quantize", "QUANTIZE", x0)
    b.m.op("QUANTIZE", [t], [tq])
    x, t1 = b.conv("conv1", x0, tq, 8, 3, pad="SAME", act="RELU", q=(0.05, 0.1))
    x, t1 = b.conv("dw", x, t1, 8, 3, stride=2, pad="SAME", act="RELU6", groups=8, q=(0.1, 0.05))
    x, t1 = b.pool("pool", x, t1, 2, 2, dtype="INT8", quant=dict(scale=[0.05], zero_point=[-128]))
    x, t1 = b.reshape("flatten", x, t1, [1, 128], "INT8", dict(scale=[0.05], zero_point=[-128]))
    y, t1 = b.dense("fc", x, t1, 10, q=(0.05, 0.2))
    p, t2 = b.unary("SOFTMAX", "softmax", torch.softmax(y, -1), t1, "INT8", dict(scale=[1 / 256], zero_point=[-128]))
    b.row("dequantize", "DEQUANTIZE", p)
    t3 = b.out("dequantize", p)
    b.m.op("DEQUANTIZE", [t2], [t3])
    b.save([t], [t3])


@torch.no_grad()
def tensor_ops():
    """SPLIT, SPLIT_V, UNPACK, PACK, BATCH_MATMUL and ARG_MAX: one output tensor per part, stacked back,
    contracted; each PyTorch op the counterpart TensorFlow Lite's kernel documents."""
    b = Build("tensor_ops")
    x0 = torch.round(torch.randn(1, 6, 8, 8) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 8, 8, 6])
    y, ty = b.conv("conv1", x0, t, 8, 3, pad="SAME", act="RELU")
    halves = y.chunk(2, 1)
    b.row("split", "SPLIT", halves[0])
    th = [b.out("split", halves[0]), b.out("split_1", halves[1])]
    b.m.op("SPLIT", [b.m.const("split/axis", np.array(3, np.int32)), ty], th, dict(num_splits=2), "SplitOptions")
    parts = y.split([2, 3, 3], 1)
    b.row("split_v", "SPLIT_V", parts[0])
    tp = [b.out(n, p) for n, p in zip(["split_v", "split_v_1", "split_v_2"], parts)]
    b.m.op("SPLIT_V", [ty, b.m.const("split_v/sizes", np.array([2, -1, 3], np.int32)),
                       b.m.const("split_v/axis", np.array([-1], np.int32))], tp, dict(num_splits=3), "SplitVOptions")
    r, tr = b.reshape("rows", parts[1], tp[1], [8, 8, 3])
    rows = r.unbind(0)
    b.row("unpack", "UNPACK", rows[0])
    tu = [b.m.tensor("unpack" if i == 0 else f"unpack_{i}", list(p.shape)) for i, p in enumerate(rows)]
    b.m.op("UNPACK", [tr], tu, dict(num=8, axis=0), "UnpackOptions")
    packed = torch.stack(rows, 1)
    b.row("pack", "PACK", packed)
    tpk = b.m.tensor("pack", list(packed.shape))
    b.m.op("PACK", tu, [tpk], dict(values_count=8, axis=1), "PackOptions")
    q, tq = b.reshape("cols", parts[2], tp[2], [8, 8, 3])
    m = packed @ q.transpose(-1, -2)
    b.row("batch_matmul", "BATCH_MATMUL", m, macs=m.numel() * q.shape[-1])
    tm = b.m.tensor("batch_matmul", list(m.shape))
    b.m.op("BATCH_MATMUL", [tpk, tq], [tm], dict(adj_x=False, adj_y=True), "BatchMatMulOptions")
    a = m.argmax(2)
    b.row("argmax", "ARG_MAX", a)
    ta = b.m.tensor("argmax", list(a.shape), "INT32")
    b.m.op("ARG_MAX", [tm, b.m.const("argmax/axis", np.array([2], np.int32))], [ta], dict(output_type="INT32"),
           "ArgMaxOptions")
    sample = sample_of(x0, m)
    sample["outputs"] = dict(argmax=[int(v) for v in a.flatten()])
    b.save([t], [tm, ta], sample)


@torch.no_grad()
def mediapipe_upsample():
    """MediaPipe's custom Convolution2DTransposeBias (mediapipe/util/tflite/operations/transpose_conv_bias.cc):
    a transposed convolution with bias whose SAME padding crops max(0, k − (h−1) mod s − 1) rows, half of
    them (rounded down) before. PyTorch: the full transposed convolution, then that crop."""
    b = Build("mediapipe_upsample")
    x0 = torch.round(torch.randn(1, 4, 7, 7) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 7, 7, 4])
    x, tx = x0, t
    for name, cout, k, s, same in [("up1", 6, 4, 2, True), ("up2", 2, 2, 2, False)]:
        up = torch.nn.ConvTranspose2d(x.shape[1], cout, k, s)
        full = up(x)
        h, w = x.shape[2:]
        th_, tw_ = [max(0, k - (n - 1) % s - 1) if same else 0 for n in (h, w)]
        y = full[:, :, th_ // 2: full.shape[2] - (th_ - th_ // 2), tw_ // 2: full.shape[3] - (tw_ - tw_ // 2)]
        b.row(name, "CUSTOM Convolution2DTransposeBias", y, sum(p.numel() for p in up.parameters()),
              x.numel() * cout * k * k)
        ty = b.out(name, y)
        params = np.array([1 if same else 2, s, s], "<i4").tobytes()  # TfLiteTransposeConvParams
        b.m.op("CUSTOM", [tx, b.m.const(name + "/weights", np32(up.weight.permute(1, 2, 3, 0))),
                          b.m.const(name + "/bias", np32(up.bias))], [ty],
               custom="Convolution2DTransposeBias", custom_options=params)
        x, tx = y, ty
    b.save([t], [tx], sample_of(x0, x))


@torch.no_grad()
def dilated_conv():
    """A dilated convolution as TF1 converters write it: SPACE_TO_BATCH_ND (pad to a multiple of the rate,
    block offsets into the batch) → a VALID CONV_2D → BATCH_TO_SPACE_ND (back, crops cut off). The batched
    tensors are built in PyTorch by reshapes written from TensorFlow's documentation; the output must equal
    PyTorch's dilated convolution (SAME padding, rate 2) of the 11×11 input."""
    b = Build("dilated_conv")
    x0 = torch.round(torch.randn(1, 4, 11, 11) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 11, 11, 4])
    rate, k, cout = 2, 3, 6
    conv = torch.nn.Conv2d(4, cout, k)
    # SAME for the effective 5×5 kernel pads 2 on each side (15); one more after makes it a multiple of 2.
    pads = [[2, 3], [2, 3]]
    xp = F.pad(x0, [2, 3, 2, 3])
    n, c, h, w = xp.shape
    s2b = xp.reshape(n, c, h // rate, rate, w // rate, rate).permute(3, 5, 0, 1, 2, 4).reshape(
        rate * rate * n, c, h // rate, w // rate)
    b.row("space_to_batch", "SPACE_TO_BATCH_ND", s2b)
    ts = b.out("space_to_batch", s2b)
    b.m.op("SPACE_TO_BATCH_ND", [t, b.m.const("space_to_batch/block", np.array([rate, rate], np.int32)),
                                 b.m.const("space_to_batch/paddings", np.array(pads, np.int32))], [ts])
    y = conv(s2b)
    b.row("conv", "CONV_2D", y, sum(p.numel() for p in conv.parameters()), y.numel() * 4 * k * k)
    tc = b.out("conv", y)
    b.m.op("CONV_2D", [ts, b.m.const("conv/weights", np32(conv.weight.permute(0, 2, 3, 1))),
                       b.m.const("conv/bias", np32(conv.bias))], [tc],
           dict(padding="VALID", stride_w=1, stride_h=1, dilation_w_factor=1, dilation_h_factor=1), "Conv2DOptions")
    bb, _, hh, ww = y.shape
    back = y.reshape(rate, rate, bb // rate // rate, cout, hh, ww).permute(2, 3, 4, 0, 5, 1).reshape(
        bb // rate // rate, cout, hh * rate, ww * rate)[:, :, :11, :11]
    b.row("batch_to_space", "BATCH_TO_SPACE_ND", back)
    tb = b.out("batch_to_space", back)
    b.m.op("BATCH_TO_SPACE_ND", [tc, b.m.const("batch_to_space/block", np.array([rate, rate], np.int32)),
                                 b.m.const("batch_to_space/crops", np.array([[0, 1], [0, 1]], np.int32))], [tb])
    dilated = F.conv2d(x0, conv.weight, conv.bias, padding=2, dilation=rate)
    assert torch.allclose(back, dilated, atol=1e-5), "the batched form is not the dilated convolution"
    b.save([t], [tb], sample_of(x0, dilated))


@torch.no_grad()
def pruned(w, keep):
    """Magnitude pruning: the weights outside the `keep` largest |w| set to 0 (float32 numpy)."""
    w = np32(w)
    cut = np.sort(np.abs(w).ravel())[-keep]
    return np.where(np.abs(w) >= cut, w, np.float32(0)).astype(np.float32)


@torch.no_grad()
def sparse_models():
    """TFLite's sparse weights (the "sparsity" model optimisation): pruned PyTorch weights stored with
    SparsityParameters (tools/tflite_sparsity.py) in every index-vector type; parameters count the dense
    weights, zeros included (as PyTorch's numel() and TFLite's own tooling count them). conv1 and fc1 go
    through DENSIFY as TFLite's converter writes float sparse models; fc2's block-sparse weights (1×4
    blocks, as TFLite's sparse FULLY_CONNECTED kernel reads) feed the operator directly."""
    b = Build("sparse_weights")
    x0 = torch.round(torch.randn(1, 2, 6, 6) * 1e6) / 1e6
    t = b.m.tensor("input", [1, 6, 6, 2])
    conv = torch.nn.Conv2d(2, 4, 3)
    conv.weight.copy_(torch.from_numpy(pruned(conv.weight, 30)))
    fc1, fc2 = torch.nn.Linear(64, 12), torch.nn.Linear(12, 8)
    fc1.weight.copy_(torch.from_numpy(pruned(fc1.weight, 200)))
    w2 = np32(fc2.weight)
    w2[:, 4:8] = 0  # whole 1×4 blocks of zeros, and some scattered ones inside kept blocks
    w2[::3, 0:4] = 0
    w2[1, 9] = 0
    fc2.weight.copy_(torch.from_numpy(w2))

    def sparse_const(name, dense, *args, **kw):
        sparsity, values = encode(dense, *args, **kw)
        return b.m.tensor(name, list(dense.shape), "FLOAT32", values, sparsity=sparsity)

    y = F.relu(conv(x0))
    b.row("conv1", "CONV_2D", y, sum(p.numel() for p in conv.parameters()), y.numel() * 2 * 9)
    b.row("conv1/weights_dense", "DENSIFY", conv.weight)
    ws = sparse_const("conv1/weights", np32(conv.weight.permute(0, 2, 3, 1)), [0, 1, 2, 3],
                      ["DENSE", "SPARSE_CSR", "DENSE", "SPARSE_CSR"], index_type="Uint8Vector")
    wd = b.m.tensor("conv1/weights_dense", [4, 3, 3, 2])
    b.m.op("DENSIFY", [ws], [wd])
    o = b.out("conv1", y)
    b.m.op("CONV_2D", [t, wd, b.m.const("conv1/bias", np32(conv.bias))], [o],
           dict(padding="VALID", stride_w=1, stride_h=1, fused_activation_function="RELU", dilation_w_factor=1,
                dilation_h_factor=1), "Conv2DOptions")
    x, t1 = b.reshape("flatten", y, o, [1, 64])
    y = F.relu(fc1(x))
    b.row("fc1", "FULLY_CONNECTED", y, sum(p.numel() for p in fc1.parameters()), y.numel() * 64)
    ws = sparse_const("fc1/weights", np32(fc1.weight), [1, 0], ["DENSE", "SPARSE_CSR"],
                      index_type="Uint16Vector")
    wd = b.m.tensor("fc1/weights_dense", [12, 64])
    b.m.op("DENSIFY", [ws], [wd])
    o = b.out("fc1", y)
    b.m.op("FULLY_CONNECTED", [t1, wd, b.m.const("fc1/bias", np32(fc1.bias))], [o],
           dict(fused_activation_function="RELU"), "FullyConnectedOptions")
    y2 = fc2(y)
    b.row("fc2", "FULLY_CONNECTED", y2, sum(p.numel() for p in fc2.parameters()), y2.numel() * 12)
    ws = sparse_const("fc2/weights", w2, [0, 1, 2], ["DENSE", "SPARSE_CSR", "DENSE"], [1], [4])
    o2 = b.out("fc2", y2)
    b.m.op("FULLY_CONNECTED", [o, ws, b.m.const("fc2/bias", np32(fc2.bias))], [o2],
           dict(fused_activation_function="NONE"), "FullyConnectedOptions")
    b.save([t], [o2], sample_of(x0, y2))
    # The reader's densify is also checked on TensorFlow's own vectors (sparse side → dense side).
    check_against_tflite()
    vectors = []
    for v in VECTORS:
        sparsity, data = encode(np.array(v["dense"], np.int32).reshape(v["shape"]), v["order"], v["formats"],
                                v["blocks"], v["sizes"])
        vectors.append(dict(test=v["test"], dense=v["dense"], shape=v["shape"], sparsity=sparsity, data=data.tolist()))
    (OUT / "sparsity_vectors.json").write_text(json.dumps(vectors) + "\n")
    # A sparse weight whose index is outside its dim: its parameters are unknown with the reason.
    m = Model()
    t = m.tensor("input", [1, 4])
    sparsity, values = encode(np.eye(3, 4, dtype=np.float32), [0, 1], ["DENSE", "SPARSE_CSR"])
    sparsity["dim_metadata"][1]["indices"][2] = 9
    w = m.tensor("fc/weights", [3, 4], "FLOAT32", values, sparsity=sparsity)
    o = m.tensor("fc", [1, 3])
    m.op("FULLY_CONNECTED", [t, w, -1], [o], dict(fused_activation_function="NONE"), "FullyConnectedOptions")
    (OUT / "edge").mkdir(parents=True, exist_ok=True)
    (OUT / "edge" / "sparse_bad_index.tflite").write_bytes(m.write([t], [o]))
    dense = {"conv1/weights": np32(conv.weight.permute(0, 2, 3, 1)), "fc1/weights": np32(fc1.weight),
             "fc2/weights": w2}
    (OUT / "sparse_weights.dense.json").write_text(
        json.dumps({k: [float(v) for v in a.ravel()] for k, a in dense.items()}) + "\n")


def edge_cases():
    """Files the reader must not get silently wrong: a custom op (its output and all after it unknown,
    named), a stored shape that disagrees with the op (a warning), a dynamic batch (a symbol), a builtin
    with no converter (unknown, named, every output)."""
    m = Model()
    t = m.tensor("input", [1, 8, 8, 3], signature=[-1, 8, 8, 3])
    w = m.const("conv/weights", np.zeros((4, 3, 3, 3), np.float32))
    c = m.tensor("conv", [1, 6, 6, 4], signature=[-1, 6, 6, 4])
    m.op("CONV_2D", [t, w, -1], [c], dict(padding="VALID", stride_w=1, stride_h=1), "Conv2DOptions")
    d = m.tensor("detections", [1, 10, 4])
    m.op("CUSTOM", [c], [d], custom="TFLite_Detection_PostProcess")
    r = m.tensor("boxes", [1, 40])
    m.op("RESHAPE", [d, m.const("boxes/shape", np.array([1, 40], np.int32))], [r])
    (OUT / "edge").mkdir(parents=True, exist_ok=True)
    (OUT / "edge" / "custom_op.tflite").write_bytes(m.write([t], [r]))
    m = Model()
    t = m.tensor("input", [1, 8, 8, 3])
    p = m.tensor("pool", [1, 5, 5, 3])  # a 2×2/2 VALID max pool of 8×8 gives 4×4; the file says 5×5
    m.op("MAX_POOL_2D", [t], [p], dict(padding="VALID", stride_w=2, stride_h=2, filter_width=2, filter_height=2),
         "Pool2DOptions")
    (OUT / "edge" / "stored_shape_mismatch.tflite").write_bytes(m.write([t], [p]))
    m = Model()  # a builtin with no converter (its output count depends on the data): unknown, named
    t = m.tensor("input", [8])
    u, i = m.tensor("unique", [8]), m.tensor("unique_idx", [8], "INT32")
    m.op("UNIQUE", [t], [u, i], dict(idx_out_type="INT32"), "UniqueOptions")
    (OUT / "edge" / "unknown_builtin.tflite").write_bytes(m.write([t], [u, i]))


if __name__ == "__main__":
    lenet()
    mobilenet_block()
    decoder()
    int8_convnet()
    tensor_ops()
    mediapipe_upsample()
    dilated_conv()
    sparse_models()
    edge_cases()
