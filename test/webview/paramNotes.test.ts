/**
 * The inspector header shows "≥" for a params total with an unknown part, and notes naming it and the layers
 * forward never calls.
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../src/core/formats/python/pythonModel";
import { headerView } from "../../webview/model/summaryModel";

const SOURCE = `import os
import torch.nn as nn

# convlens: input 2x4
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.aux = nn.Linear(4, 1000)
        self.odd = nn.Linear(os.cpu_count(), 4)

    def forward(self, x):
        return self.fc(x)
`;

describe("header params notes", () => {
  const a = analyzePythonSource(SOURCE, { fileName: "m.py" }).classes[0]?.analysis;
  it("marks a lower bound and lists what the total holds", () => {
    if (!a) throw new Error("no analysis");
    const h = headerView(a);
    const params = h.totals.find((t) => t.testId === "total-params");
    // fc 20 + aux 5000; odd is unknown.
    expect(params).toMatchObject({ text: "≥ 5.02 k", dataValue: "5020" });
    expect(params?.title).toMatch(/^at least 5,?020 parameters\n/);
    expect(h.paramNotes).toHaveLength(2);
    expect(h.paramNotes[0]).toMatch(/^params not known for odd \(Linear: .+\): the total is a lower bound$/);
    expect(h.paramNotes[1]).toBe(
      "not called in forward: 5.00 k params in aux (in the total, as model.parameters() counts them)",
    );
  });
});
