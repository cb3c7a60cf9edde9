/**
 * `npm run bench`, PyTorch scripts: a user script that builds `torchvision.models.resnet50()`
 * (torchvision read from its sources in test/fixtures/third_party, as from site-packages) —
 * first analysis with a cold library cache, re-analysis after a one-character edit, hover p95 —
 * and a 30-cell notebook analysed as one program. Files and parsed modules are kept between
 * analyses as the editor's worker keeps them.
 */
import { resolve } from "node:path";
import { ParsedModules } from "../src/core/formats/python/moduleLoader";
import {
  cellAnalysis,
  notebookProgram,
  type NotebookCellSource,
} from "../src/core/formats/python/notebookProgram";
import { analyzePythonSource, type PythonAnalysis } from "../src/core/formats/python/pythonModel";
import { layersByDefinition, localLines } from "../src/host/python/layerIndex";
import { CachedSourceFiles } from "../src/runtime/pythonFiles";

const THIRD_PARTY = resolve(__dirname, "../test/fixtures/third_party");

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(0.95 * xs.length)] ?? NaN;

/** What the hover provider does for one position: the layer or line under it, in every model. */
function hoverLookup(a: PythonAnalysis, offset: number): void {
  for (const c of a.classes) {
    for (const key of layersByDefinition(c).keys()) {
      const [from, to] = key.split(":").map(Number) as [number, number];
      if (offset >= from && offset <= to) return;
    }
    for (const l of localLines(c)) if (offset >= l.span.from && offset <= l.span.to) return;
  }
}

function timeIt(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function benchResnet50(): string {
  const source =
    "import torch\nimport torchvision\n\nmodel = torchvision.models.resnet50()\nx = torch.randn(1, 3, 224, 224)\nlogits = model(x)\n";
  const files = new CachedSourceFiles();
  const parsedModules = new ParsedModules();
  const opts = {
    fileName: resolve(THIRD_PARTY, "..", "bench_script.py"),
    files,
    parsedModules,
    pythonPath: [THIRD_PARTY],
  };
  let first: PythonAnalysis | undefined;
  const cold = timeIt(() => (first = analyzePythonSource(source, opts)));
  const edited = source.replace("224, 224)", "224, 225)");
  const re: number[] = [];
  for (let i = 0; i < 7; i++) re.push(timeIt(() => analyzePythonSource(i % 2 ? source : edited, opts)));
  const hovers: number[] = [];
  for (let i = 0; i < 500; i++)
    hovers.push(timeIt(() => first && hoverLookup(first, (i * 7919) % source.length)));
  const params = first?.classes.find((c) => c.name === "model")?.analysis?.totals.params;
  return `| torchvision.models.resnet50() script (${params ?? "?"} params) | ${cold.toFixed(0)} ms | ${median(re).toFixed(1)} ms | ${p95(hovers).toFixed(3)} ms |`;
}

/** A 30-cell tutorial notebook: imports, markdown, blocks, a model, its instance and checks. */
function notebookCells(): NotebookCellSource[] {
  const cells: NotebookCellSource[] = [
    {
      kind: "code",
      text: "%matplotlib inline\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F",
    },
  ];
  for (let k = 0; cells.length < 26; k++) {
    cells.push({ kind: "markup", text: `## Block ${k}` });
    cells.push({
      kind: "code",
      text: [
        `class Block${k}(nn.Module):`,
        "    def __init__(self, c):",
        "        super().__init__()",
        "        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)",
        "        self.bn = nn.BatchNorm2d(c)",
        "",
        "    def forward(self, x):",
        "        return F.relu(self.bn(self.conv(x)) + x)",
      ].join("\n"),
    });
  }
  const blocks = Array.from({ length: 12 }, (_, k) => `Block${k}(64)`).join(", ");
  cells.push({
    kind: "code",
    text: `class Net(nn.Module):\n    def __init__(self, num_classes):\n        super().__init__()\n        self.stem = nn.Conv2d(3, 64, 3, padding=1)\n        self.body = nn.Sequential(${blocks})\n        self.fc = nn.Linear(64, num_classes)\n\n    def forward(self, x):\n        return self.fc(self.body(self.stem(x)).mean(dim=(2, 3)))`,
  });
  cells.push({ kind: "code", text: "model = Net(num_classes=10)" });
  cells.push({ kind: "code", text: "x = torch.randn(8, 3, 32, 32)\nout = model(x)\nout.shape" });
  cells.push({ kind: "code", text: "!pip list | grep torch" });
  return cells;
}

function benchNotebook(): string {
  const cells = notebookCells();
  const parsedModules = new ParsedModules();
  const run = (cs: NotebookCellSource[]) => {
    const program = notebookProgram(cs);
    const a = analyzePythonSource(program.text, { fileName: "/tmp/notebook.ipynb", parsedModules });
    // Every cell's view, as the editor asks for each visible cell.
    for (let i = 0; i < cs.length; i++) cellAnalysis(a, program, i);
    return a;
  };
  let first: PythonAnalysis | undefined;
  const cold = timeIt(() => (first = run(cells)));
  const edited = cells.map((c, i) =>
    i === cells.length - 3 ? { ...c, text: c.text.replace("num_classes=10", "num_classes=11") } : c,
  );
  const re: number[] = [];
  for (let i = 0; i < 7; i++) re.push(timeIt(() => run(i % 2 ? cells : edited)));
  const hovers: number[] = [];
  const length = first ? notebookProgram(cells).text.length : 1;
  for (let i = 0; i < 500; i++) hovers.push(timeIt(() => first && hoverLookup(first, (i * 7919) % length)));
  const params = first?.classes.find((c) => c.name === "model")?.analysis?.totals.params;
  return `| notebook, ${cells.length} cells (${params ?? "?"} params) | ${cold.toFixed(0)} ms | ${median(re).toFixed(1)} ms | ${p95(hovers).toFixed(3)} ms |`;
}

export function benchScripts(): void {
  console.log("");
  console.log(
    "PyTorch scripts (targets: re-analysis ≤ 30 ms, hover p95 ≤ 10 ms, cold first analysis ≤ 1 s):",
  );
  console.log(
    "| script | first analysis (cold library cache) | re-analysis after a one-character edit (median of 7) | hover p95 |",
  );
  console.log("|---|---:|---:|---:|");
  console.log(benchResnet50());
  console.log(benchNotebook());
}
