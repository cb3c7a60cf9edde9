/**
 * What the editor shows for PyTorch source: diagnostics with quick fixes, honest
 * unknowns, input shapes from comments / settings / the first layer, and
 * classes that survive a half-typed file.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource, inputFromComment } from "../../../src/core/formats/python/pythonModel";

const HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n";

function analyse(body: string, inputShapes?: Record<string, number[]>) {
  const source = HEADER + body;
  return {
    source,
    result: analyzePythonSource(source, { fileName: "m.py", ...(inputShapes ? { inputShapes } : {}) }),
  };
}

describe("diagnostics and quick fixes", () => {
  const { source, result } = analyse(`# convlens: input 1x1x28x28
class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 64, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(9216, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)
`);
  const cls = result.classes[0];

  it("reports a Linear in_features mismatch with the numbers, on the call", () => {
    expect(cls?.diagnostics).toHaveLength(1);
    const d = cls?.diagnostics[0];
    expect(d?.message).toBe("Linear expects 9216 input features but receives 10816 (input 1×10816)");
    expect(source.slice(d?.span.from, d?.span.to)).toBe("self.fc(x)");
  });

  it("offers to replace the constant", () => {
    const fix = cls?.diagnostics[0]?.fixes?.[0];
    expect(fix?.title).toBe("Change in_features to 10816");
    expect(source.slice(fix?.span.from, fix?.span.to)).toBe("9216");
    expect(fix?.replacement).toBe("10816");
    expect(cls?.diagnostics[0]?.fixes?.[1]?.replacement).toBe("64 * 13 * 13");
  });

  it("does not invent a shape after the error", () => {
    const ret = cls?.lines.find((l) => source.slice(l.span.from, l.span.to).startsWith("return"));
    expect(ret?.unknown).toBe(true);
    expect(ret?.text).toMatch(/^\? \(unknown:/);
  });

  it("reports channel mismatches of BatchNorm with a fix", () => {
    const { source: s2, result: r2 } = analyse(`class BN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        return self.bn(self.conv(x))
`);
    const d = r2.classes[0]?.diagnostics[0];
    expect(d?.message).toMatch(/^BatchNorm2d expects 16 channels but receives 32/);
    expect(s2.slice(d?.fixes?.[0]?.span.from, d?.fixes?.[0]?.span.to)).toBe("16");
  });

  it("reports a conv whose window is larger than its input", () => {
    const { result: r3 } = analyse(`# convlens: input 1x3x4x4
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 7)

    def forward(self, x):
        return self.conv(x)
`);
    expect(r3.classes[0]?.diagnostics[0]?.message).toMatch(/window 7 is larger than the padded input 4/);
  });
});

describe("input shapes", () => {
  it("reads the comment above the class (decorators and comments in between allowed)", () => {
    const src = "# convlens: input Bx3x32x32\n# another comment\nclass A(nn.Module):\n    pass\n";
    expect(inputFromComment(src, { from: src.indexOf("class"), to: src.length })?.shape).toEqual([
      "B",
      3,
      32,
      32,
    ]);
    expect(
      inputFromComment("class A(nn.Module):  # convlens: input 1x20 int64\n", { from: 0, to: 10 }),
    ).toEqual({ shape: [1, 20], dtype: "int64", source: "comment" });
  });

  it("assumes an input from the first layer and says so", () => {
    const { result } = analyse(`class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
`);
    expect(result.classes[0]?.input).toEqual({ shape: [1, 784], dtype: "float32", source: "assumed" });
    expect(result.classes[0]?.analysis?.totals.macs).toBe(784 * 128 + 128 * 10);
  });

  it("keeps a symbolic batch through view(x.size(0), -1)", () => {
    const { result } = analyse(`# convlens: input Bx3x8x8
class V(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 2)

    def forward(self, x):
        x = self.conv(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)
`);
    const cls = result.classes[0];
    expect(cls?.error).toBeUndefined();
    expect(cls?.analysis?.outputs[0]?.shape).toEqual([1, 2]);
    expect(cls?.analysis?.warnings.join()).toMatch(/Batch dimension "B"/);
  });
});

describe("honest unknowns and error tolerance", () => {
  it("says why a value is unknown instead of guessing", () => {
    const { result } = analyse(`# convlens: input 1x3x32x32
class U(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        y = self.conv(x)
        z = some_library.mystery(y)
        return z
`);
    const line = result.classes[0]?.lines.find((l) => l.text.includes("unknown"));
    expect(line?.text).toMatch(/\? \(unknown: .*some_library/);
  });

  it("keeps analysing the other classes of a half-typed file", () => {
    const { result } = analyse(`class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x)


class Half(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10,

    def forward(self, x)
        return self.fc(x)


class C(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(x)
`);
    const names = result.classes.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["A", "C"]));
    expect(result.classes.find((c) => c.name === "A")?.analysis?.outputs[0]?.shape).toEqual([1, 8, 222, 222]);
    expect(result.classes.find((c) => c.name === "C")?.analysis?.outputs[0]?.shape).toEqual([1, 2]);
    expect(result.parseErrors.length).toBeGreaterThan(0);
  });

  it("stops runaway code with a message instead of hanging", () => {
    const { result } = analyse(`class Loop(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        while True:
            pass

    def forward(self, x):
        return self.fc(x)
`);
    expect(result.classes[0]?.error).toMatch(/too much work/);
  });
});

describe("assumed input sizes", () => {
  it("finds LeNet's 32×32 when 224 does not fit its Linear layers", () => {
    const src = readFileSync(
      resolve(__dirname, "../../../../shared/fixtures/definitions/custom_models.py"),
      "utf8",
    );
    const lenet = analyzePythonSource(src, { fileName: "custom_models.py" }).classes.find(
      (c) => c.name === "LeNet5",
    );
    expect(lenet?.input).toEqual({ shape: [1, 1, 32, 32], dtype: "float32", source: "assumed" });
    expect(lenet?.diagnostics).toEqual([]);
    expect(lenet?.analysis?.totals.macs).toBe(416520);
  });
});
