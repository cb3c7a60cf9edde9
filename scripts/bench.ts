/**
 * `npm run bench`: parse and analysis time for each fixture model and for
 * synthetic 10,000- and 100,000-node graphs, as a table (median of several runs).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { analyzeModel } from "../src/core/analysis/analyze";
import { readModel } from "../src/core/formats/registry";
import { writeOnnx } from "../src/core/onnx/writer";
import { convStack, reluChain } from "../tools/synthetic";
import { parsePython } from "../src/core/formats/python/parse";
import { analyzePythonSource } from "../src/core/formats/python/pythonModel";

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
  const p = median(parse), a = median(analyse);
  return [name, String(nodes), (bytes.byteLength / 1024).toFixed(0), p.toFixed(2), a.toFixed(2), (p + a).toFixed(2)];
}

const rows: string[][] = [];
const files = existsSync(MODELS) ? readdirSync(MODELS).filter((f) => f.endsWith(".onnx")).sort() : [];
for (const f of files) rows.push(bench(f.replace(/\.onnx$/, ""), readFileSync(join(MODELS, f)), 9));
rows.push(bench("synthetic-conv-10k", writeOnnx(convStack(4000)), 5));
rows.push(bench("synthetic-relu-100k", writeOnnx(reluChain(100_000)), 3));

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
  const p = median(parse), a = median(total);
  return [`${name} (${classes} classes)`, String(text.split("\n").length) + " lines", (text.length / 1024).toFixed(0), p.toFixed(2), (a - p).toFixed(2), a.toFixed(2)];
}
const DEFS = resolve(__dirname, "../../shared/fixtures/definitions/custom_models.py");
if (existsSync(DEFS)) rows.push(benchSource("custom_models.py", DEFS, 9));
rows.push(benchSource("torchvision_style.py", resolve(__dirname, "../test/fixtures/python/torchvision_style.py"), 9));

const head = ["model", "nodes", "KiB", "parse ms", "analyse ms", "total ms"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
console.log(`Node ${process.version}, median of runs (9 per fixture, 5 for 10k, 3 for 100k)`);
console.log(line(head));
console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`);
for (const r of rows) console.log(line(r));
