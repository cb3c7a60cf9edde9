#!/usr/bin/python3
"""PyTorch's numbers for the models of pytorch/examples and pytorch/tutorials scripts.

    /usr/bin/python3 tools/make_examples_refs.py [NAME ...]

Needs Debian's python3-torch (1.13). The scripts are the unmodified copies in
test/fixtures/third_party/pytorch-examples (SOURCES.md says from which commits). They train or
download at module level (argparse, datasets, training loops), so they are not run: the script's
AST is filtered to its imports (one that fails, such as matplotlib, is skipped), class and
function definitions and assignments of literal constants, that part is executed, then the
model is built as the script builds it (`Net()`, `Generator(ngpu)`), after SETUP lines that
give the module-level names the script computes from argparse (their defaults, stated below).

The input shape of each model is the one the script feeds it: a DataLoader's first batch (its
batch_size, an argparse default where the script reads one), else the script's own tensor:
- mnist: 64x1x28x28 (datasets.MNIST + ToTensor, --batch-size 64); vae: 128x1x28x28 (--batch-size
  128); spatial transformer: 64x1x28x28 (batch_size=64);
- neural_networks_tutorial: 1x1x32x32 (its own `torch.randn(1, 1, 32, 32)`);
- buildmodel_tutorial: 1x28x28 (its own `torch.rand(1, 28, 28)`, a FashionMNIST image);
- reinforce: 1x4 (a CartPole state of 4 floats, `.unsqueeze(0)`);
- cifar10_tutorial: 4x3x32x32 (CIFAR10 + ToTensor, batch_size = 4);
- dcgan: G gets `torch.randn(batch_size, nz, 1, 1)`, batch_size the real batch's size(0) of
  --batchSize 64: 64x100x1x1; D gets G's output / a real batch of --imageSize 64 with nc=3
  channels (cifar10, lsun, imagenet, folder, fake datasets): 64x3x64x64;
- dcgan_faces_tutorial: D gets the DataLoader's batch_size = 128 CelebA images through
  Resize(64) + CenterCrop(64) = 128x3x64x64; G gets torch.randn(b_size, nz, 1, 1), b_size the
  real batch's size(0): 128x100x1x1 (its module-level constants nz, ngf, ndf, nc, ngpu are literal);
- fast_neural_style: 1x3x256x256 (its --image-size default 256 for training);
- super_resolution: Net(upscale_factor=3) (the README's command) on the Y channel of a BSDS300
  crop, 256 - 256 % 3 = 255 resized to 255 // 3 = 85: 1x1x85x85.
The recording and the NAME.json format are tools/torch_model_refs.py's, plus "script" (the
file under the corpus folder) and "class" (the model's class in it).
"""
import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from torch_model_refs import write_refs  # noqa: E402

CORPUS = os.path.join(ROOT, "test", "fixtures", "third_party", "pytorch-examples")
OUT = os.path.join(ROOT, "test", "fixtures", "third_party", "pytorch-examples-expected")

MNIST = [64, 1, 28, 28]
DCGAN_SETUP = "ngpu, nz, ngf, ndf, nc = 1, 100, 64, 64, 3"  # argparse defaults; nc=3 but for mnist

# (script under CORPUS, class, call as the script writes it, input shape, setup source)
MODELS = [
    ("examples/mnist/main.py", "Net", "Net()", MNIST, ""),
    ("examples/vae/main.py", "VAE", "VAE()", [128, 1, 28, 28], ""),
    ("examples/dcgan/main.py", "Generator", "Generator(ngpu)", [64, 100, 1, 1], DCGAN_SETUP),
    ("examples/dcgan/main.py", "Discriminator", "Discriminator(ngpu)", [64, 3, 64, 64], DCGAN_SETUP),
    ("examples/fast_neural_style/neural_style/transformer_net.py", "TransformerNet", "TransformerNet()",
     [1, 3, 256, 256], ""),
    ("examples/super_resolution/model.py", "Net", "Net(upscale_factor=3)", [1, 1, 85, 85], ""),
    ("examples/reinforcement_learning/reinforce.py", "Policy", "Policy()", [1, 4], ""),
    ("tutorials/beginner_source/basics/buildmodel_tutorial.py", "NeuralNetwork", "NeuralNetwork()", [1, 28, 28], ""),
    ("tutorials/beginner_source/blitz/neural_networks_tutorial.py", "Net", "Net()", [1, 1, 32, 32], ""),
    ("tutorials/beginner_source/blitz/cifar10_tutorial.py", "Net", "Net()", [4, 3, 32, 32], ""),
    ("tutorials/intermediate_source/spatial_transformer_tutorial.py", "Net", "Net()", MNIST, ""),
    ("tutorials/beginner_source/dcgan_faces_tutorial.py", "Generator", "Generator(ngpu)", [128, 100, 1, 1], ""),
    ("tutorials/beginner_source/dcgan_faces_tutorial.py", "Discriminator", "Discriminator(ngpu)",
     [128, 3, 64, 64], ""),
]


def is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def definitions(path):
    """The script without its side effects: imports, defs, classes, literal assignments."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    kept = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue  # no-ops in Python 3, and they must come first
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            # an import that is not installed here (matplotlib) is not needed to build the model
            kept.append(ast.Try(body=[node], handlers=[ast.ExceptHandler(
                type=ast.Name("ImportError", ast.Load()), name=None, body=[ast.Pass()])],
                orelse=[], finalbody=[]))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            kept.append(node)
        elif isinstance(node, ast.Assign) and is_literal(node.value) and all(
                isinstance(t, ast.Name) for t in node.targets):
            kept.append(node)
    module = ast.fix_missing_locations(ast.Module(body=kept, type_ignores=[]))
    return compile(module, path, "exec")


def job(script, cls, call, input_shape, setup):
    stem = os.path.splitext(script.split("/", 1)[1])[0]
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{stem}_{cls}").strip("_")
    # compiled here, not in build(): a fault of this filter must not pass for PyTorch's refusal
    code = definitions(os.path.join(CORPUS, script))

    def build():
        namespace = {"__name__": "__convlens_refs__"}  # not "__main__": the main block stays out
        exec(code, namespace)
        exec(f"{setup}\nmodel = {call}", namespace)
        return namespace["model"]

    return name, (build, call, input_shape, {"script": script, "class": cls})


def main(argv):
    jobs = dict(job(*m) for m in MODELS)
    index = {"corpus": "pytorch/examples and pytorch/tutorials (scripts)"}
    write_refs(OUT, jobs, {}, index, only=argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
