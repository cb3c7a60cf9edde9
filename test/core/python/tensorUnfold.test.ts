import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

// x.unfold(dim, size, step) is the tensor method (windows along one dim, a new last dim), not F.unfold
// (im2col). Shapes from PyTorch 1.13: randn(2,3,32,32).unfold(2,8,8).unfold(3,8,8) is 2×3×4×4×8×8;
// randn(2,12,5).unfold(1,4,4) and .unfold(-2,4,4) are 2×3×5×4; .unfold(1,4,2) is 2×5×5×4;
// F.unfold(randn(2,3,8,8), 2) is 2×12×49.
const source = (body: string): string => `
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        ${body}
`;

function outputShape(
  body: string,
  input: number[],
): { shape: readonly unknown[] | null | undefined; error: string | undefined } {
  const r = analyzePythonSource(source(body), { fileName: "net.py", inputShapes: { Net: input } } as never);
  const net = r.classes.find((c) => c.name === "Net");
  return { shape: net?.analysis?.outputs[0]?.shape, error: net?.error };
}

describe("Tensor.unfold", () => {
  it("tiles ViT's patches: 2×3×32×32 → 2×3×4×4×8×8 (PyTorch)", () => {
    expect(outputShape("return x.unfold(2, 8, 8).unfold(3, 8, 8)", [2, 3, 32, 32]).shape).toEqual([
      2, 3, 4, 4, 8, 8,
    ]);
  });

  it("puts the window last, before a trailing dim too: 2×12×5 → 2×3×5×4 (PyTorch), dim -2 as well", () => {
    expect(outputShape("return x.unfold(1, 4, 4)", [2, 12, 5]).shape).toEqual([2, 3, 5, 4]);
    expect(outputShape("return x.unfold(-2, 4, 4)", [2, 12, 5]).shape).toEqual([2, 3, 5, 4]);
  });

  it("does not guess overlapping windows (PyTorch 2×5×5×4): unknown with the reason", () => {
    const r = outputShape("return x.unfold(1, 4, 2)", [2, 12, 5]);
    expect(r.shape).toBeUndefined();
    expect(r.error).toMatch(/unfold with overlapping or partial windows/);
  });

  it("does not give F.unfold (im2col, PyTorch 2×12×49) the method's meaning", () => {
    const r = outputShape("return F.unfold(x, 2)", [2, 3, 8, 8]);
    expect(r.shape === undefined || JSON.stringify(r.shape) === "[2,12,49]").toBe(true);
  });
});
