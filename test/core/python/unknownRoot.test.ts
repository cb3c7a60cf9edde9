import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

// Indexing an unknown keeps the unknown's own reason: a loop of blocks whose output is unknown gave
// "cannot index ? (cannot index ? (… (root cause)))", one level per turn (13 for pytorch/examples' ViT).
const source = `
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.not_a_function(x)
        for _ in range(6):
            h = h[0]
        return self.fc(h)
`;

describe("an unknown's reason through indexing", () => {
  it("is the root cause, said once", () => {
    const r = analyzePythonSource(source, { fileName: "net.py", inputShapes: { Net: [1, 8] } } as never);
    const error = r.classes.find((c) => c.name === "Net")?.error ?? "";
    expect(r.classes.find((c) => c.name === "Net")?.analysis).toBeUndefined();
    expect(error).toMatch(/not_a_function/);
    expect(error).not.toMatch(/cannot index/);
  });
});
