/**
 * `npm run bench`: parse and analysis time for each fixture model and for
 * synthetic 10,000- and 100,000-node graphs, as a table (median of several runs);
 * then forward passes on the runtimes (scripts/benchEngines.ts: both engines in
 * Node, every onnxruntime-web backend in headless Chromium, memory over 1,000 passes); then the
 * product in code-server + Chromium (scripts/benchProduct.mjs; `npm run bench -- --no-product` skips it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { analyzeModel } from "../src/core/analysis/analyze";
import { readModel } from "../src/core/formats/registry";
import { writeOnnx } from "../src/core/onnx/writer";
import { convStack, reluChain } from "../tools/synthetic";
import { parsePython } from "../src/core/formats/python/parse";
import { analyzePythonSource } from "../src/core/formats/python/pythonModel";
import { layersByDefinition, rowsInSpan } from "../src/host/python/layerIndex";
import { benchScripts } from "./benchScripts";
import { benchEngines, watchWasmMemory } from "./benchEngines";
import { benchFormats } from "./benchFormats";
import { benchGraph } from "./benchGraph";
import { loadNative, NativeEngine } from "../src/runtime/nativeEngine";

const MODELS = resolve(__dirname, "../../shared/fixtures/models");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function bench(name: string, bytes: Uint8Array, runs: number): string[] {
  const parse: number[] = [];
  const analyse: number[] = [];
  let nodes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const model = readModel(`${name}.onnx`, bytes);
    const t1 = performance.now();
    analyzeModel(model, { modelName: name, timeLimitMs: 600_000 });
    const t2 = performance.now();
    parse.push(t1 - t0);
    analyse.push(t2 - t1);
    nodes = model.graph.nodes.length;
  }
  const p = median(parse),
    a = median(analyse);
  return [
    name,
    String(nodes),
    (bytes.byteLength / 1024).toFixed(0),
    p.toFixed(2),
    a.toFixed(2),
    (p + a).toFixed(2),
  ];
}

const rows: string[][] = [];
const files = existsSync(MODELS)
  ? readdirSync(MODELS)
      .filter((f) => f.endsWith(".onnx"))
      .sort()
  : [];
for (const f of files) rows.push(bench(f.replace(/\.onnx$/, ""), readFileSync(join(MODELS, f)), 9));
const conv10k = writeOnnx(convStack(4000));
rows.push(bench("synthetic-conv-10k", conv10k, 5));
// The product bench opens the same 10,000-node graph in the inspector.
const BENCH_MODELS = resolve(__dirname, "bench-models");
mkdirSync(BENCH_MODELS, { recursive: true });
writeFileSync(join(BENCH_MODELS, "synthetic-conv-10k.onnx"), conv10k);
rows.push(bench("synthetic-relu-100k", writeOnnx(reluChain(100_000)), 3));
// A real attention-heavy export (tools/make_attention_export.py): 120 encoder layers, 13,791 nodes of shape
// arithmetic.
const ENCODER = join(__dirname, "..", "test", "fixtures", "attention", "encoder120.onnx");
if (existsSync(ENCODER)) rows.push(bench("attention-encoder120", readFileSync(ENCODER), 5));

// PyTorch source: parse + interpret + trace + analyse every model class of a file.
function benchSource(name: string, file: string, runs: number): string[] {
  const text = readFileSync(file, "utf8");
  const parse: number[] = [];
  const total: number[] = [];
  let classes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    parsePython(text);
    const t1 = performance.now();
    classes = analyzePythonSource(text, { fileName: name }).classes.length;
    const t2 = performance.now();
    parse.push(t1 - t0);
    total.push(t2 - t1);
  }
  const p = median(parse),
    a = median(total);
  return [
    `${name} (${classes} classes)`,
    String(text.split("\n").length) + " lines",
    (text.length / 1024).toFixed(0),
    p.toFixed(2),
    (a - p).toFixed(2),
    a.toFixed(2),
  ];
}
const DEFS = resolve(__dirname, "../../shared/fixtures/definitions/custom_models.py");
if (existsSync(DEFS)) rows.push(benchSource("custom_models.py", DEFS, 9));
rows.push(
  benchSource("torchvision_style.py", resolve(__dirname, "../test/fixtures/python/torchvision_style.py"), 9),
);

/** A generated 1,000-line file with 20 model classes (conv stacks with residual blocks). */
function generatedSource(): string {
  const lines = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F", ""];
  for (let k = 0; k < 20; k++) {
    const w = 16 + 8 * (k % 4);
    lines.push(
      `class Block${k}(nn.Module):`,
      "    def __init__(self, c, stride=1):",
      "        super().__init__()",
    );
    lines.push(
      "        self.conv1 = nn.Conv2d(c, c, 3, stride, 1, bias=False)",
      "        self.bn1 = nn.BatchNorm2d(c)",
    );
    lines.push(
      "        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)",
      "        self.bn2 = nn.BatchNorm2d(c)",
      "",
    );
    lines.push(
      "    def forward(self, x):",
      "        out = F.relu(self.bn1(self.conv1(x)))",
      "        out = self.bn2(self.conv2(out))",
      "        out += x",
      "        return F.relu(out)",
      "",
      "",
    );
    lines.push(
      `# convlens: input 1x3x64x64`,
      `class Net${k}(nn.Module):`,
      `    def __init__(self, width=${w}, depth=${2 + (k % 3)}, num_classes=10):`,
      "        super().__init__()",
    );
    lines.push(
      "        self.stem = nn.Conv2d(3, width, 3, padding=1)",
      "        layers = []",
      "        for i in range(depth):",
      `            layers.append(Block${k}(width))`,
    );
    lines.push(
      "        self.body = nn.Sequential(*layers)",
      "        self.pool = nn.AdaptiveAvgPool2d(1)",
      "        self.fc = nn.Linear(width, num_classes)",
      "",
    );
    lines.push(
      "    def forward(self, x):",
      "        x = F.relu(self.stem(x))",
      "        x = self.body(x)",
      "        x = torch.flatten(self.pool(x), 1)",
      "        return self.fc(x)",
      "",
      "",
    );
    while (lines.length < (k + 1) * 50) lines.push(`# padding comment ${lines.length}`);
  }
  return lines.join("\n");
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

{
  const text = generatedSource();
  const t0 = performance.now();
  const first = analyzePythonSource(text, { fileName: "generated.py" });
  const t1 = performance.now();
  const edited = text.replace("num_classes=10", "num_classes=11");
  const reTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    analyzePythonSource(i % 2 ? text : edited, { fileName: "generated.py" });
    reTimes.push(performance.now() - a);
  }
  // Hover: find the layer whose definition or statement contains a random offset (what the hover provider
  // does).
  const hovers: number[] = [];
  let seed = 7;
  for (let i = 0; i < 1000; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const offset = seed % text.length;
    const a = performance.now();
    for (const c of first.classes) {
      for (const key of layersByDefinition(c).keys()) {
        const [from, to] = key.split(":").map(Number) as [number, number];
        if (offset >= from && offset <= to) break;
      }
      rowsInSpan(c, offset, offset + 40);
    }
    hovers.push(performance.now() - a);
  }
  console.log("");
  console.log(
    `PyTorch source, generated ${text.split("\n").length} lines with ${first.classes.length} classes (${first.classes.filter((c) => c.analysis).length} models):`,
  );
  console.log(
    `| first full analysis | re-analysis after a one-character edit (median of 5) | hover p50 | hover p95 |`,
  );
  console.log(`|---:|---:|---:|---:|`);
  console.log(
    `| ${(t1 - t0).toFixed(1)} ms | ${median(reTimes).toFixed(1)} ms | ${percentile(hovers, 0.5).toFixed(3)} ms | ${percentile(hovers, 0.95).toFixed(3)} ms |`,
  );
}

benchScripts();
benchGraph(MODELS);

const head = ["model", "nodes", "KiB", "parse ms", "analyse ms", "total ms"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (r: string[]) =>
  `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
console.log(`Node ${process.version}, median of runs (9 per fixture, 5 for 10k, 3 for 100k)`);
console.log(line(head));
console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`);
for (const r of rows) console.log(line(r));

/** Forward and backward passes with onnxruntime-web's wasm backend in Node (1 thread, as in a webview). */
async function benchRuntime(): Promise<void> {
  watchWasmMemory(); // before onnxruntime-web starts, for the memory table of benchEngines
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  const { readOnnx } = await import("../src/core/formats/onnx/reader");
  const { buildRunnable } = await import("../src/core/onnx/runnable");
  const { buildInputGradient, buildGradCam, lastSpatialValue } = await import("../src/core/onnx/backward");
  const out: string[][] = [];
  for (const name of ["lenet5_digits", "shapes_cnn", "resnet18", "mobilenet_v2", "vgg16"]) {
    const file = join(MODELS, `${name}.onnx`);
    if (!existsSync(file)) continue;
    const model = readOnnx(readFileSync(file), { externalExists: () => false });
    const input = model.graph.inputs[0];
    const dims = (input?.shape ?? []).map((d) => (typeof d === "number" ? d : 1));
    const x = new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
    const runs = name === "vgg16" ? 2 : 5;
    const time = async (bytes: Uint8Array, output: string) => {
      const s = await ort.InferenceSession.create(bytes);
      await s.run({ [input?.name ?? "input"]: x }, [output]);
      const t: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await s.run({ [input?.name ?? "input"]: x }, [output]);
        t.push(performance.now() - t0);
      }
      // Released: one wasm heap serves the whole process and reaches 4 GB with VGG-16's sessions kept.
      await s.release();
      return median(t).toFixed(1);
    };
    // The same graphs on the host engine (what the Explain tab runs on under "auto" without a GPU).
    const native = loadNative();
    const timeNative = async (bytes: Uint8Array, output: string) => {
      if (!native.ok) return "–";
      const engine = new NativeEngine(native.ort);
      const feeds = {
        [input?.name ?? "input"]: { dtype: "float32" as const, dims, data: x.data as Float32Array },
      };
      await engine.run("m", () => bytes, feeds, [output]);
      const t: number[] = [];
      for (let i = 0; i < runs; i++) t.push((await engine.run("m", () => bytes, feeds, [output])).ms);
      engine.dispose();
      return median(t).toFixed(1);
    };
    const graphs = [
      { bytes: buildRunnable(model).bytes, output: model.graph.outputs[0]?.name ?? "output" },
      (({ model: m, output }) => ({ bytes: buildRunnable(m).bytes, output }))(
        buildInputGradient(model, "saliency", { kind: "class", index: 0 }),
      ),
      (({ model: m, output }) => ({ bytes: buildRunnable(m).bytes, output }))(
        buildGradCam(model, lastSpatialValue(model), 0),
      ),
    ];
    const row = [name];
    for (const g of graphs) row.push(await time(g.bytes, g.output));
    for (const g of graphs) row.push(await timeNative(g.bytes, g.output));
    out.push(row);
  }
  console.log("");
  console.log(
    "Forward and backward graphs in Node, median of 5 runs (2 for vgg16) after a warm-up run, ms: onnxruntime-web wasm (1 thread) | onnxruntime-node (host engine):",
  );
  console.log(
    "| model | wasm forward | wasm + saliency | wasm + Grad-CAM | native forward | native + saliency | native + Grad-CAM |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of out) console.log(`| ${r.join(" | ")} |`);
  torchReference();
  await benchFormats();
  await benchEngines(MODELS);
  if (!process.argv.includes("--no-product")) benchProduct();
}

/** The product in code-server + Chromium: click to result on screen (scripts/benchProduct.mjs). */
function benchProduct(): void {
  const r = spawnSync(
    process.execPath,
    [resolve(__dirname, "../scripts/benchProduct.mjs"), "--models", BENCH_MODELS],
    { stdio: "inherit", timeout: 15 * 60_000 },
  );
  if (r.status !== 0)
    console.log(`
(product bench failed: exit ${r.status ?? r.signal})`);
}

/** PyTorch CPU autograd for the same computations, when Debian's python3-torch is installed. */
function torchReference(): void {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return;
  const r = spawnSync(python, [resolve(__dirname, "../tools/bench_torch.py")], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) {
    console.log(
      `\n(PyTorch reference skipped: ${(r.stderr || "python3-torch not available").trim().split("\n").pop()})`,
    );
    return;
  }
  const res = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
  console.log("\nPyTorch CPU autograd reference (tools/bench_torch.py, random weights):");
  console.log("| model | forward ms | forward + saliency ms | forward + Grad-CAM ms |");
  console.log("|---|---:|---:|---:|");
  for (const [k, v] of Object.entries(res))
    console.log(`| ${k} | ${v["forward"]} | ${v["saliency"]} | ${v["gradcam"]} |`);
}
void benchRuntime();
