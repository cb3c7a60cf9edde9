/**
 * Models as scripts build them: instances found wherever the file builds them, named by their
 * variable, analysed with their arguments and the input the script states (a call, torchinfo,
 * onnx export, a comment on the line); a model that cannot be built says why on its call; imports
 * from an installed-style package (star imports, a computed __all__, relative imports two levels
 * up, @dataclass configs, functools.partial norm layers). Expected numbers: real PyTorch's, noted
 * beside each (PYTHONPATH=test/fixtures/python/libs /usr/bin/python3 …).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

const LIBS = resolve(__dirname, "../../fixtures/python/libs");
const files = { read: (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined) };
const FILE = resolve(LIBS, "script.py");

function analyse(source: string, extra: Partial<Parameters<typeof analyzePythonSource>[1]> = {}) {
  return analyzePythonSource(source, { fileName: FILE, files, pythonPath: [LIBS], ...extra });
}
const named = (r: { classes: readonly TracedClass[] }, name: string) =>
  r.classes.find((c) => c.name === name);

const NET = `
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, num_classes, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))
`;

describe("model instances in a script", () => {
  it("analyses a module-level instance with its arguments and the tensor the script passes", () => {
    const r = analyse(
      `${NET}\nmodel = Net(num_classes=10, hidden=64)\nout = model(torch.randn(8, 1, 28, 28))\n`,
    );
    const m = named(r, "model");
    expect(m?.kind).toBe("instance");
    expect(m?.className).toBe("Net");
    // 784·64 + 64 + 64·10 + 10 = 50,890 (PyTorch)
    expect(m?.analysis?.totals.params).toBe(50890);
    expect(m?.input).toMatchObject({ shape: [8, 1, 28, 28], source: "code" });
    expect(m?.analysis?.outputs[0]?.shape).toEqual([8, 10]);
    // The class needs num_classes: it is analysed as the script builds it.
    const cls = named(r, "Net");
    expect(cls?.instance).toBe("model");
    expect(cls?.analysis?.totals.params).toBe(50890);
    // The CodeLens goes on the variable; hovers on the call.
    const source = `${NET}\nmodel = Net(num_classes=10, hidden=64)\n`;
    expect(source.slice(m?.nameSpan.from, m?.nameSpan.to)).toBe("model");
    expect(m?.calls?.length).toBe(1);
  });

  it("follows main() under if __name__ == '__main__' and model.forward(x)", () => {
    const r = analyse(
      `${NET}\ndef main():\n    net = Net(5)\n    net.forward(torch.zeros(2, 784))\n\nif __name__ == "__main__":\n    main()\n`,
    );
    const m = named(r, "net");
    expect(m?.input?.shape).toEqual([2, 784]);
    expect(m?.analysis?.outputs[0]?.shape).toEqual([2, 5]);
  });

  it("takes the input from torchinfo's summary, torchsummary's (batch 1) and torch.onnx.export", () => {
    const info = analyse(
      `${NET}\nfrom torchinfo import summary\nm = Net(3)\nsummary(m, input_size=(4, 784))\n`,
    );
    expect(named(info, "m")?.input).toMatchObject({ shape: [4, 784], source: "code" });
    const ts = analyse(`${NET}\nfrom torchsummary import summary\nm = Net(3)\nsummary(m, (1, 28, 28))\n`);
    expect(named(ts, "m")?.input?.shape).toEqual([1, 1, 28, 28]);
    const onnx = analyse(`${NET}\nm = Net(3)\ntorch.onnx.export(m, torch.randn(6, 784), "m.onnx")\n`);
    expect(named(onnx, "m")?.analysis?.outputs[0]?.shape).toEqual([6, 3]);
  });

  it("uses a comment on the instance line when the script gives no input, and --class VAR forces one", () => {
    const r = analyse(`${NET}\nm = Net(3)  # convlens: input 16x784\n`);
    expect(named(r, "m")?.input).toMatchObject({ shape: [16, 784], source: "comment" });
    const forced = analyse(`${NET}\nm = Net(3)\nm(torch.randn(2, 784))\n`, {
      forcedInputShapes: { m: [7, 784] },
    });
    expect(named(forced, "m")?.input?.shape).toEqual([7, 784]);
  });

  it("passes several tensors, the second by keyword", () => {
    const src = `
import torch
import torch.nn as nn

class Fuse(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(10, 4)
        self.b = nn.Linear(6, 4)

    def forward(self, x, extra=None):
        return self.a(x) + self.b(extra)

f = Fuse()
f(torch.randn(3, 10), extra=torch.randn(3, 6))
`;
    const m = named(analyse(src), "f");
    expect(m?.input?.args?.map((a) => [a.name, a.shape])).toEqual([
      [undefined, [3, 10]],
      ["extra", [3, 6]],
    ]);
    expect(m?.analysis?.outputs[0]?.shape).toEqual([3, 4]);
  });

  it("says why a model could not be built, on the line that calls it", () => {
    const r = analyse(
      `import torch\nfrom somewhere_else import make_model\nmodel = make_model("x")\nmodel(torch.randn(1, 3, 8, 8))\n`,
    );
    const m = named(r, "model");
    expect(m?.analysis).toBeUndefined();
    expect(m?.error).toMatch(/cannot build model: module somewhere_else is not available/);
  });

  it("gives argparse options their defaults", () => {
    const src = `${NET}
import argparse
p = argparse.ArgumentParser()
p.add_argument("--num-classes", type=int, default=7)
p.add_argument("--hidden", default="16", type=int)
args = p.parse_args()
model = Net(args.num_classes, hidden=args.hidden)
model(torch.randn(1, 784))
`;
    // 784·16 + 16 + 16·7 + 7 = 12,679
    expect(named(analyse(src), "model")?.analysis?.totals.params).toBe(12679);
  });
});

describe("nothing returned or configured is dropped silently", () => {
  it("a required command-line option has no value: the model is unknown, not built with None", () => {
    const src = `${NET}\nimport argparse\np = argparse.ArgumentParser()\np.add_argument("--classes", type=int, required=True)\nargs = p.parse_args()\nmodel = Net(args.classes)\nmodel(torch.randn(1, 784))\n`;
    const m = named(analyse(src), "model");
    expect(m?.analysis?.outputs[0]?.shape ?? null).toBeNull();
    expect(JSON.stringify(m)).toMatch(/classes has no default/);
    // The reason names the flag and says how to give a value (no setting passes arguments).
    expect(m?.error).toMatch(/--classes has no default \(required: .*a default= in its add_argument/);
  });

  it("a positional command-line argument has no value either, and the reason says so", () => {
    const src = `${NET}\nimport argparse\np = argparse.ArgumentParser()\np.add_argument("classes", type=int)\nargs = p.parse_args()\nmodel = Net(args.classes)\nmodel(torch.randn(1, 784))\n`;
    const m = named(analyse(src), "model");
    expect(m?.analysis?.outputs[0]?.shape ?? null).toBeNull();
    expect(m?.error).toMatch(/argument classes has no default \(positional: /);
  });

  it("a forward returning a known and an unknown output lists the known one and warns about the other", () => {
    const src = `
import torch
import torch.nn as nn
from nowhere import Mystery

class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x), Mystery()(x)

m = Two()
m(torch.randn(3, 4))
`;
    const a = named(analyse(src), "m")?.analysis;
    expect(a?.outputs.map((o) => o.shape)).toEqual([[3, 2]]);
    expect(a?.warnings.join("\n")).toMatch(/an output of forward is unknown: .*nowhere/);
  });
});

describe("imports from an installed package", () => {
  const script = readFileSync(resolve(LIBS, "use_mylib.py"), "utf8");
  const r = analyzePythonSource(script, {
    fileName: resolve(LIBS, "..", "elsewhere", "use_mylib.py"),
    files,
    pythonPath: [LIBS],
  });

  it("builds the model through star imports, a computed __all__, dataclasses and partial", () => {
    const m = named(r, "model");
    expect(m?.error).toBeUndefined();
    // PyTorch: 6,253 params, output 2×5.
    expect(m?.analysis?.totals.params).toBe(6253);
    expect(m?.analysis?.outputs[0]?.shape).toEqual([2, 5]);
  });

  it("finds a class re-exported by the package (never called: analysed with its default input)", () => {
    // PyTorch: ConvBlock(3, 8, stride=2) has 232 params.
    expect(named(r, "block")?.analysis?.totals.params).toBe(232);
  });

  it("says a module is not available when the path does not have it", () => {
    const none = analyzePythonSource(script, {
      fileName: resolve(LIBS, "..", "elsewhere", "use_mylib.py"),
      files,
      pythonPath: [],
    });
    expect(named(none, "model")?.error ?? "").toMatch(/not available/);
  });
});
