import { describe, expect, it } from "vitest";
import type { RFInfo } from "../../src/core/analysis/result";
import { rfSummary } from "../../src/host/layerText";
import { detailsView, layerCells, rfCells } from "../../webview/viewModel";
import { layer, miniResNet, resetLayerIndex } from "./miniResNet";

// The field after a squeeze-and-excitation gate: local, plus the gate's global context.
const GATED: RFInfo = {
  kind: "spatial",
  axes: [
    { size: 19, stride: 4, start: -9 },
    { size: 19, stride: 4, start: -9 },
  ],
  misaligned: false,
  globalContext: true,
};

describe("global-context flag in the inspector", () => {
  it("rfCells keeps the local numbers and says global context", () => {
    expect(rfCells(GATED)).toMatchObject({
      size: "19×19",
      stride: "4×4",
      start: "-9,-9",
      globalContext: true,
    });
    expect(rfCells({ ...GATED, globalContext: false } as RFInfo).globalContext).toBe(false);
  });

  it("the RF size cell carries a +global flag with its explanation; details say so too", () => {
    resetLayerIndex();
    const row = layer("se.mul", "Mul", ["se"], [], { shape: [1, 16, 8, 8], rf: GATED });
    const cells = layerCells(row);
    expect(cells["rf-size"]).toMatchObject({ text: "19×19", value: 19, flag: "+global" });
    expect(cells["rf-size"].title).toMatch(/global context/);
    expect(cells["rf-start"].flag).toBeUndefined();
    const a = miniResNet();
    const d = detailsView(row, { ...a, layers: [row] });
    expect(d.rfGlobalContext).toBe(true);
    expect(detailsView(a.layers[0]!, a).rfGlobalContext).toBe(false);
  });

  it("the editor hover says global context", () => {
    expect(rfSummary(GATED)).toBe(
      "RF 19×19 +global · stride 4×4 · start -9,-9 · plus global context (a channel gate sees the whole input)",
    );
  });
});
