/**
 * Notebooks as one program: code cells joined in order, magics blanked without
 * moving any offset, and the analysis mapped back cell by cell.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import {
  OTHER_CELL_SPAN,
  blankMagics,
  cellAnalysis,
  notebookProgram,
  type NotebookCellSource,
} from "../../../src/core/formats/python/notebookProgram";

const code = (text: string): NotebookCellSource => ({ kind: "code", text });
const markup = (text: string): NotebookCellSource => ({ kind: "markup", text });

describe("blankMagics", () => {
  it("blanks line magics, shell lines and help lines, keeping every length", () => {
    const src = "%matplotlib inline\n!pip install torch\nfiles = !ls\nmodel?\nimport torch\n";
    const out = blankMagics(src);
    expect(out.length).toBe(src.length);
    expect(out.split("\n").map((l) => l.trim())).toEqual(["", "", "", "", "import torch", ""]);
  });

  it("keeps an indented block a block", () => {
    expect(blankMagics("if True:\n    !nvidia-smi\n")).toBe("if True:\n    pass       \n");
  });

  it("keeps a Python cell magic's body and drops a shell cell magic's", () => {
    expect(blankMagics("%%time\nx = 1")).toBe("      \nx = 1");
    expect(blankMagics("%%bash\nls -l")).toBe("      \n     ");
  });

  it("leaves Python alone: modulo, `!=`, strings", () => {
    const src = "a = 5 % 2\nb = a != 1\nc = '%d' % a\n";
    expect(blankMagics(src)).toBe(src);
  });
});

describe("notebookProgram", () => {
  const cells = [
    code("import torch\n%matplotlib inline"),
    markup("# Title"),
    code(""),
    code("x = torch.zeros(2)\ny = x + 1"),
    code("!ls"),
  ];
  const p = notebookProgram(cells);

  it("joins the code cells in order, one newline apart, markdown left out", () => {
    expect(p.text).toBe("import torch\n                  \n\nx = torch.zeros(2)\ny = x + 1\n   ");
    expect(p.starts).toEqual([0, undefined, 32, 33, 62]);
  });

  it("maps program offsets to the cell holding them", () => {
    expect(p.cellOf(0)).toBe(0);
    expect(p.cellOf(p.text.indexOf("y ="))).toBe(3);
    expect(p.cellOf(32)).toBe(2); // the empty cell
    expect(p.cellOf(p.text.length)).toBe(4);
    expect(p.cellOf(1e12)).toBeUndefined(); // a span in an imported file
  });

  it("maps spans into their cell's offsets; one crossing cells is cut at its cell's end", () => {
    const y = p.text.indexOf("y = x + 1");
    expect(p.toCell({ from: y, to: y + 9 })).toEqual({ cell: 3, span: { from: 19, to: 28 } });
    expect(p.toCell({ from: 2, to: y })).toEqual({ cell: 0, span: { from: 2, to: 31 } });
    expect(cells[3]?.text.slice(19, 28)).toBe("y = x + 1");
  });

  it("leaves out code cells in another language", () => {
    const q = notebookProgram([
      code("a = 1"),
      { kind: "code", text: "SELECT 1", language: "sql" },
      code("b = 2"),
    ]);
    expect(q.text).toBe("a = 1\nb = 2");
    expect(q.starts).toEqual([0, undefined, 6]);
  });
});

describe("a tutorial notebook analysed as one program", () => {
  const cells = [
    code("%matplotlib inline\nimport torch\nimport torch.nn as nn"),
    markup("## The model"),
    code(`class Net(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = self.pool(x).flatten(1)
        return self.fc(x)`),
    code("!pip install torchinfo\nmodel = Net(num_classes=10)"),
    code("out = model(torch.randn(4, 3, 32, 32))\nout.shape"),
  ];
  const p = notebookProgram(cells);
  const a = analyzePythonSource(p.text, { fileName: "/nb/tutorial.ipynb" });
  const text = (cell: number, s: { from: number; to: number }) => cells[cell]?.text.slice(s.from, s.to);

  it("finds the class and the instance, with the input of the call in cell 4", () => {
    const inst = a.classes.find((c) => c.kind === "instance");
    expect(inst?.name).toBe("model");
    // conv 3·32·9 + 32 = 896, fc 32·10 + 10 = 330.
    expect(inst?.analysis?.totals.params).toBe(1226);
    expect(inst?.input?.shape).toEqual([4, 3, 32, 32]);
  });

  it("shows the class body's shapes in the class's cell only", () => {
    const view = cellAnalysis(a, p, 2);
    const net = view.classes.find((c) => c.name === "Net");
    expect(net && text(2, net.nameSpan)).toBe("Net");
    expect(net?.lines.map((l) => [text(2, l.span), l.text])).toEqual([
      ["x = torch.relu(self.conv(x))", "4×32×32×32"],
      ["x = self.pool(x).flatten(1)", "4×32"],
      ["return self.fc(x)", "4×10"],
    ]);
    const conv = net?.analysis?.layers.find((r) => r.name === "conv");
    expect(conv?.source?.def && text(2, conv.source.def)).toBe("nn.Conv2d(3, 32, 3, padding=1)");
    // The instance's name is in cell 3: cell 2's view marks it as elsewhere.
    expect(view.classes.find((c) => c.name === "model")?.nameSpan).toEqual(OTHER_CELL_SPAN);
    expect(cellAnalysis(a, p, 3).classes.every((c) => c.lines.length === 0)).toBe(true);
  });

  it("puts the instance's name in cell 3 and its call in cell 4", () => {
    const inst3 = cellAnalysis(a, p, 3).classes.find((c) => c.name === "model");
    expect(inst3 && text(3, inst3.nameSpan)).toBe("model");
    expect(inst3?.calls).toEqual([]);
    const inst4 = cellAnalysis(a, p, 4).classes.find((c) => c.name === "model");
    expect(inst4?.nameSpan).toEqual(OTHER_CELL_SPAN);
    expect(inst4?.calls?.map((s) => text(4, s))).toEqual(["model(torch.randn(4, 3, 32, 32))"]);
    expect(inst4?.input?.from && text(4, inst4.input.from)).toBe("model(torch.randn(4, 3, 32, 32))");
  });

  it("reports a shape error in the cell where it is", () => {
    const broken = [
      ...cells.slice(0, 2),
      code(cells[2]!.text.replace("nn.Linear(32, num_classes)", "nn.Linear(64, num_classes)")),
      ...cells.slice(3),
    ];
    const q = notebookProgram(broken);
    const b = analyzePythonSource(q.text, { fileName: "/nb/tutorial.ipynb" });
    const inCell = (cell: number) => cellAnalysis(b, q, cell).classes.flatMap((c) => c.diagnostics);
    expect(inCell(2).length).toBeGreaterThan(0);
    expect(inCell(2).every((d) => broken[2]?.text.slice(d.span.from, d.span.to) === "self.fc(x)")).toBe(true);
    expect(inCell(3)).toEqual([]);
    expect(inCell(4)).toEqual([]);
  });
});

describe("the e2e fixture notebook_cnn.ipynb", () => {
  const nb = JSON.parse(
    readFileSync(resolve(import.meta.dirname, "../../fixtures/python/notebook_cnn.ipynb"), "utf8"),
  ) as {
    cells: { cell_type: string; source: string[] }[];
  };
  const cells = nb.cells.map((c) =>
    c.cell_type === "code" ? code(c.source.join("")) : markup(c.source.join("")),
  );
  const p = notebookProgram(cells);
  const a = analyzePythonSource(p.text, { fileName: "/nb/notebook_cnn.ipynb" });

  it("has the totals notebook.e2e.mjs expects (worked out by hand there)", () => {
    const inst = a.classes.find((c) => c.kind === "instance");
    expect(inst?.analysis?.totals.params).toBe(60362);
    expect(inst?.analysis?.totals.macs).toBe(22577152);
    const netCell = cells.findIndex((c) => c.text.startsWith("class Net"));
    const net = cellAnalysis(a, p, netCell).classes.find((c) => c.name === "Net");
    expect(net?.lines.map((l) => l.text)).toEqual(["4×32×16×16", "4×64×8×8", "4×4096", "4×10"]);
  });
});
