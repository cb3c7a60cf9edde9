#!/usr/bin/env python3
"""Ground truth for the small Keras sources in test/fixtures/keras/snippets/ (regression cases of the
Keras source reader, each binding `model` at module level): runs each file with Keras itself and writes
<stem>.keras.json beside it, the same model.summary() data as tools/make_keras_app_refs.py writes.

    KERAS_BACKEND=jax /tmp/kv/bin/python tools/make_keras_snippet_refs.py [normalization.py ...]
"""
import json
import pathlib
import runpy
import sys

from make_keras_app_refs import keras, summary_ref

DIR = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "keras" / "snippets"


def main(only):
    for path in sorted(DIR.glob("*.py")):
        if only and path.name not in only:
            continue
        # Default layer names count per session: each file starts a fresh one, as opening it does.
        keras.backend.clear_session()
        model = runpy.run_path(str(path), run_name="fixture")["model"]
        ref = summary_ref(model, f"snippets/{path.name} run as it is")
        (DIR / (path.stem + ".keras.json")).write_text(json.dumps(ref, indent=1) + "\n")
        print(f"{path.name}: {model.name} {model.count_params():,} params, {len(model.layers)} layers")


if __name__ == "__main__":
    main(sys.argv[1:])
