import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

// hasattr is Python's: a method defined on the class counts (PyTorch 1.13: hasattr(Net(), "extra") is
// True, so Net below has fc2 with 10 outputs).
const withMethod = `
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 4)
        if hasattr(self, "extra"):
            self.fc2 = nn.Linear(4, 10)
        else:
            self.fc2 = nn.Linear(4, 2)
    def extra(self):
        return 1
    def forward(self, x):
        return self.fc2(self.fc1(x))
`;

describe("hasattr", () => {
  it("counts the class's methods (PyTorch: Net's fc2 has 10 outputs, 86 params in all)", () => {
    const r = analyzePythonSource(withMethod, { fileName: "net.py", inputShapes: { Net: [1, 8] } } as never);
    const net = r.classes.find((c) => c.name === "Net");
    expect(net?.analysis?.totals.params).toBe(8 * 4 + 4 + 4 * 10 + 10);
  });
});
