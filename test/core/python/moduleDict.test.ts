/**
 * A module's `__dict__`, as pytorch/examples' imagenet/main.py builds its model:
 * `models.__dict__[args.arch]()` with `--arch` defaulting to resnet18. PyTorch 1.13's resnet18 has
 * 11,689,512 params (torchvision-expected/resnet18.json). Before, `__dict__` of a module was not known
 * and the model was unknown.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const files = { read: (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined) };

const script = (arch: string) => `
import argparse
import torch
import torchvision.models as models

model_names = sorted(name for name in models.__dict__
    if name.islower() and not name.startswith("__")
    and callable(models.__dict__[name]))

parser = argparse.ArgumentParser()
parser.add_argument('-a', '--arch', metavar='ARCH', default='${arch}')

def main():
    args = parser.parse_args()
    model = models.__dict__[args.arch]()
    model(torch.randn(2, 3, 224, 224))

if __name__ == '__main__':
    main()
`;

const model = (arch: string) =>
  analyzePythonSource(script(arch), {
    fileName: resolve(__dirname, "imagenet_script.py"),
    files,
    pythonPath: [THIRD_PARTY],
  }).classes.find((c) => c.name === "model" && c.kind === "instance");

describe("a module's __dict__", () => {
  it("models.__dict__[args.arch]() builds the named model (resnet18: 11,689,512 params, PyTorch)", () => {
    const m = model("resnet18");
    expect(m?.analysis?.totals.params).toBe(11689512);
    expect(m?.analysis?.outputs[0]?.shape).toEqual([2, 1000]);
  });

  it("a name the module does not have is unknown with the reason, no model made up", () => {
    const m = model("no_such_net");
    expect(m?.analysis).toBeUndefined();
    expect(m?.error).toMatch(/no_such_net/);
  });
});
