/**
 * "Check with PyTorch" without PyTorch: what the bridge is asked to run (bridgeRequest), and how
 * a trace is set against the static reading (compareTrace). The trace here is rebuilt from what
 * PyTorch recorded for a fixture (tools/make_script_refs.py); the live bridge runs in
 * test/runtime/torchBridge.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compareTrace } from "../../../src/core/analysis/torchTrace";
import { bridgeRequest } from "../../../src/core/formats/python/torchCheck";
import { analyse, recordedTrace } from "../../support/recordedTrace";

describe("compareTrace", () => {
  const { analysis } = analyse("scripts/sequential_script.py");
  const model = analysis.classes.find((c) => c.name === "model");

  it("agrees with PyTorch on every layer of a model the static reading follows", () => {
    const cmp = compareTrace(model?.analysis, recordedTrace());
    expect(cmp.disagreements).toEqual([]);
    expect(cmp.totals).toEqual([]);
    expect(cmp.filled).toEqual([]);
    expect(cmp.agreements).toBe(recordedTrace().calls.length);
  });

  it("names a layer where PyTorch's shape differs, in the editor's words", () => {
    const trace = recordedTrace();
    const calls = trace.calls.map((c) =>
      c.path === "3" ? { ...c, outputs: [{ shape: [8, 32, 13, 13], dtype: "float32" }] } : c,
    );
    const cmp = compareTrace(model?.analysis, { ...trace, calls });
    expect(cmp.disagreements.map((d) => d.message)).toEqual([
      "3: static reading says 8×32×14×14, PyTorch says 8×32×13×13",
    ]);
    // The warning goes on the layer's definition: our rows carry its span.
    expect(cmp.disagreements[0]?.rows[0]?.source?.def).toBeDefined();
  });

  it("names a call PyTorch never makes, and a params difference", () => {
    const trace = recordedTrace();
    const cmp = compareTrace(model?.analysis, {
      ...trace,
      calls: trace.calls.filter((c) => c.path !== "7"),
      modules: trace.modules.map((m) => (m.path === "0" ? { ...m, params: m.params + 1 } : m)),
    });
    expect(cmp.disagreements.map((d) => d.what).sort()).toEqual(["not-run", "params"]);
  });

  it("fills every layer from the trace when there is no static reading", () => {
    const trace = recordedTrace();
    const cmp = compareTrace(undefined, trace);
    expect(cmp.filled.map((f) => f.shape)).toEqual(trace.calls.map((c) => c.outputs[0]?.shape));
    expect(cmp.filled.every((f) => f.ours === "no layer")).toBe(true);
  });
});

describe("bridgeRequest", () => {
  it("a model built through a registry: no building call to repeat, the input from the script's call", () => {
    const { fileName, source, analysis } = analyse("pytorch_check/registry_model.py");
    const model = analysis.classes.find((c) => c.name === "model");
    expect(model?.error).toMatch(/cannot build model/);
    const req = model && bridgeRequest(fileName, source, analysis, model);
    expect(req).toMatchObject({ name: "model", kind: "instance", inputs: [{ shape: [2, 3, 32, 32] }] });
    expect(typeof req === "object" && req.build).toBeUndefined();
  });

  it("a class analysed as a script builds it is built the same way", () => {
    const { fileName, source, analysis } = analyse("scripts/train_simple.py");
    const net = analysis.classes.find((c) => c.name === "Net");
    const req = net && bridgeRequest(fileName, source, analysis, net);
    expect(req).toMatchObject({ name: "Net", kind: "class", build: "Net(num_classes=10)" });
  });

  it("a symbolic input dimension is asked for, not guessed", () => {
    const src =
      "import torch.nn as nn\n# convlens: input Bx3x8x8\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 4, 3)\n    def forward(self, x):\n        return self.c(x)\n";
    const { fileName, analysis } = analyse("pytorch_check/symbolic.py", src);
    const a = analysis.classes.find((c) => c.name === "A");
    expect(a && bridgeRequest(fileName, src, analysis, a)).toMatch(/symbolic dimension B/);
  });
});
