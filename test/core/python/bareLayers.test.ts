/**
 * A script whose model is one built-in layer (`model = nn.Conv2d(3, 8, 3)`): analysed like
 * `model = nn.Sequential(…)`, with the input the script gives it, a comment on its line, or the
 * input its own arguments imply (assumed); a layer that implies none says so in one line. Layers
 * that are parts of a model, helpers beside one (`softmax = nn.Softmax(dim=1)`), losses and
 * containers are not models. Expected numbers from PyTorch's documented formulas, by hand:
 * Conv2d params C_out·C_in·k·k + C_out, out = ⌊(H + 2p − k) / s⌋ + 1, MACs = out elements ·
 * C_in·k·k;
 * Linear params in·out + out; LayerNorm / BatchNorm weight and bias of their size (running stats
 * are buffers); MaxPool2d out = ⌊(H − k) / s⌋ + 1.
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";

const HEAD = "import torch\nimport torch.nn as nn\n";
const analyse = (body: string) => analyzePythonSource(HEAD + body, { fileName: "script.py" });
const named = (r: { classes: readonly TracedClass[] }, name: string) =>
  r.classes.find((c) => c.name === name);

describe("a model that is one built-in layer", () => {
  it("a Conv2d given a tensor: the call's shape, params and MACs", () => {
    const r = analyse("model = nn.Conv2d(3, 8, 3)\ny = model(torch.randn(2, 3, 32, 32))\n");
    const m = named(r, "model");
    expect(m?.kind).toBe("instance");
    expect(m?.className).toBe("Conv2d");
    expect(m?.input).toMatchObject({ shape: [2, 3, 32, 32], source: "code" });
    // 32 − 3 + 1 = 30; params 8·3·3·3 + 8 = 224; MACs 2·8·30·30 · 3·3·3 = 388,800.
    expect(m?.analysis?.outputs[0]?.shape).toEqual([2, 8, 30, 30]);
    expect(m?.analysis?.totals.params).toBe(224);
    expect(m?.analysis?.totals.macs).toBe(388800);
    // The hint on `y = model(…)` comes from the recorded call.
    expect(m?.calls).toHaveLength(1);
  });

  it("a Conv2d with stride and padding and no input: assumed 1×3×224×224 from its in_channels", () => {
    const m = named(analyse("model = nn.Conv2d(3, 16, 5, stride=2, padding=2)\n"), "model");
    expect(m?.input).toMatchObject({ shape: [1, 3, 224, 224], source: "assumed" });
    // ⌊(224 + 4 − 5) / 2⌋ + 1 = 112; params 16·3·25 + 16 = 1,216;
    // MACs 16·112·112 · 75 = 15,052,800.
    expect(m?.analysis?.outputs[0]?.shape).toEqual([1, 16, 112, 112]);
    expect(m?.analysis?.totals.params).toBe(1216);
    expect(m?.analysis?.totals.macs).toBe(15052800);
  });

  it("torch.nn.Linear with the input from a comment on its line", () => {
    const m = named(analyse("net = torch.nn.Linear(10, 2)  # convlens: input 4x10\n"), "net");
    expect(m?.input).toMatchObject({ shape: [4, 10], source: "comment" });
    // 10·2 + 2 = 22 params, 4·10·2 = 80 MACs.
    expect(m?.analysis?.outputs[0]?.shape).toEqual([4, 2]);
    expect(m?.analysis?.totals.params).toBe(22);
    expect(m?.analysis?.totals.macs).toBe(80);
  });

  it("LayerNorm and BatchNorm alone: assumed from their own sizes", () => {
    const ln = named(analyse("model = nn.LayerNorm(8)\n"), "model");
    expect(ln?.input).toMatchObject({ shape: [1, 8], source: "assumed" });
    expect(ln?.analysis?.outputs[0]?.shape).toEqual([1, 8]);
    expect(ln?.analysis?.totals.params).toBe(16); // weight 8 + bias 8
    const ln2 = named(analyse("model = nn.LayerNorm([4, 6])\n"), "model");
    expect(ln2?.input?.shape).toEqual([1, 4, 6]);
    expect(ln2?.analysis?.totals.params).toBe(48); // 2 · 4·6
    const bn = named(analyse("model = nn.BatchNorm2d(16)\n"), "model");
    expect(bn?.input).toMatchObject({ shape: [1, 16, 224, 224], source: "assumed" });
    expect(bn?.analysis?.totals.params).toBe(32); // weight 16 + bias 16; running stats are buffers
  });

  it("a layer whose arguments imply no input says so in one line", () => {
    for (const layer of ["nn.ReLU()", "nn.GroupNorm(2, 8)"]) {
      const m = named(analyse(`model = ${layer}\n`), "model");
      expect(m?.analysis).toBeUndefined();
      expect(m?.error).toBe(
        'no input shape: call model on a tensor or add "# convlens: input 1x3x224x224" on its line',
      );
    }
    // Given a tensor it is analysed: ReLU keeps the shape and has no params.
    const relu = named(analyse("model = nn.ReLU()\nmodel(torch.randn(2, 5))\n"), "model");
    expect(relu?.analysis?.outputs[0]?.shape).toEqual([2, 5]);
    expect(relu?.analysis?.totals.params).toBe(0);
  });
});

describe("unbatched (L, E) attention, as PyTorch takes it", () => {
  it("MultiheadAttention on 10×16 returns 10×16 and weights 10×10 (not a broadcast 10×16×16)", () => {
    const r = analyse("mha = nn.MultiheadAttention(16, 4)\nx = torch.randn(10, 16)\nmha(x, x, x)\n");
    const a = named(r, "mha")?.analysis;
    expect(a?.outputs.map((o) => o.shape)).toEqual([
      [10, 16],
      [10, 10],
    ]);
    // in_proj 3·16·16 + 3·16 = 816, out_proj 16·16 + 16 = 272; MACs 4·L·E² + 2·L²·E = 10,240 + 3,200.
    expect(a?.totals.params).toBe(1088);
    expect(a?.totals.macs).toBe(13440);
  });

  it("TransformerEncoderLayer on 10×16 keeps 10×16", () => {
    const src = "model = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)\n";
    const m = named(analyse(`${src}model(torch.randn(10, 16))\n`), "model");
    expect(m?.analysis?.outputs[0]?.shape).toEqual([10, 16]);
    // attention 1,088 + linear1 16·32 + 32 + linear2 32·16 + 16 + two LayerNorms 2·(16 + 16) = 2,224;
    // MACs 13,440 + 2 · 10·16·32 = 23,680.
    expect(m?.analysis?.totals.params).toBe(2224);
    expect(m?.analysis?.totals.macs).toBe(23680);
  });
});

describe("layers that are not models", () => {
  const NET = `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
`;
  const instances = (r: { classes: readonly TracedClass[] }) =>
    r.classes.filter((c) => c.kind === "instance").map((c) => c.name);

  it("helpers beside a model, losses and list items are not", () => {
    const helpers = "softmax = nn.Softmax(dim=1)\ncriterion = nn.CrossEntropyLoss()\n";
    const r = analyse(`${NET}\nmodel = Net()\n${helpers}out = model(torch.randn(2, 4))\n`);
    expect(instances(r)).toEqual(["model"]);
    expect(instances(analyse("layers = [nn.Linear(4, 4)]\nloss_fn = nn.MSELoss()\n"))).toEqual([]);
    // nn.ModuleList is a container, never called: not a model, nor are its items.
    expect(instances(analyse("blocks = nn.ModuleList([nn.ReLU()])\n"))).toEqual([]);
  });

  it("a layer that becomes part of a model is not one of its own", () => {
    const r = analyse(
      "conv = nn.Conv2d(3, 8, 3)\nmodel = nn.Sequential(conv, nn.ReLU())\nmodel(torch.randn(1, 3, 10, 10))\n",
    );
    expect(instances(r)).toEqual(["model"]);
    // 10 − 3 + 1 = 8; 8·3·9 + 8 = 224 params.
    expect(named(r, "model")?.analysis?.outputs[0]?.shape).toEqual([1, 8, 8, 8]);
    expect(named(r, "model")?.analysis?.totals.params).toBe(224);
  });

  it("beside a model, a layer the script gives a tensor itself is one", () => {
    const r = analyse(`${NET}\nmodel = Net()\npool = nn.MaxPool2d(2)\ny = pool(torch.randn(1, 3, 9, 9))\n`);
    expect(instances(r)).toEqual(["model", "pool"]);
    // ⌊(9 − 2) / 2⌋ + 1 = 4
    expect(named(r, "pool")?.analysis?.outputs[0]?.shape).toEqual([1, 3, 4, 4]);
  });
});
