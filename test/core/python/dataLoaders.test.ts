/**
 * The model's input from the data the script loads: torchvision datasets' samples (MNIST 1×28×28
 * grey, CIFAR10 3×32×32 RGB: torchvision's documentation), the transforms' sizes and the
 * DataLoader's batch. The transformed sizes are torchvision 0.14's, checked by
 * tools/check_transform_shapes.py on PIL images of each dataset's size. A dataset whose samples
 * are not known leaves the input unknown with the reason, never a guessed size.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

const LIBS = resolve(__dirname, "../../fixtures/python/libs");
const files = { read: (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined) };
const FILE = resolve(LIBS, "script.py");

const analyse = (source: string) =>
  analyzePythonSource(source, { fileName: FILE, files, pythonPath: [LIBS] });
const model = (source: string): TracedClass | undefined =>
  analyse(source).classes.find((c) => c.name === "model" && c.kind === "instance");

const HEAD = `
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x)

model = Net()
`;

/** A script that loads `dataset` in batches of `batch` and trains `model` on it. */
const script = (dataset: string, batch = "16", extra = "") => `${HEAD}
loader = DataLoader(${dataset}, batch_size=${batch}, shuffle=True)
${extra}
def train():
    for data, target in loader:
        data = data.to("cpu")
        out = model(data)

for epoch in range(2):
    train()
`;

// (transform pipeline on a dataset, the sample's C×H×W after it, per torchvision 0.14)
const CASES: readonly [string, number[]][] = [
  ["datasets.CIFAR10('data', train=True, transform=transforms.ToTensor())", [3, 32, 32]],
  [
    "datasets.CIFAR10('d', transform=transforms.Compose([transforms.RandomCrop(32, padding=4), " +
      "transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))",
    [3, 32, 32],
  ],
  [
    "datasets.CIFAR100('d', True, transforms.Compose([transforms.Resize(64), transforms.ToTensor()]))",
    [3, 64, 64],
  ],
  [
    "datasets.ImageFolder('train', transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()]))",
    [3, 224, 224],
  ],
  [
    "datasets.ImageFolder('val', transform=transforms.Compose([transforms.Resize(256), " +
      "transforms.CenterCrop(224), transforms.ToTensor()]))",
    [3, 224, 224],
  ],
  ["datasets.STL10('d', split='train', transform=transforms.ToTensor())", [3, 96, 96]],
  ["datasets.SVHN('d', split='train', transform=transforms.ToTensor())", [3, 32, 32]],
  [
    "datasets.MNIST('d', transform=transforms.Compose([transforms.Grayscale(3), transforms.Pad(2), " +
      "transforms.ToTensor()]))",
    [3, 32, 32],
  ],
  ["datasets.FakeData(size=100, image_size=(3, 64, 48), transform=transforms.ToTensor())", [3, 64, 48]],
  // The shorter side to 64, the other int(64 * 218 / 178) = 78.
  [
    "datasets.CelebA('d', transform=transforms.Compose([transforms.Resize(64), transforms.ToTensor()]))",
    [3, 78, 64],
  ],
  [
    "datasets.CelebA('d', transform=transforms.Compose([transforms.Resize((64, 80)), transforms.ToTensor()]))",
    [3, 64, 80],
  ],
];

describe("the model's input from the script's DataLoader", () => {
  it.each(CASES)("%s", (dataset, sample) => {
    const m = model(script(dataset));
    expect(m?.input?.shape).toEqual([16, ...sample]);
    expect(m?.input?.source).toBe("code");
    expect(m?.input?.args?.[0]?.origin).toMatch(/samples .* in batches of 16/);
    expect(m?.error).toBeUndefined();
  });

  it("reads MNIST through the argparse default batch size, next(iter(loader)) and a view", () => {
    const m = model(`${HEAD.replace("nn.Conv2d(3, 8, 3)", "nn.Linear(784, 10)")}
import argparse
p = argparse.ArgumentParser()
p.add_argument('--batch-size', type=int, default=128)
args = p.parse_args()
loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=True, download=True, transform=transforms.ToTensor()),
    batch_size=args.batch_size, shuffle=True)
images, labels = next(iter(loader))
out = model(images.view(-1, 784))
`);
    expect(m?.input?.shape).toEqual([128, 784]);
    expect(m?.input?.args?.[0]?.origin).toBe(
      "MNIST samples 1×28×28 in batches of 128 (128×1×28×28), then view",
    );
    expect(m?.analysis?.totals.macs).toBe(128 * 784 * 10);
  });

  // pytorch/tutorials' DCGAN faces loop: D gets the loader's batch, G noise sized by that batch.
  it("follows a GAN loop: data[0] to D, noise of real.size(0) to G", () => {
    const r = analyse(`
import torch
import torch.nn as nn
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms

class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.ConvTranspose2d(100, 3, 64, 1, 0), nn.Tanh())
    def forward(self, input):
        return self.main(input)

class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(3, 1, 64), nn.Sigmoid())
    def forward(self, input):
        return self.main(input)

netG = G()
netD = D()
dataset = dset.ImageFolder(root="celeba", transform=transforms.Compose([
    transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True, num_workers=2)
fixed_noise = torch.randn(64, 100, 1, 1)
for epoch in range(5):
    for i, data in enumerate(dataloader, 0):
        real_cpu = data[0].to("cpu")
        b_size = real_cpu.size(0)
        output = netD(real_cpu).view(-1)
        noise = torch.randn(b_size, 100, 1, 1)
        fake = netG(noise)
`);
    const inst = (n: string) => r.classes.find((c) => c.name === n && c.kind === "instance");
    expect(inst("netD")?.input?.shape).toEqual([128, 3, 64, 64]);
    expect(inst("netD")?.input?.args?.[0]?.origin).toBe(
      "ImageFolder samples 3×64×64 in batches of 128 (128×3×64×64)",
    );
    expect(inst("netG")?.input?.shape).toEqual([128, 100, 1, 1]);
  });

  it("a tensor the code makes states the input over a loader's batch", () => {
    const m = model(
      script(
        "datasets.CIFAR10('d', transform=transforms.ToTensor())",
        "16",
        "y = model(torch.randn(2, 3, 40, 40))",
      ),
    );
    expect(m?.input?.shape).toEqual([2, 3, 40, 40]);
    expect(m?.input?.args?.[0]?.origin).toBeUndefined();
  });

  it("a comment or a setting states the input over a loader's batch (per-sample numbers)", () => {
    const source = script("datasets.CIFAR10('d', transform=transforms.ToTensor())").replace(
      "model = Net()",
      "model = Net()  # convlens: input 1x3x32x32",
    );
    expect(model(source)?.input).toMatchObject({ shape: [1, 3, 32, 32], source: "comment" });
    const plain = script("datasets.CIFAR10('d', transform=transforms.ToTensor())");
    const set = analyzePythonSource(plain, {
      fileName: FILE,
      files,
      pythonPath: [LIBS],
      inputShapes: { model: [2, 3, 32, 32] },
    }).classes.find((c) => c.name === "model" && c.kind === "instance");
    expect(set?.input).toMatchObject({ shape: [2, 3, 32, 32], source: "setting" });
  });

  it("batch_size=None gives unbatched samples; no batch_size gives batches of 1", () => {
    expect(
      model(script("datasets.CIFAR10('d', transform=transforms.ToTensor())", "None"))?.input?.shape,
    ).toEqual([3, 32, 32]);
    const one = model(
      `${HEAD}\nloader = DataLoader(datasets.CIFAR10('d', transform=transforms.ToTensor()))\nfor x, y in loader:\n    model(x)\n`,
    );
    expect(one?.input?.shape).toEqual([1, 3, 32, 32]);
  });

  // Unknown samples: the loop cannot run, so the model has no input from the code (it is then
  // assumed, with its own reason), never a size made up from the loader.
  it.each([
    ["datasets.ImageFolder('train', transforms.Compose([transforms.Resize(256), transforms.ToTensor()]))"],
    ["datasets.ImageFolder('train', transforms.Compose([transforms.RandomResizedCrop(224)]))"],
    [
      "datasets.CIFAR10('d', transform=transforms.Compose([transforms.Lambda(lambda x: x), transforms.ToTensor()]))",
    ],
    ["MyData()"],
    ["datasets.CIFAR10('d', transform=my_transform)"],
  ])("%s: no input from the loader", (dataset) => {
    const custom = `
class MyData(Dataset):
    def __len__(self):
        return 10
    def __getitem__(self, i):
        return torch.load(f"{i}.pt"), 0
`;
    const m = model(script(dataset, "16", custom));
    expect(m?.input?.source).not.toBe("code");
  });
});
