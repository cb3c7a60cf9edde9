#!/usr/bin/python3
"""torchvision 0.14's sizes for the transform pipelines of test/core/python/dataLoaders.test.ts.

    /usr/bin/python3 tools/check_transform_shapes.py

Each pipeline runs on a PIL image of its dataset's documented size and mode (MNIST 28x28 "L",
CIFAR/SVHN 32x32 RGB, STL10 96x96, CelebA 178 wide x 218 high, ImageFolder files of any size:
here 500x375 and 375x500) and the tensor's shape is printed; the test states the same shapes.
"""
from PIL import Image
from torchvision import transforms as T

N = T.Normalize((0.5,), (0.5,))
CASES = [
    ("CIFAR10 ToTensor", (32, 32), "RGB", T.ToTensor()),
    ("CIFAR10 RandomCrop(32, padding=4)", (32, 32), "RGB",
     T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), N])),
    ("CIFAR100 Resize(64)", (32, 32), "RGB", T.Compose([T.Resize(64), T.ToTensor()])),
    ("ImageFolder RandomResizedCrop(224)", (500, 375), "RGB", T.Compose([T.RandomResizedCrop(224), T.ToTensor()])),
    ("ImageFolder Resize(256) CenterCrop(224)", (375, 500), "RGB",
     T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])),
    ("STL10 ToTensor", (96, 96), "RGB", T.ToTensor()),
    ("SVHN ToTensor", (32, 32), "RGB", T.ToTensor()),
    ("MNIST Grayscale(3) Pad(2)", (28, 28), "L", T.Compose([T.Grayscale(3), T.Pad(2), T.ToTensor()])),
    ("CelebA Resize(64)", (178, 218), "RGB", T.Compose([T.Resize(64), T.ToTensor()])),
    ("CelebA Resize((64, 80))", (178, 218), "RGB", T.Compose([T.Resize((64, 80)), T.ToTensor()])),
]

for name, size, mode, t in CASES:
    print(f"{name}: {list(t(Image.new(mode, size)).shape)}")
