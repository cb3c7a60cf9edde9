#!/usr/bin/python3
"""Reference for running a Darknet [lstm] (one step from the zero state, as ConvLens runs recurrent
sections): a small cfg, every inner connected layer's tensors (uf, ui, ug, uo, wf, wi, wg, wo, as
lstm_layer.c names them; random, batch-normalised) and the output of tools/darknet_recurrent.py
(Darknet's C code written out in PyTorch) for a fixed input. An [lstm]'s .weights cannot be read (the
two Darknets write its layers in different orders), so the test puts these tensors in by name.

    /usr/bin/python3 tools/make_darknet_lstm_run.py
"""
import json

import torch

import darknet_recurrent as rec
from make_darknet_refs import ROOT, parse

CFG = """[net]
inputs=6
time_steps=1

[lstm]
output=5
batch_normalize=1
"""
GATES = ["uf", "ui", "ug", "uo", "wf", "wi", "wg", "wo"]

torch.manual_seed(0)
with torch.no_grad():
    _, o = parse(CFG)[1]
    x = torch.linspace(-1, 1, 6).reshape(1, 6)
    made = len(rec.MADE)
    y, _, _ = rec.connected_recurrent("lstm", x, o)
    inner = rec.MADE[made:]
    assert len(inner) == len(GATES)
    tensors = {}
    for gate, layer in zip(GATES, inner):
        for key, t in (("weights", layer.weights), ("biases", layer.biases), ("scales", layer.bn.weight),
                       ("rolling_mean", layer.bn.running_mean), ("rolling_variance", layer.bn.running_var)):
            tensors[f"0.{gate}.{key}"] = t.flatten().tolist()
    (ROOT / "lstm-run.json").write_text(json.dumps(
        {"cfg": CFG, "input": x.flatten().tolist(), "tensors": tensors, "output": y.flatten().tolist()}) + "\n")
    print("lstm-run:", [round(v, 4) for v in y.flatten().tolist()])
