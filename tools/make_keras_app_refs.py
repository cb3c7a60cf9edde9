#!/usr/bin/env python3
"""Fixtures and ground truth for the published Keras applications (keras/src/applications/*.py).

For each application below this copies its source file as the installed Keras package ships it
(Apache-2.0; the repository's keras/src/applications/<file>, same text as the release tag) into
test/fixtures/keras/published/, appends one module-level line that builds the model
(`model = MobileNetV2(weights=None)`), runs that very file with Keras itself and writes
<stem>.keras.json beside it: model.summary()'s data, one row per layer (name, class, output
shape with None for the batch, param count) and the totals (count_params, trainable and not).
ConvLens's own code is not used.

    python3 -m venv /tmp/kv && /tmp/kv/bin/pip install keras jax jaxlib scipy numpy
    KERAS_BACKEND=jax /tmp/kv/bin/python tools/make_keras_app_refs.py [convnext.py ...]   # all, or some
"""
import hashlib
import json
import os
import pathlib
import runpy
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "keras" / "published"
SRC = pathlib.Path(keras.__file__).resolve().parent / "src" / "applications"

# source file -> the line appended to it.
APPS = {
    "mobilenet_v2.py": "model = MobileNetV2(weights=None)",
    "mobilenet.py": "model = MobileNet(weights=None)",
    "resnet.py": "model = ResNet50(weights=None)",
    "vgg16.py": "model = VGG16(weights=None)",
    "densenet.py": "model = DenseNet121(weights=None)",
    "xception.py": "model = Xception(weights=None)",
    "inception_v3.py": "model = InceptionV3(weights=None)",
    "efficientnet.py": "model = EfficientNetB0(weights=None)",
    "convnext.py": "model = ConvNeXtTiny(weights=None)",
    "mobilenet_v3.py": "model = MobileNetV3Small(weights=None)",
    "efficientnet_v2.py": "model = EfficientNetV2B0(weights=None)",
    "vgg19.py": "model = VGG19(weights=None)",
    "inception_resnet_v2.py": "model = InceptionResNetV2(weights=None)",
    # Imports its builders from the sibling resnet module (`from keras.src.applications import resnet`).
    "resnet_v2.py": "model = ResNet50V2(weights=None)",
    "nasnet.py": "model = NASNetMobile(weights=None)",
}

APPENDED = "\n# Appended for ConvLens's fixture: the model the file builds.\n"


def shape_of(layer):
    out = layer.output
    if isinstance(out, (list, tuple)):
        return [list(t.shape) for t in out]
    return list(out.shape)


def summary_ref(model, what):
    """model.summary()'s data: one row per layer, and the totals (count_params, trainable and not)."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return {
        "source": f"Keras {keras.__version__} ({keras.backend.backend()} backend): {what}; model.summary() rows",
        "model": model.name,
        "totals": {
            "params": model.count_params(),
            "trainable": trainable,
            "non_trainable": model.count_params() - trainable,
        },
        "layers": [
            {
                "name": l.name,
                "type": l.__class__.__name__,
                "output_shape": shape_of(l),
                "params": l.count_params(),
            }
            for l in model.layers
        ],
    }


def main(only):
    OUT.mkdir(parents=True, exist_ok=True)
    sources = [(n, hashlib.sha256((SRC / n).read_bytes()).hexdigest()) for n in APPS]
    for name, line in APPS.items():
        if only and name not in only:
            continue
        text = (SRC / name).read_text()
        fixture = OUT / name
        fixture.write_text(text.rstrip("\n") + "\n" + APPENDED + line + "\n")
        # Default layer names (conv2d_4) count per session: each file starts a fresh one, as opening it does.
        keras.backend.clear_session()
        model = runpy.run_path(str(fixture), run_name="fixture")["model"]
        ref = summary_ref(model, f"{line} run on {name}")
        (OUT / (fixture.stem + ".keras.json")).write_text(json.dumps(ref, indent=1) + "\n")
        print(f"{name}: {model.name} {model.count_params():,} params, {len(model.layers)} layers")
    rows = "\n".join(f"| {n} | keras/src/applications/{n} | {h} |" for n, h in sources)
    (OUT / "SOURCES.md").write_text(
        "# Published Keras applications\n\n"
        f"Source files of keras-team/keras (Apache-2.0, see LICENSE), as the Keras {keras.__version__} "
        "release ships them (tag v" + keras.__version__ + "), each with one appended line that builds "
        "the model at module level. Written, with the `.keras.json` ground truth beside each, by "
        "tools/make_keras_app_refs.py (Keras itself builds each file's model).\n\n"
        "| fixture | repository path | sha256 of the original file |\n| --- | --- | --- |\n" + rows + "\n"
    )
    lic = pathlib.Path(keras.__file__).resolve().parent.parent / f"keras-{keras.__version__}.dist-info"
    (OUT / "LICENSE").write_text((lic / "licenses" / "LICENSE").read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
