"""ConvLens bridge: run one PyTorch model of the user's file, in the user's interpreter, on request.

    python convlens_bridge.py '<request JSON>'

Request: {"file": path, "name": class or instance name, "kind": "class" | "instance",
          "build": optional Python expression that builds the model (the file's own call, e.g.
          "Net(num_classes=10)"), evaluated in the imported file's namespace,
          "inputs": [{"shape": [1, 3, 224, 224], "dtype": "float32"}, ...],
          "device": "auto" | "meta" | "cpu", "max_bytes": CPU size guard (bytes of one tensor)}

The file is imported as a module (not as __main__: training loops under `if __name__ ==
"__main__":` do not run). Forward hooks record every module call. Only JSON lines are written
to stdout (the user's own prints go to stderr); the last line is {"event": "trace", ...} or
{"event": "error", "kind": ..., "message": ..., "file": ..., "line": ...}.
Standard library and torch only; works with torch 1.13 and 2.x.
"""
import importlib.util
import json
import os
import sys
import time
import traceback

OUT = sys.stdout
STARTED = time.time()


def emit(obj):
    OUT.write(json.dumps(obj) + "\n")
    OUT.flush()


class Failure(Exception):
    """One request's answer when it cannot be traced: becomes its {"event": "error"} line."""

    def __init__(self, kind, message, file=None, line=None):
        Exception.__init__(self, message)
        self.line_json = {"event": "error", "kind": kind, "message": message, "file": file, "line": line}


def fail(kind, message, file=None, line=None):
    raise Failure(kind, message, file, line)


def last_line(exc):
    """`Type: message` in one line: the message's first line (PyTorch's can run to pages)."""
    if isinstance(exc, SyntaxError):
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip().split("\n")
        return text[-1] if text else type(exc).__name__
    message = str(exc).strip().split("\n")[0]
    return "%s: %s" % (type(exc).__name__, message) if message else type(exc).__name__


def user_frame(tb, path):
    """The innermost traceback frame in the user's file: (file, line), else (None, None)."""
    frames = traceback.extract_tb(tb)
    mine = [f for f in frames if os.path.abspath(f.filename) == path]
    if mine:
        return path, mine[-1].lineno
    return None, None


def main():
    try:
        req = json.loads(sys.argv[1])
    except (IndexError, ValueError) as exc:
        emit({"event": "error", "kind": "bad-request", "message": "the bridge needs one JSON argument: %s" % exc})
        return
    python = "%d.%d.%d" % sys.version_info[:3]
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken install raising anything
        emit({"event": "error", "kind": "no-torch", "python": python,
              "message": "PyTorch is not installed in %s (Python %s): %s" % (sys.executable, python, last_line(exc))})
        return
    emit({"event": "start", "python": python, "torch": torch.__version__, "executable": sys.executable,
          "ms": round((time.time() - STARTED) * 1000)})
    sys.stdout = sys.stderr  # the user's prints never reach the JSON stream
    # A list of requests (the tests' corpus) is answered line by line, each with its index.
    for index, one in enumerate(req if isinstance(req, list) else [req]):
        started = time.time()
        try:
            result = check(torch, one)
        except Failure as f:
            result = f.line_json
        except SystemExit:
            result = {"event": "error", "kind": "build-error", "message": "the model's code called sys.exit()"}
        except Exception as exc:  # a bug here is one line too, never a stack trace in the editor
            result = {"event": "error", "kind": "internal", "message": last_line(exc)}
        result.update(index=index, python=python, torch=torch.__version__, ms=round((time.time() - started) * 1000))
        emit(result)


def check(torch, req):
    path = os.path.abspath(req["file"])
    built_at = {}  # id(module) -> line of the user's file that built it
    device = req.get("device", "auto")
    # Meta tensors hold no values: the weights' random initialisation is skipped for that build.
    model = load_and_build(torch.nn, req, path, built_at, skip_init=device in ("auto", "meta"))
    inputs = req.get("inputs") or []
    if not inputs:
        fail("no-input", "no input shape for %s: call the model in the file or add `# convlens: input …`"
             % req["name"])
    fallback = None
    result = None
    if device in ("auto", "meta"):
        try:
            result = trace(torch, model, inputs, "meta", path, built_at)
        except Exception as exc:
            if device == "meta":
                raise_forward(exc, path)
            fallback = "the meta device cannot run it (%s)" % last_line(exc)
            # .to("meta") dropped the weights (of a module-level instance too): import and build again.
            built_at.clear()
            model = load_and_build(torch.nn, req, path, built_at)
    if result is None:
        guard(torch, inputs, req.get("max_bytes", 1 << 30))
        try:
            result = trace(torch, model, inputs, "cpu", path, built_at)
        except Exception as exc:
            raise_forward(exc, path)
    result.update(event="trace", fallback=fallback)
    if req.get("export"):
        built_at.clear()
        model = load_and_build(torch.nn, req, path, built_at)
        result["export"] = export(torch, model, inputs, req["export"], built_at)
    return result


def load_checkpoint(torch, model, path):
    """The checkpoint's weights into the model, as PyTorch loads them: a state_dict (also under
    "state_dict" / "model" / "model_state_dict", DataParallel's "module." prefix dropped), a whole
    pickled model (the workspace is trusted), or a .safetensors file (the safetensors package)."""
    if path.endswith(".safetensors"):
        try:
            from safetensors.torch import load_file
        except ImportError:
            fail("checkpoint-error", "reading .safetensors needs the safetensors package in this interpreter")
        state = load_file(path)
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except TypeError:  # torch before 1.13 has no weights_only
            state = torch.load(path, map_location="cpu")
    if isinstance(state, torch.nn.Module):
        return state.eval()
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        fail("checkpoint-error", "%s holds a %s, not a state_dict or a model" % (os.path.basename(path), type(state).__name__))
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    model.load_state_dict(state)
    return model


def export(torch, model, inputs, spec, built_at):
    """torch.onnx.export to spec["path"] (weights of spec.get("checkpoint"), else the model's own), and
    PyTorch's outputs on linspace(0, 1) inputs so that the exported file can be checked against them.
    "modules": the exported model's module paths (the exporter's node names carry them) with the line
    of the user's file that built each (null for a whole pickled model: not built by the file)."""
    started = time.time()
    checkpoint = spec.get("checkpoint")
    try:
        if checkpoint:
            model = load_checkpoint(torch, model, checkpoint)
    except Failure:
        raise
    except Exception as exc:
        fail("checkpoint-error", "loading %s: %s" % (os.path.basename(checkpoint), last_line(exc)))
    model = model.eval()
    args = []
    for s in inputs:
        n = 1
        for d in s["shape"]:
            n *= d
        dtype = dtype_of(torch, s.get("dtype"))
        x = torch.linspace(0, 1, n).reshape(s["shape"])
        args.append(x.to(dtype) if dtype.is_floating_point else torch.zeros(s["shape"], dtype=dtype))
    names = ["input"] if len(args) == 1 else ["input_%d" % i for i in range(len(args))]
    with torch.no_grad():
        out = model(*args)
    try:
        torch.onnx.export(model, tuple(args), spec["path"], opset_version=spec.get("opset", 17),
                          input_names=names, do_constant_folding=True)
    except Exception as exc:
        fail("export-error", "torch.onnx.export: %s" % last_line(exc))
    first = out if isinstance(out, torch.Tensor) else ([t for t in flatten(torch, out)] or [None])[0]
    reference = {"input": "linspace(0, 1) over each input, reshaped", "input_names": names}
    if first is not None and first.is_floating_point():
        reference["top1"] = int(first.reshape(first.shape[0], -1)[0].argmax()) if first.dim() > 0 else 0
        if first.numel() <= 4096:
            reference["output"] = [float(v) for v in first.flatten()]
    modules = [{"path": name, "type": type(m).__name__, "line": built_at.get(id(m))}
               for name, m in model.named_modules()]
    return {"path": spec["path"], "checkpoint": checkpoint, "opset": spec.get("opset", 17), "reference": reference,
            "modules": modules, "ms": round((time.time() - started) * 1000)}


def flatten(torch, v):
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (tuple, list)):
        return [t for x in v for t in flatten(torch, x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in flatten(torch, x)]
    return []


INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                  "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                  "sparse_")


def load_and_build(nn, req, path, built_at, skip_init=False):
    """Import the file and build the model while recording where each module is built: the
    innermost frame in the user's file when nn.Module.__init__ ran. skip_init: torch.nn.init's
    functions leave tensors as they are (the model is only traced on the meta device)."""
    original_init = nn.Module.__init__
    original_inits = {name: getattr(nn.init, name) for name in INIT_FUNCTIONS if hasattr(nn.init, name)}

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        f = sys._getframe(1)
        while f is not None:
            # A class of the user's file calls super().__init__() in its own __init__: its line is the caller's.
            inside_own_init = f.f_code.co_name == "__init__" and f.f_locals.get("self") is self
            if not inside_own_init and os.path.abspath(f.f_code.co_filename) == path:
                built_at[id(self)] = f.f_lineno
                break
            f = f.f_back

    nn.Module.__init__ = recording_init
    if skip_init:
        for name in original_inits:
            setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
    try:
        return build(load(path), req, path, nn)
    finally:
        nn.Module.__init__ = original_init
        for name, fn in original_inits.items():
            setattr(nn.init, name, fn)


def load(path):
    name = "convlens_user_" + "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # imports beside the file resolve as when it runs as a script
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except SystemExit:
        fail("import-error", "importing the file called sys.exit() (argparse without arguments?)")
    except SyntaxError as exc:
        same = exc.filename and os.path.abspath(exc.filename) == path
        fail("import-error", last_line(exc), path if same else None, exc.lineno if same else None)
    except BaseException as exc:
        file, line = user_frame(exc.__traceback__, path)
        fail("import-error", last_line(exc), file, line)
    return mod


def build(mod, req, path, nn):
    name = req["name"]
    value = getattr(mod, name, None)
    try:
        if isinstance(value, nn.Module):
            return value.eval()
        if req.get("build"):
            model = eval(req["build"], vars(mod))  # the file's own building call, in its own namespace
        elif isinstance(value, type) and issubclass(value, nn.Module):
            model = value()
        else:
            fail("not-found", "%s is not a module-level nn.Module class or instance of the file" % name)
    except Failure:
        raise
    except SystemExit:
        fail("build-error", "building %s called sys.exit()" % name)
    except Exception as exc:
        file, line = user_frame(exc.__traceback__, path)
        fail("build-error", "building %s: %s" % (name, last_line(exc)), file, line)
    if not isinstance(model, nn.Module):
        fail("not-found", "%s did not build an nn.Module (got %s)" % (name, type(model).__name__))
    return model.eval()


def guard(torch, inputs, max_bytes):
    for spec in inputs:
        n = 1
        for d in spec["shape"]:
            n *= d
        size = n * torch.empty((), dtype=dtype_of(torch, spec.get("dtype"))).element_size()
        if size > max_bytes:
            fail("too-large", "the input %s needs %d MB on the CPU (limit %d MB)"
                 % ("x".join(map(str, spec["shape"])), size >> 20, max_bytes >> 20))


def dtype_of(torch, name):
    return getattr(torch, name or "float32", torch.float32)


def describe(torch, v):
    """Every tensor in an output (tuples, lists, dicts in order) as {shape, dtype}."""
    if isinstance(v, torch.Tensor):
        return [{"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}]
    if isinstance(v, (tuple, list)):
        return [t for x in v for t in describe(torch, x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in describe(torch, x)]
    return []


def trace(torch, model, inputs, device, path, built_at):
    names = {}
    for name, m in model.named_modules():
        names.setdefault(id(m), name)
    calls = []

    def hook(m, args, output):
        f = sys._getframe(1)
        line = None
        while f is not None:
            if os.path.abspath(f.f_code.co_filename) == path:
                line = f.f_lineno
                break
            f = f.f_back
        calls.append({"path": names.get(id(m), "?"), "type": type(m).__name__, "line": line,
                      "inputs": describe(torch, list(args)), "outputs": describe(torch, output)})

    # Which parameters are one tensor (tied weights), taken before .to("meta") makes each a copy of its own.
    tensor_of = {}
    for m in model.modules():
        for pname, p in m.named_parameters(recurse=False):
            tensor_of[(id(m), pname)] = id(p)
    if device == "meta":
        model = model.to("meta")
    args = [torch.zeros(*s["shape"], dtype=dtype_of(torch, s.get("dtype")), device=device) for s in inputs]
    handles = [m.register_forward_hook(hook) for m in model.modules()]
    started = time.time()
    try:
        with torch.no_grad():
            out = model(*args)
    finally:
        for h in handles:
            h.remove()
    forward_ms = round((time.time() - started) * 1000)
    # After the forward: lazy modules have their parameters only now.
    called = {c["path"] for c in calls}
    modules = []

    def params_of(ms):
        sizes = {}
        for m in ms:
            for pname, p in m.named_parameters(recurse=False):
                sizes.setdefault(tensor_of.get((id(m), pname), id(p)), p.numel())
        return sum(sizes.values())

    for m in model.modules():
        name = names[id(m)]
        below = [n for n, _ in m.named_modules(prefix=name) if n != name]
        # Nothing below it runs as a module (a Conv2d; a MultiheadAttention, whose out_proj never
        # runs): one layer, with all its parameters. The model itself is a layer only when it has no parts.
        leaf = not any(n in called for n in below) and (name != "" or not below)
        params = params_of(list(m.modules()) if leaf else [m])
        modules.append({"path": name, "type": type(m).__name__, "line": built_at.get(id(m)), "params": params,
                        "leaf": leaf})
    return {"device": device, "inputs": [{"shape": s["shape"], "dtype": s.get("dtype", "float32")} for s in inputs],
            "outputs": describe(torch, out), "params": params_of(list(model.modules())),
            "modules": modules, "calls": calls, "forward_ms": forward_ms}


def raise_forward(exc, path):
    file, line = user_frame(exc.__traceback__, path)
    fail("forward-error", last_line(exc).split("\n")[0], file, line)


if __name__ == "__main__":
    main()
