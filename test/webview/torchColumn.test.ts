/**
 * The inspector's PyTorch column (Check with PyTorch): which row each traced call lands on, what
 * the cell says, which rows are marked, and the summary line with its click-to-row list. The trace
 * is PyTorch's record of sequential_script.py's model (tools/make_script_refs.py): Conv2d 416
 * params → 8×16×28×28, …, Conv2d "3" 12,832 params → 8×32×14×14, Linear "7" → 8×10.
 */
import { describe, expect, it } from "vitest";
import { torchColumn, tracedAnalysis } from "../../src/core/analysis/torchColumn";
import { compareTrace } from "../../src/core/analysis/torchTrace";
import { TableViewModel } from "../../webview/model/tableModel";
import { torchSummaryView } from "../../webview/model/torchColumnModel";
import { analyse, recordedTrace } from "../support/recordedTrace";

const model = analyse("scripts/sequential_script.py").analysis.classes.find((c) => c.name === "model");
const analysis = model?.analysis;
if (!analysis) throw new Error("sequential_script.py's model has no static reading");

/** The layer row of a module path (each module of this model is one row). */
const rowOf = (path: string) => analysis.layers.find((l) => l.name === path)?.index ?? -1;

describe("the PyTorch column", () => {
  it("shows PyTorch's shape and params on each module's row, after the static output shape", () => {
    const trace = recordedTrace();
    const column = torchColumn(trace, compareTrace(analysis, trace));
    const table = new TableViewModel(analysis, column);
    expect(table.columns.map((c) => c.id).slice(0, 5)).toEqual(["index", "name", "op", "shape", "pytorch"]);
    expect(table.cells(rowOf("0"))?.pytorch.text).toBe("8×16×28×28 · 416 params");
    // A module without weights: its shape alone.
    expect(table.cells(rowOf("1"))?.pytorch.text).toBe("8×16×28×28");
    expect(table.cells(rowOf("3"))?.pytorch.text).toBe("8×32×14×14 · 12.83 k params");
    expect(table.cells(rowOf("7"))?.pytorch.text).toBe("8×10 · 15.69 k params");
    expect(table.cells(rowOf("3"))?.pytorch.title).toMatch(/^PyTorch agrees with the static reading/);
    expect(analysis.layers.some((l) => table.torchDiffers(l.index))).toBe(false);
    const summary = torchSummaryView(column);
    expect(summary.line).toBe("PyTorch 1.13 on meta: 0 disagreements · agrees on 8 layers");
    expect(summary.disagreements).toEqual([]);
  });

  it("no trace, no column", () => {
    const table = new TableViewModel(analysis);
    expect(table.columns.some((c) => c.id === "pytorch")).toBe(false);
  });

  it("marks and lists a disagreement with the row it selects", () => {
    const trace = recordedTrace();
    const calls = trace.calls.map((c) =>
      c.path === "3" ? { ...c, outputs: [{ shape: [8, 32, 13, 13], dtype: "float32" }] } : c,
    );
    const column = torchColumn(trace, compareTrace(analysis, { ...trace, calls }));
    const table = new TableViewModel(analysis, column);
    const conv = rowOf("3");
    expect(table.torchDiffers(conv)).toBe(true);
    expect(analysis.layers.filter((l) => table.torchDiffers(l.index)).map((l) => l.name)).toEqual(["3"]);
    const cell = table.cells(conv)?.pytorch;
    expect(cell?.text).toBe("8×32×13×13 · 12.83 k params");
    expect(cell?.flag).toBe("≠");
    expect(cell?.title).toContain("3: static reading says 8×32×14×14, PyTorch says 8×32×13×13");
    const summary = torchSummaryView(column);
    expect(summary.line).toBe("PyTorch 1.13 on meta: 1 disagreement · agrees on 7 layers");
    expect(summary.disagreements).toEqual([
      { text: "3: static reading says 8×32×14×14, PyTorch says 8×32×13×13", layer: conv },
    ]);
  });

  it("a call PyTorch never made reads 'not called'; a model-level difference selects no row", () => {
    const trace = recordedTrace();
    const column = torchColumn(
      trace,
      compareTrace(analysis, { ...trace, calls: trace.calls.filter((c) => c.path !== "6"), params: 1 }),
    );
    const table = new TableViewModel(analysis, column);
    expect(table.cells(rowOf("6"))?.pytorch.text).toBe("not called");
    expect(table.torchDiffers(rowOf("6"))).toBe(true);
    expect(column.disagreements).toEqual([
      {
        message: "6: static reading says a Flatten call, PyTorch says it is never called",
        layer: rowOf("6"),
      },
      { message: "total params: static reading says 28938, PyTorch says 1", layer: null },
    ]);
  });

  it("sorts by the PyTorch column like a text column", () => {
    const trace = recordedTrace();
    const table = new TableViewModel(analysis, torchColumn(trace, compareTrace(analysis, trace)));
    table.cycleSort("pytorch");
    const first = table.rows()[0];
    expect(first?.kind === "layer" && table.cells(first.index)?.pytorch.text).toBe("8×10 · 15.69 k params");
  });
});

describe("a model the static reading cannot build", () => {
  it("shows PyTorch's own rows: its shapes and params, MACs unknown and why", () => {
    const trace = recordedTrace();
    const { analysis: traced, column } = tracedAnalysis("model", trace, 'key "tiny" not found');
    expect(traced.layers.map((l) => [l.name, l.opType, l.outputs[0]?.shape, l.params])).toEqual([
      ["0", "Conv2d", [8, 16, 28, 28], 416],
      ["1", "ReLU", [8, 16, 28, 28], 0],
      ["2", "MaxPool2d", [8, 16, 14, 14], 0],
      ["3", "Conv2d", [8, 32, 14, 14], 12832],
      ["4", "ReLU", [8, 32, 14, 14], 0],
      ["5", "MaxPool2d", [8, 32, 7, 7], 0],
      ["6", "Flatten", [8, 1568], 0],
      ["7", "Linear", [8, 10], 15690],
    ]);
    expect(traced.totals).toMatchObject({ params: 28938, macs: null, flops: null });
    expect(traced.layers.every((l) => l.macs === null && l.rf === null)).toBe(true);
    expect(traced.warnings[0]).toMatch(/cannot build this model \(key "tiny" not found\).*MACs.*unknown/);
    const table = new TableViewModel(traced, column);
    expect(table.cells(0)?.pytorch.text).toBe("8×16×28×28 · 416 params");
    expect(table.cells(0)?.pytorch.title).toMatch(/^Traced by PyTorch where the static reading has no value/);
    expect(torchSummaryView(column).line).toBe(
      "PyTorch 1.13 on meta: 0 disagreements · 8 layers traced where the static reading has none",
    );
  });
});
