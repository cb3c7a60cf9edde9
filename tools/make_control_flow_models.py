#!/usr/bin/env python3
"""Control-flow models (If / Loop / Scan) for test/core/controlFlow.test.ts.

    /usr/bin/python3 tools/make_control_flow_models.py      # Debian torch 1.13 + onnx 1.12

Writes test/fixtures/controlflow/<name>.onnx and <name>.json. Each JSON holds the input shapes, the
output shapes PyTorch gives when it runs the module (torch models) or null (onnx.helper models,
which the test runs with onnxruntime for their shapes), and the MACs: for a Conv, out-channels x
in-channels / groups x kernel area x output positions, per run, times the number of runs the
control flow makes — computed here from the layer's hyper-parameters, not by ConvLens.
"""
import json
import pathlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "controlflow"


def conv_macs(conv, out_shape):
    k = int(np.prod(conv.kernel_size))
    return conv.out_channels * conv.in_channels // conv.groups * k * int(np.prod(out_shape[2:]))


class LoopConv(torch.nn.Module):
    """A scripted loop whose trip count comes from the input's size (16 // 8 = 2): the exporter writes a
    Loop with a constant M. (A literal range(3) it would unroll.)"""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        for _ in range(x.shape[2] // 8):
            x = torch.relu(self.conv(x))
        return x


class LoopRuntime(torch.nn.Module):
    """The trip count is an input: the Loop's M is only known at run time."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x, n: int):
        for _ in range(n):
            x = self.conv(x)
        return x


class IfBranches(torch.nn.Module):
    """A data-dependent If whose branches give different channel counts."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.b = torch.nn.Conv2d(3, 4, 1)

    def forward(self, x):
        if bool(x.sum() > 0):
            y = self.a(x)
        else:
            y = self.b(x)
        return y


def export_torch(name, module, args, names):
    module.eval()
    scripted = torch.jit.script(module)
    path = OUT / f"{name}.onnx"
    torch.onnx.export(scripted, args, str(path), opset_version=13, input_names=names, output_names=["y"])
    with torch.no_grad():
        y = module(*args)
    return path, list(y.shape)


def write(name, ref):
    (OUT / f"{name}.json").write_text(json.dumps(ref) + "\n")


def torch_models():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 16, 16)
    m = LoopConv()
    _, shape = export_torch("loop_conv", m, (x,), ["x"])
    write("loop_conv", {"inputs": [[1, 8, 16, 16]], "outputs": [shape], "macs": 2 * conv_macs(m.conv, shape)})

    m = LoopRuntime()
    _, shape = export_torch("loop_runtime", m, (x, 2), ["x", "n"])
    # The MACs per iteration are known; the total is not (n is an input).
    write("loop_runtime", {"inputs": [[1, 8, 16, 16], []], "outputs": [shape], "macs": None,
                           "bodyMacs": conv_macs(m.conv, shape)})

    m = IfBranches()
    xi = torch.randn(1, 3, 10, 12)
    _, shape = export_torch("if_branches", m, (xi,), ["x"])
    write("if_branches", {"inputs": [[1, 3, 10, 12]], "outputs": [None], "macs": None,
                          "branchShapes": [[1, 8, 10, 12], [1, 4, 10, 12]],
                          "branchMacs": [conv_macs(m.a, [1, 8, 10, 12]), conv_macs(m.b, [1, 4, 10, 12])]})


def save(name, graph, opset=13):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    # No onnx.checker here: 1.12's wants a shape on every value info; onnxruntime checks the models in the test.
    onnx.save(model, str(OUT / f"{name}.onnx"))


def loop_body(name, carried_in, nodes, outputs):
    """A Loop body (iteration, condition, one carried value) that passes its condition through."""
    return helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), *nodes],
        name,
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info(carried_in, TensorProto.FLOAT, None),
        ],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, [])]
        + [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
    )


def helper_models():
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "w")

    # Loop, M = 4 (constant), one loop-carried [2, 3] and one scan output [2, 4] per iteration.
    body = loop_body("body", "acc_in", [
        helper.make_node("Add", ["acc_in", "acc_in"], ["acc_out"]),
        helper.make_node("MatMul", ["acc_in", "w"], ["scan_out"]),
    ], ["acc_out", "scan_out"])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["M", "", "x"], ["acc", "stacked"], body=body)],
        "loop_scan",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("acc", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("stacked", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(4, dtype=np.int64), "M"), w],
    )
    save("loop_scan", graph)
    write("loop_scan", {"inputs": [[2, 3]], "outputs": [None, None], "macs": 4 * 2 * 3 * 4})

    # Loop whose carried value grows each iteration (Concat): its size is a run-time symbol.
    grow = loop_body("grow", "v_in", [helper.make_node("Concat", ["v_in", "v_in"], ["v_out"], axis=0)], ["v_out"])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["M", "", "x"], ["v"], body=grow)],
        "loop_grow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("v", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(3, dtype=np.int64), "M")],
    )
    save("loop_grow", graph)
    write("loop_grow", {"inputs": [[2, 3]], "outputs": [None], "macs": 0})

    # Scan over axis 1 of a [2, 5, 3] input: running sum state [2, 3], each step's MatMul stacked on axis 0.
    scan_body = helper.make_graph(
        [
            helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
            helper.make_node("MatMul", ["s_out", "w"], ["y_t"]),
        ],
        "scan_body",
        [
            helper.make_tensor_value_info("s_in", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("x_t", TensorProto.FLOAT, None),
        ],
        [
            helper.make_tensor_value_info("s_out", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("y_t", TensorProto.FLOAT, None),
        ],
    )
    graph = helper.make_graph(
        [helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=scan_body, num_scan_inputs=1,
                          scan_input_axes=[1])],
        "scan_axis1",
        [helper.make_tensor_value_info("s0", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 3])],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("ys", TensorProto.FLOAT, None)],
        [w],
    )
    save("scan_axis1", graph)
    write("scan_axis1", {"inputs": [[2, 3], [2, 5, 3]], "outputs": [None, None], "macs": 5 * 2 * 3 * 4})

    # If on a constant condition (the exporter's shape checks): only the taken branch counts.
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"])], "then", [],
                              [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Transpose", ["x"], ["e"])], "else", [],
                              [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
        "if_const",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(True), "c"), w],
    )
    save("if_const", graph)
    write("if_const", {"inputs": [[2, 3]], "outputs": [None], "macs": 2 * 3 * 4})
    if_ranks_model()


def if_ranks_model():
    """If on a run-time condition (sum(x) > 0) whose branches differ in rank: x [2, 3] or x flattened to [6]."""
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [],
                              [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Reshape", ["x", "flat"], ["e"])], "else", [],
                              [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    graph = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
            helper.make_node("Greater", ["s", "zero"], ["c"]),
            helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g),
        ],
        "if_ranks",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(0, dtype=np.float32), "zero"),
         numpy_helper.from_array(np.array([6], dtype=np.int64), "flat")],
    )
    save("if_ranks", graph)
    write("if_ranks", {"inputs": [[2, 3]], "outputs": [None], "macs": 0, "branchShapes": [[2, 3], [6]]})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch_models()
    helper_models()
    for p in sorted(OUT.glob("*.onnx")):
        print(p.name, p.stat().st_size)


if __name__ == "__main__":
    main()
