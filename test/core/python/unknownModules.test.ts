/**
 * A module the analyser cannot follow is never dropped: it keeps its place in its container
 * and its output is unknown with a reason naming it, so nothing after it reads as a confident
 * shape. (nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(4, 8, 3)) once reported one Conv
 * with 1×8×14×14; PyTorch gives 1×8×20×20.)
 */
import { describe, expect, it } from "vitest";
import { moduleReport } from "../../../src/core/analysis/report";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

function traced(body: string, header = ""): TracedClass {
  const src = `import torch\nimport torch.nn as nn\n${header}\n\n# convlens: input 1x4x16x16\nclass M(nn.Module):\n${body}\n`;
  const r = analyzePythonSource(src, { fileName: "m.py" });
  const c = r.classes.find((k) => k.name === "M");
  if (!c) throw new Error("class M not traced");
  return c;
}

/** The class's result is unknown, with the reason naming `what`; no layer row shows a confident shape. */
function expectUnknown(c: TracedClass, what: RegExp): void {
  const outputs = c.analysis?.outputs ?? [];
  // No analysis at all (the forward's result is unknown), or an output without a shape.
  expect(
    outputs.length === 0 || outputs.some((o) => o.shape === undefined),
    `outputs ${JSON.stringify(outputs)}`,
  ).toBe(true);
  expect(c.error ?? "", `error: ${c.error ?? "-"}`).toMatch(what);
  const rows = c.analysis ? moduleReport(c.analysis).layers : [];
  expect(rows.filter((l) => /conv|fc/.test(l.name) && l.output_shape !== null)).toEqual([]);
}

const SEQ = (items: string) => `    def __init__(self):
        super().__init__()
        self.body = ${items}

    def forward(self, x):
        return self.body(x)`;

describe("unknown torch.nn modules are opaque, not dropped", () => {
  it("nn.Foo in a Sequential: the output is unknown and names nn.Foo", () => {
    expectUnknown(
      traced(SEQ("nn.Sequential(nn.Foo(3), nn.Conv2d(4, 8, 3))")),
      /nn\.Foo has no entry in ConvLens's layer table/,
    );
  });

  it("nn.ReflectionPad2d now has an entry: 1×8×20×20, as PyTorch", () => {
    const c = traced(SEQ("nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(4, 8, 3))"));
    expect(c.error).toBeUndefined();
    expect(c.analysis?.outputs[0]?.shape).toEqual([1, 8, 20, 20]);
  });

  it("keeps indices: body.1 is still the Conv after an opaque body.0", () => {
    const c = traced(`    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Foo(), nn.Conv2d(4, 8, 3))

    def forward(self, x):
        return self.body[1](x)`);
    expect(c.error).toBeUndefined();
    expect(c.analysis?.outputs[0]?.shape).toEqual([1, 8, 14, 14]);
    expect(c.analysis ? moduleReport(c.analysis).layers.map((l) => l.name) : []).toEqual(["body.1"]);
  });

  it("in a ModuleList iterated in forward", () => {
    const c = traced(`    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1), nn.Foo(), nn.Conv2d(4, 8, 3)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x`);
    expectUnknown(c, /nn\.Foo/);
  });

  it("in a ModuleDict", () => {
    const c = traced(`    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleDict({"pad": nn.Foo(), "conv": nn.Conv2d(4, 8, 3)})

    def forward(self, x):
        return self.blocks["conv"](self.blocks["pad"](x))`);
    expectUnknown(c, /nn\.Foo/);
  });

  it("in a Sequential(OrderedDict)", () => {
    const c = traced(
      SEQ(`nn.Sequential(OrderedDict([("pad", nn.Foo()), ("conv", nn.Conv2d(4, 8, 3))]))`),
      "from collections import OrderedDict",
    );
    expectUnknown(c, /nn\.Foo/);
  });

  it("as an attribute of a user module", () => {
    const c = traced(`    def __init__(self):
        super().__init__()
        self.pad = nn.Foo(3)
        self.conv = nn.Conv2d(4, 8, 3)

    def forward(self, x):
        return self.conv(self.pad(x))`);
    expectUnknown(c, /nn\.Foo/);
  });

  it("added with add_module, append and extend", () => {
    for (const add of [
      'self.body.add_module("pad", nn.Foo())',
      "self.body.append(nn.Foo())",
      "self.body.extend([nn.Foo()])",
    ]) {
      const c = traced(`    def __init__(self):
        super().__init__()
        self.body = nn.Sequential()
        ${add}
        self.body.append(nn.Conv2d(4, 8, 3))

    def forward(self, x):
        return self.body(x)`);
      expectUnknown(c, /nn\.Foo/);
    }
  });

  it("a subclass of an unknown nn class without its own forward is opaque too", () => {
    const c = traced(
      SEQ("nn.Sequential(MyNorm(4), nn.Conv2d(4, 8, 3))"),
      "class MyNorm(nn.FancyNorm):\n    pass",
    );
    expectUnknown(c, /nn\.FancyNorm/);
  });
});

describe("values that are not modules keep their place", () => {
  it("an unavailable import in a Sequential", () => {
    const c = traced(SEQ("nn.Sequential(Magic(3), nn.Conv2d(4, 8, 3))"), "from mylib import Magic");
    expectUnknown(c, /mylib/);
  });

  it("an unavailable import as an attribute", () => {
    const c = traced(
      `    def __init__(self):
        super().__init__()
        self.pad = Magic(3)
        self.conv = nn.Conv2d(4, 8, 3)

    def forward(self, x):
        return self.conv(self.pad(x))`,
      "from mylib import Magic",
    );
    expectUnknown(c, /mylib/);
  });

  it("a user class whose construction raises, inside a container", () => {
    const c = traced(
      SEQ("nn.Sequential(Broken(4), nn.Conv2d(4, 8, 3))"),
      `class Broken(nn.Module):
    def __init__(self, c):
        super().__init__()
        raise ValueError("no")

    def forward(self, x):
        return x`,
    );
    expectUnknown(c, /Broken could not be built/);
  });

  it("a ModuleList built from something unknown is not an empty loop", () => {
    const c = traced(
      `    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(make_layers())
        self.conv = nn.Conv2d(4, 8, 3)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.conv(x)`,
      "from mylib import make_layers",
    );
    expectUnknown(c, /mylib|not known/);
  });

  it("a nested class (Outer.Block) is followed", () => {
    const c = traced(
      SEQ("nn.Sequential(Outer.Block(4), nn.Conv2d(4, 8, 3))"),
      `class Outer:
    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return self.conv(x)`,
    );
    expect(c.error).toBeUndefined();
    expect(c.analysis?.outputs[0]?.shape).toEqual([1, 8, 14, 14]);
  });
});

describe("torch 2.x modules (PyTorch's documented shapes and parameters)", () => {
  it("ZeroPad1d/3d, CircularPad2d, RMSNorm, SyncBatchNorm", () => {
    const c = traced(`    def __init__(self):
        super().__init__()
        self.circ = nn.CircularPad2d((1, 2, 3, 4))
        self.norm = nn.RMSNorm([23, 19])
        self.sync = nn.SyncBatchNorm(4)
        self.flat = nn.Flatten(2)
        self.zero1 = nn.ZeroPad1d((2, 1))
        self.unflat = nn.Unflatten(2, (2, 11, 20))
        self.zero3 = nn.ZeroPad3d(1)

    def forward(self, x):
        x = self.sync(self.norm(self.circ(x)))
        return self.zero3(self.unflat(self.zero1(self.flat(x))))`);
    expect(c.error).toBeUndefined();
    // 16+3+4 = 23, 16+1+2 = 19; 23·19 = 437 → 440 → (2, 11, 20) → padded by 1 on each side.
    expect(c.analysis?.outputs[0]?.shape).toEqual([1, 4, 4, 13, 22]);
    // RMSNorm: a weight over normalized_shape, no bias; SyncBatchNorm: weight + bias.
    expect(c.analysis?.totals.params).toBe(23 * 19 + 2 * 4);
  });

  it("circular padding larger than the input is PyTorch's error, not a shape", () => {
    const c = traced(SEQ("nn.Sequential(nn.CircularPad2d(17), nn.Conv2d(4, 8, 3))"));
    expect(c.diagnostics.map((d) => d.message).join("; ")).toMatch(
      /CircularPad2d padding \(17, 17\) is too large/,
    );
    expect(c.analysis?.outputs[0]?.shape).toBeUndefined();
  });
});
