/**
 * tqdm around a DataLoader (`for data in tqdm(loader, desc=…)`, pytorch/examples' vision_transformer
 * via torch.hub's re-export): iterating the bar gives the loader's batches, so the input the script
 * feeds stays known (CIFAR10 + ToTensor in batches of 16: 16×3×32×32). Before, the bar was an unknown
 * module's value and the model fell back to an assumed input.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const LIBS = resolve(__dirname, "../../fixtures/python/libs");
const files = { read: (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined) };

const script = (imports: string, bar: string) => `
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
${imports}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x)

class Trainer:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def train_fn(self, epoch):
        tk = ${bar}
        for t, data in enumerate(tk):
            images, labels = data
            logits = self.model(images)
            tk.set_postfix({"loss": "%6f" % 0.5})
            tk.set_description("epoch")

def main():
    loader = DataLoader(datasets.CIFAR10("d", transform=transforms.ToTensor()), batch_size=16)
    model = Net()
    Trainer(model, loader).train_fn(0)

if __name__ == "__main__":
    main()
`;

const inputOf = (source: string) =>
  analyzePythonSource(source, {
    fileName: resolve(LIBS, "script.py"),
    files,
    pythonPath: [LIBS],
  }).classes.find((c) => c.name === "model" && c.kind === "instance")?.input;

describe("tqdm around a DataLoader", () => {
  it.each([
    ["from tqdm import tqdm", 'tqdm(self.loader, desc="EPOCH")'],
    ["from tqdm.auto import tqdm", "tqdm(self.loader)"],
    ["from torch.hub import tqdm", "tqdm(self.loader, desc='x', total=10)"],
    ["import tqdm", "tqdm.tqdm(iterable=self.loader)"],
  ])("%s; %s: the loader's batch 16×3×32×32 is the input", (imports, bar) => {
    const input = inputOf(script(imports, bar));
    expect(input?.source).toBe("code");
    expect(input?.shape).toEqual([16, 3, 32, 32]);
  });

  it("a bar over what cannot be iterated leaves the input unknown (no batch is made up)", () => {
    const input = inputOf(script("from tqdm import tqdm", "tqdm(self.model.unknown_loader)"));
    expect(input?.source).not.toBe("code");
  });
});
