/**
 * The params total is PyTorch's `sum(p.numel() for p in model.parameters())`: every
 * registered parameter once, called in forward or not. Each case below was silently wrong
 * when the total was the sum of the weights forward consumed. Expected numbers are worked
 * out by hand from PyTorch's parameter shapes (Linear: out·in + out; Conv2d: out·in·k² + out;
 * Embedding: num·dim); test/fixtures/python/cases/params_counting.py checks the same kinds
 * of model against real PyTorch.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { paramsNotes, paramsTotalText } from "../../../src/core/analysis/paramNotes";
import { humanCount, jsonReport, tableReport } from "../../../src/core/analysis/report";
import type { ModelAnalysis } from "../../../src/core/analysis/result";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";
import { ParamRegistry } from "../../../src/core/formats/python/registeredParams";
import type { PyClass, PyObject } from "../../../src/core/formats/python/values";

const HEADER = "import os\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n";

function traced(source: string, cls = "M"): TracedClass {
  const c = analyzePythonSource(HEADER + source, { fileName: "m.py" }).classes.find((x) => x.name === cls);
  if (!c) throw new Error(`no class ${cls}`);
  return c;
}

function analysed(source: string, cls = "M"): ModelAnalysis {
  const c = traced(source, cls);
  expect(c.error, c.diagnostics.map((d) => d.message).join("; ")).toBeUndefined();
  if (!c.analysis) throw new Error("no analysis");
  return c.analysis;
}

const rowsSum = (a: ModelAnalysis): number => a.layers.reduce((s, l) => s + l.params, 0);

describe("registered parameters in the total", () => {
  it("counts a layer forward never calls, and names it", () => {
    const a = analysed(`
# convlens: input 1x3x16x16
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)
        self.spare = nn.Linear(8, 100)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(F.relu(self.conv(x)), 1)
        return self.fc(torch.flatten(x, 1))
`);
    // conv 8·3·9 + 8 = 224, fc 36, spare 900.
    expect(rowsSum(a)).toBe(260);
    expect(a.totals.params).toBe(1160);
    expect(a.totals.paramsUnknown).toBeUndefined();
    expect(a.notCalled).toEqual([{ path: "spare", type: "Linear", params: 900 }]);
  });

  it("counts an auxiliary head skipped in eval (if self.training), reported as one module", () => {
    const a = analysed(`
# convlens: input 1x3x8x8
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.aux = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10), nn.Linear(10, 2))
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        x = self.stem(x)
        if self.training:
            aux = self.aux(x)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
`);
    // stem 16·27 + 16 = 448, head 34, aux 170 + 22.
    expect(a.totals.params).toBe(448 + 34 + 192);
    expect(a.notCalled).toEqual([{ path: "aux", type: "Sequential", params: 192 }]);
  });

  it("uses nn.Parameter attributes and buffers in forward, with their shapes", () => {
    const a = analysed(`
# convlens: input 2x10
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, 10))
        self.weight = nn.Parameter(torch.randn(10, 6))
        self.scale = nn.Parameter(torch.ones(6), requires_grad=False)
        self.proj = nn.Parameter(torch.empty(6, 3))
        self.register_buffer("shift", torch.zeros(6))

    def forward(self, x):
        x = torch.mm(x + self.bias, self.weight)
        x = x * self.scale + self.shift
        return x @ self.proj
`);
    expect(a.outputs.map((o) => o.shape)).toEqual([[2, 3]]);
    // 10 + 60 + 6 + 18; the buffer is not a parameter.
    expect(a.totals.params).toBe(94);
    expect(rowsSum(a)).toBe(94);
    expect(a.notCalled).toBeUndefined();
  });

  it("reports an nn.Parameter forward never reads by its attribute path", () => {
    const a = analysed(`
# convlens: input 2x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.temperature = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.fc(x)
`);
    expect(a.totals.params).toBe(21);
    expect(a.notCalled).toEqual([{ path: "temperature", type: "Parameter", params: 1 }]);
  });

  it("counts register_parameter (None registers nothing) and tensors made in forward are no parameters", () => {
    const a = analysed(`
# convlens: input 4x8
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_parameter("gain", nn.Parameter(torch.ones(8)))
        self.register_parameter("unused_bias", None)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        h = torch.zeros(x.size(0), 8)
        x = x.float() * self.gain + h
        return self.fc(x.type(torch.float).to(x.dtype))
`);
    expect(a.outputs.map((o) => o.shape)).toEqual([[4, 5]]);
    expect(a.totals.params).toBe(8 + 45);
  });

  it("counts ParameterList and ParameterDict, and not a plain list of parameters", () => {
    const a = analysed(`
# convlens: input 3x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.mats = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for _ in range(2)])
        self.mats.append(nn.Parameter(torch.randn(4, 4)))
        self.gains = nn.ParameterDict({"a": nn.Parameter(torch.ones(4)), "b": nn.Parameter(torch.ones(4))})
        self.loose = [nn.Parameter(torch.ones(100))]

    def forward(self, x):
        for m in self.mats:
            x = torch.mm(x, m)
        return x * self.gains["a"] + self.gains["b"]
`);
    expect(a.outputs.map((o) => o.shape)).toEqual([[3, 4]]);
    expect(a.totals.params).toBe(3 * 16 + 8);
  });

  it("counts a tied weight once (the head's row keeps it, as the module's own parameters() does)", () => {
    const src = (tie: string) => `
# convlens: input 1x8 int64
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.mix = nn.Linear(16, 16)
        self.head = nn.Linear(16, 50)
        ${tie}

    def forward(self, ids):
        return self.head(torch.tanh(self.mix(self.embed(ids))))
`;
    // embed 800, mix 272, head 800 + 50: the shared 800 once.
    for (const tie of ["self.head.weight = self.embed.weight", "self.embed.weight = self.head.weight"]) {
      const a = analysed(src(tie));
      expect(a.totals.params, tie).toBe(1122);
      expect(a.notCalled, tie).toBeUndefined();
    }
    expect(analysed(src("pass")).totals.params).toBe(1922);
  });

  it("gives a layer's weight its PyTorch shape when forward reads it (an output layer tied by hand)", () => {
    const a = analysed(`
# convlens: input 1x8 int64
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.norm = nn.LayerNorm(16)

    def forward(self, ids):
        h = self.norm(self.embed(ids))
        return h @ self.embed.weight.t()
`);
    expect(a.outputs.map((o) => o.shape)).toEqual([[1, 8, 50]]);
    expect(a.totals.params).toBe(800 + 32);
  });

  it("counts a module registered under two names once", () => {
    const a = analysed(`
# convlens: input 2x12
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(12, 12)
        self.again = self.block
        self.out = nn.Linear(12, 2)

    def forward(self, x):
        return self.out(self.again(torch.relu(self.block(x))))
`);
    expect(a.totals.params).toBe(156 + 26);
    expect(a.notCalled).toBeUndefined();
  });

  it("registers layers added to a ModuleList with +=", () => {
    const a = analysed(`
# convlens: input 2x6
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(6, 6)])
        self.layers += [nn.Linear(6, 6), nn.Linear(6, 6)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
`);
    expect(a.totals.params).toBe(3 * 42);
    expect(a.layers.filter((l) => l.layerType === "Linear").map((l) => l.name)).toEqual([
      "layers.0",
      "layers.1",
      "layers.2",
    ]);
  });
});

describe("torchvision's GoogLeNet with its auxiliary heads", () => {
  it("counts aux1 and aux2 as PyTorch 1.13 does (model.parameters() of the fixture's GoogLeNet())", () => {
    const source = readFileSync(resolve(__dirname, "../../fixtures/python/torchvision_more.py"), "utf8");
    const a = analyzePythonSource(source, { fileName: "torchvision_more.py" }).classes.find(
      (c) => c.name === "GoogLeNet",
    )?.analysis;
    expect(a?.totals.params).toBe(13004888);
    expect(a?.notCalled).toEqual([
      { path: "aux1", type: "InceptionAux", params: 3188968 },
      { path: "aux2", type: "InceptionAux", params: 3191016 },
    ]);
  });
});

describe("parameters PyTorch does not register", () => {
  it("leaves out layers kept in a plain list, and says so", () => {
    const a = analysed(`
# convlens: input 2x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.extra = [nn.Linear(4, 4)]

    def forward(self, x):
        return self.extra[0](self.fc(x))
`);
    expect(a.totals.params).toBe(20);
    expect(
      a.warnings.some((w) => w.startsWith("20 parameters used in forward belong to no registered module")),
    ).toBe(true);
  });
});

describe("a total that is a lower bound", () => {
  const a = analysed(`
# convlens: input 2x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.spare = nn.Linear(os.cpu_count(), 4)
        self.scale = nn.Parameter(torch.ones(os.cpu_count()))

    def forward(self, x):
        return self.fc(x)
`);

  it("counts what is known and names the unknown parts", () => {
    expect(a.totals.params).toBe(20);
    expect(a.totals.paramsUnknown?.map((u) => u.path)).toEqual(["scale", "spare"]);
  });

  it("shows ≥ and the unknown part in every surface", () => {
    expect(paramsTotalText(a.totals, humanCount)).toBe("≥ 20");
    const notes = paramsNotes(a, humanCount);
    expect(notes[0]).toMatch(/^params not known for scale \(.+\), spare \(.+\): the total is a lower bound$/);
    expect(tableReport(a)).toContain("params ≥ 20 (20)");
    expect(tableReport(a)).toContain("note: params not known for scale");
    expect(jsonReport(a).totals.params_unknown?.map((u) => u.path)).toEqual(["scale", "spare"]);
  });

  it("treats an attribute the analyser could not follow as an unknown part (it may be a module)", () => {
    const b = analysed(`
from mylib import Block

# convlens: input 2x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.block = Block(4)

    def forward(self, x):
        return self.fc(x)
`);
    expect(b.totals.params).toBe(20);
    expect(b.totals.paramsUnknown?.map((u) => u.path)).toEqual(["block"]);
    expect(paramsTotalText(b.totals, humanCount)).toBe("≥ 20");
  });

  it("treats an opaque module (one the analyser cannot follow) as an unknown part", () => {
    const cls = (name: string): PyClass => ({ t: "class", name, bases: [], attrs: new Map() });
    const odd: PyObject = {
      t: "object",
      cls: cls("FancyNorm"),
      attrs: new Map(),
      children: new Map(),
      opaque: "torch.nn.FancyNorm is not known",
    };
    const root: PyObject = {
      t: "object",
      cls: cls("M"),
      attrs: new Map(),
      children: new Map([["norm", odd]]),
    };
    const acc = new ParamRegistry().account(root, () => true);
    expect(acc.total).toBe(0);
    expect(acc.unknown).toEqual([{ path: "norm", reason: "torch.nn.FancyNorm is not known" }]);
  });
});

describe("notes on layers forward never calls", () => {
  const a = analysed(`
# convlens: input 1x8
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.aux1 = nn.Linear(8, 1000)
        self.aux2 = nn.Linear(8, 1000)

    def forward(self, x):
        return self.fc(x)
`);

  it("names them with their parameters, in the text and JSON reports", () => {
    expect(paramsTotalText(a.totals, humanCount)).toBe("18.07 k");
    expect(paramsNotes(a, humanCount)).toEqual([
      "not called in forward: 18.00 k params in aux1, aux2 (in the total, as model.parameters() counts them)",
    ]);
    expect(jsonReport(a).not_called).toEqual([
      { path: "aux1", type: "Linear", params: 9000 },
      { path: "aux2", type: "Linear", params: 9000 },
    ]);
  });
});

describe("recurrent layer rows show the output sequence", () => {
  it("2-layer sequence-first LSTM: the row is the output, h_n keeps its stacked shape", () => {
    const a = analysed(`
# convlens: input 7x2x10
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 16, num_layers=2)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return out, h, c
`);
    const rows = a.layers.filter((l) => l.name === "lstm");
    expect(rows[rows.length - 1]?.outputs[0]?.shape).toEqual([7, 2, 16]);
    expect(a.outputs.map((o) => o.shape)).toEqual([
      [7, 2, 16],
      [2, 2, 16],
      [2, 2, 16],
    ]);
    // 4·16·(10 + 16) + 8·16 for layer 0, 4·16·(16 + 16) + 8·16 for layer 1.
    expect(a.totals.params).toBe(1792 + 2176);
  });

  it("bidirectional 2-layer GRU and batch-first RNN", () => {
    const a = analysed(`
# convlens: input 5x2x8
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 12, num_layers=2, bidirectional=True)
        self.rnn = nn.RNN(24, 6, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x):
        y, h = self.gru(x)
        z, hz = self.rnn(y.transpose(0, 1))
        return z, h, hz
`);
    const last = (name: string) => a.layers.filter((l) => l.name === name).pop()?.outputs[0]?.shape;
    expect(last("gru")).toEqual([5, 2, 24]);
    expect(last("rnn")).toEqual([2, 5, 12]);
    expect(a.outputs.map((o) => o.shape)).toEqual([
      [2, 5, 12],
      [4, 2, 12],
      [4, 2, 6],
    ]);
  });
});
