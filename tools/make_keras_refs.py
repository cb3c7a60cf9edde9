#!/usr/bin/python3
"""Ground truth for the Keras file reader, without TensorFlow or Keras.

The fixtures in test/fixtures/keras/*.json are hand-written Keras model configs
(model.to_json() / config.json text) in the Keras 2 and Keras 3 layouts. This script

 1. packs some of them the way Keras saves them: <stem>.keras (a zip with metadata.json,
    config.json and model.weights.h5, written with Python's zipfile) and <stem>.h5 (a
    legacy HDF5 full model whose root attribute model_config holds the JSON, written
    with h5py), plus the broken files under bad/;
 2. reads every config with its own small interpreter (independent of ConvLens), builds
    the same architecture from PyTorch modules in channels-last order, runs one forward
    pass and writes <stem>.expected.json: each layer's output shape, parameter count and
    MACs.

Parameter counts are Keras's. Where PyTorch keeps a second bias, the script subtracts it:
  - LSTM: PyTorch has b_ih and b_hh (4·units each), Keras one 4·units bias → minus 4·units per direction;
  - GRU with reset_after=True (Keras ≥ 2.3 default) has both biases, like PyTorch → equal;
    reset_after=False has one → minus 3·units per direction (PyTorch computes the
    reset_after form; shapes are the same);
  - SimpleRNN: PyTorch's RNN has two biases → minus units per direction.
MACs follow ConvLens's op table (the ONNX ops): convolutions output·(cin/groups)·kernel,
transposed ones input·cout·kernel, Dense output·fan_in, recurrent layers
directions·gates·(features + units)·units per time step and sample; other layers 0.

Time axes that are None in a config get a length from INPUTS (IMDB's maxlen is 200).

    /usr/bin/python3 tools/make_keras_refs.py   # Debian's python3-torch and python3-h5py
"""
import json
import pathlib
import zipfile

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "keras"

# Concrete input shapes (batch 1) for the analysis, by input name; None time axes get a length here.
INPUTS = {
    "imdb_bilstm": {"input_layer": [1, 200]},
    "rnn_guide_gru": {"embedding_1_input": [1, 30]},
    "rnn_guide_encoder_decoder": {"input_1": [1, 12], "input_2": [1, 9]},
}
ARCHIVES = {"imdb_bilstm": zipfile.ZIP_STORED, "autoencoder": zipfile.ZIP_DEFLATED}
LEGACY_H5 = ["mnist_convnet"]
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
ZIP_TIME = (2024, 5, 1, 12, 0, 0)

torch.manual_seed(0)


# ---------------------------------------------------------------- reading configs


def tensor_refs(v):
    """[layer, node, tensor] references in a Keras 2 node or a Keras 3 {args, kwargs} node, in order."""
    if isinstance(v, list) and len(v) in (3, 4) and isinstance(v[0], str) and isinstance(v[1], int) and isinstance(v[2], int):
        return [tuple(v[:3])]
    if isinstance(v, list):
        return [r for x in v for r in tensor_refs(x)]
    if isinstance(v, dict):
        if v.get("class_name") == "__keras_tensor__":
            return [tuple(v["config"]["keras_history"])]
        return [r for k, x in v.items() if k not in ("mask", "training") for r in tensor_refs(x)]
    return []


def call_refs(node):
    if isinstance(node, dict):
        return tensor_refs(node.get("args", [])) + tensor_refs(node.get("kwargs", {}))
    return tensor_refs(node)


def dims(shape):
    return [None if d is None else int(d) for d in shape]


# ---------------------------------------------------------------- PyTorch layers


def activation(x, name):
    return {
        None: lambda t: t,
        "linear": lambda t: t,
        "relu": F.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda t: torch.softmax(t, -1),
    }[name](x)


def nhwc(fn, x):
    """Run an NCHW PyTorch op on a channels-last tensor."""
    return fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


def params(module):
    return sum(p.numel() for p in module.parameters())


def apply_layer(cls, cfg, xs):
    """One Keras layer on PyTorch tensors → (outputs, params, macs)."""
    x = xs[0]
    if cls == "Embedding":
        m = torch.nn.Embedding(cfg["input_dim"], cfg["output_dim"])
        return [m(x)], params(m), 0
    if cls == "Dense":
        m = torch.nn.Linear(x.shape[-1], cfg["units"], bias=cfg.get("use_bias", True))
        y = m(x)
        return [activation(y, cfg.get("activation"))], params(m), y.numel() * x.shape[-1]
    if cls == "Conv2D":
        k, s = cfg["kernel_size"], cfg.get("strides", [1, 1])
        m = torch.nn.Conv2d(x.shape[-1], cfg["filters"], k, s, padding=cfg["padding"], groups=cfg.get("groups", 1))
        y = nhwc(m, x)
        return [activation(y, cfg.get("activation"))], params(m), y.numel() * x.shape[-1] // cfg.get("groups", 1) * k[0] * k[1]
    if cls == "Conv2DTranspose":
        k, s = cfg["kernel_size"], cfg.get("strides", [1, 1])
        assert cfg["padding"] == "valid"
        m = torch.nn.ConvTranspose2d(x.shape[-1], cfg["filters"], k, s, output_padding=[max(s[i] - k[i], 0) for i in range(2)])
        y = nhwc(m, x)
        return [activation(y, cfg.get("activation"))], params(m), x.numel() * cfg["filters"] * k[0] * k[1]
    if cls == "MaxPooling2D":
        return [nhwc(lambda t: F.max_pool2d(t, cfg["pool_size"], cfg["strides"] or cfg["pool_size"]), x)], 0, 0
    if cls == "UpSampling2D":
        return [nhwc(lambda t: F.interpolate(t, scale_factor=tuple(cfg["size"]), mode="nearest"), x)], 0, 0
    if cls == "GlobalAveragePooling2D":
        return [x.mean(dim=(1, 2))], 0, 0
    if cls == "GlobalMaxPooling2D":
        return [x.amax(dim=(1, 2))], 0, 0
    if cls == "Flatten":
        return [x.reshape(x.shape[0], -1)], 0, 0
    if cls == "Dropout":
        return [x], 0, 0
    if cls == "Reshape":
        return [x.reshape(x.shape[0], *cfg["target_shape"])], 0, 0
    if cls == "Add":
        return [sum(xs)], 0, 0
    if cls in GATES:
        return recurrent(cls, cfg, xs, 1)
    if cls == "Bidirectional":
        assert cfg.get("merge_mode", "concat") == "concat"
        inner = cfg["layer"]
        return recurrent(inner["class_name"], inner["config"], xs, 2)
    if cls == "TimeDistributed":
        inner = cfg["layer"]
        n, t = x.shape[0], x.shape[1]
        ys, p, macs = apply_layer(inner["class_name"], inner["config"], [x.reshape(n * t, *x.shape[2:])])
        return [ys[0].reshape(n, t, *ys[0].shape[1:])], p, macs
    raise ValueError(f"no PyTorch equivalent for {cls}")


def recurrent(cls, cfg, xs, dirs):
    x, states = xs[0], xs[1:]
    units, features = cfg["units"], x.shape[-1]
    make = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "SimpleRNN": torch.nn.RNN}[cls]
    m = make(features, units, batch_first=True, bidirectional=dirs == 2)
    extra_bias = {"LSTM": 4 * units, "GRU": 0 if cfg.get("reset_after", True) else 3 * units, "SimpleRNN": units}[cls]
    keras_params = params(m) - dirs * extra_bias
    if states:
        per = 2 if cls == "LSTM" else 1
        h0 = torch.stack([states[d * per] for d in range(dirs)])
        init = (h0, torch.stack([states[d * per + 1] for d in range(dirs)])) if cls == "LSTM" else h0
        out, final = m(x, init)
    else:
        out, final = m(x)
    h_n, c_n = final if cls == "LSTM" else (final, None)
    y = out if cfg.get("return_sequences") else h_n.transpose(0, 1).reshape(x.shape[0], dirs * units)
    outs = [y]
    if cfg.get("return_state"):
        for d in range(dirs):
            outs.append(h_n[d])
            if c_n is not None:
                outs.append(c_n[d])
    macs = dirs * GATES[cls] * (features + units) * units * x.shape[1] * x.shape[0]
    return outs, keras_params, macs


# ---------------------------------------------------------------- models


def model_of(doc):
    top = doc.get("modelTopology", doc)
    top = top.get("model_config", top)
    cfg = top["config"]
    if top["class_name"] == "Sequential":
        layers = cfg["layers"] if isinstance(cfg, dict) else cfg
        return "sequential", layers, cfg
    return "functional", cfg["layers"], cfg


def make_input(shape, dtype, vocab):
    if dtype.startswith("int"):
        return torch.randint(0, vocab or 10, shape)
    return torch.rand(shape)


def first_vocab(layers):
    return next((l["config"]["input_dim"] for l in layers if l["class_name"] == "Embedding"), None)


def run(stem, doc):
    kind, layers, cfg = model_of(doc)
    given = INPUTS.get(stem, {})
    rows, inputs = [], {}

    def record(layer, outs, p, macs):
        rows.append({"name": layer["config"]["name"], "type": layer["class_name"], "output_shape": list(outs[0].shape), "params": p, "macs": macs})

    with torch.no_grad():
        if kind == "sequential":
            head = layers[0]["config"]
            shape = head.get("batch_shape") or head.get("batch_input_shape")
            name = head["name"] if layers[0]["class_name"] == "InputLayer" else "input"
            shape = given.get(name) or [1] + dims(shape)[1:]
            dtype = "int" if any(l["class_name"] == "Embedding" for l in layers[:2]) else "float"
            x = make_input(shape, dtype, first_vocab(layers))
            inputs[name] = shape
            for layer in layers:
                if layer["class_name"] == "InputLayer":
                    continue
                outs, p, macs = apply_layer(layer["class_name"], layer["config"], [x])
                record(layer, outs, p, macs)
                x = outs[0]
        else:
            produced = {}
            by_name = {l["name"]: l for l in layers}
            vocab = {}
            for l in layers:  # which Embedding reads which input (for index ranges)
                if l["class_name"] == "Embedding":
                    for r in call_refs(l["inbound_nodes"][0]):
                        vocab[r[0]] = l["config"]["input_dim"]
            for layer in layers:  # listed in creation order: inputs exist before use
                c = layer["config"]
                if layer["class_name"] == "InputLayer":
                    shape = given.get(layer["name"]) or [1] + dims(c.get("batch_shape") or c["batch_input_shape"])[1:]
                    inputs[layer["name"]] = shape
                    produced[(layer["name"], 0)] = [make_input(shape, c.get("dtype", "float32") if layer["name"] not in vocab else "int", vocab.get(layer["name"]))]
                    continue
                for i, node in enumerate(layer["inbound_nodes"]):
                    xs = [produced[(r[0], r[1])][r[2]] for r in call_refs(node)]
                    outs, p, macs = apply_layer(layer["class_name"], c, xs)
                    produced[(layer["name"], i)] = outs
                    if i == 0:
                        record(layer, outs, p, macs)
            assert all(name in by_name for name in inputs)
    return {
        "model": stem,
        "source": "tools/make_keras_refs.py: the config read by its own interpreter and built from PyTorch modules (channels-last); Keras parameter counts",
        "inputs": inputs,
        "totals": {"params": sum(r["params"] for r in rows), "macs": sum(r["macs"] for r in rows)},
        "layers": rows,
    }


# ---------------------------------------------------------------- packing


def zip_entry(z, name, data, method):
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = method
    z.writestr(info, data)


def weights_h5(path, layer_names):
    import h5py

    with h5py.File(path, "w") as f:
        for name in layer_names:
            f.create_group(f"layers/{name}/vars")
        f.create_group("optimizer/vars")


def write_keras(stem, text, method):
    """A .keras archive as Keras 3 saves it: metadata.json, config.json, model.weights.h5."""
    names = [l["name"] if "name" in l else l["config"]["name"] for l in model_of(json.loads(text))[1]]
    tmp = ROOT / f"{stem}.weights.tmp.h5"
    weights_h5(tmp, names)
    with zipfile.ZipFile(ROOT / f"{stem}.keras", "w") as z:
        zip_entry(z, "metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"}), method)
        zip_entry(z, "config.json", json.dumps(json.loads(text)), method)
        zip_entry(z, "model.weights.h5", tmp.read_bytes(), method)
    tmp.unlink()


def write_h5(path, doc, with_config=True):
    """A legacy tf.keras HDF5 file (model.save('x.h5')): model_config is a root attribute."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = doc.get("keras_version", "2.6.0").encode()
        if with_config:
            f.attrs["model_config"] = json.dumps({k: doc[k] for k in ("class_name", "config")}).encode("utf8")
        w = f.create_group("model_weights")
        names = [l["config"]["name"] for l in model_of(doc)[1]]
        w.attrs["layer_names"] = [n.encode() for n in names]
        w.attrs["backend"] = b"tensorflow"
        for n in names:
            w.create_group(n).attrs["weight_names"] = []


def write_bad():
    bad = ROOT / "bad"
    bad.mkdir(exist_ok=True)
    # A subclassed model: its get_config() has no layers, its architecture is Python code.
    sub = {"module": None, "class_name": "MyModel", "config": {"name": "my_model", "trainable": True, "dtype": "float32"}, "registered_name": "Custom>MyModel", "build_config": {"input_shape": [None, 32]}}
    with zipfile.ZipFile(bad / "subclassed.keras", "w") as z:
        zip_entry(z, "metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"}), zipfile.ZIP_STORED)
        zip_entry(z, "config.json", json.dumps(sub), zipfile.ZIP_STORED)
    # model.save_weights('x.h5'): layer names but no model_config.
    write_h5(bad / "weights_only.h5", json.loads((ROOT / "mnist_convnet.json").read_text()), with_config=False)
    data = (ROOT / "imdb_bilstm.keras").read_bytes()
    (bad / "truncated.keras").write_bytes(data[: len(data) // 2])


def main():
    for stem, method in ARCHIVES.items():
        write_keras(stem, (ROOT / f"{stem}.json").read_text(), method)
    for stem in LEGACY_H5:
        write_h5(ROOT / f"{stem}.h5", json.loads((ROOT / f"{stem}.json").read_text()))
    write_bad()
    for path in sorted(ROOT.glob("*.json")):
        if path.name.endswith((".expected.json", ".published.json")):
            continue
        ref = run(path.stem, json.loads(path.read_text()))
        (ROOT / f"{path.stem}.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
        print(f"{path.stem}: {ref['totals']['params']} params, {ref['totals']['macs']} MACs")


if __name__ == "__main__":
    main()
