/**
 * Part of `npm run bench`: the inspector graph's layout (webview/model/graphLayout.ts, the code the Graph tab
 * runs) for GoogLeNet, DenseNet-121 and a 1,000-node synthetic graph with every group expanded: the first
 * layout (a fresh layouter, median of several runs) and the re-layout after collapsing and re-expanding one
 * group (served from the per-group cache), as a Markdown table.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { analyzeModel } from "../src/core/analysis/analyze";
import type { ModelAnalysis } from "../src/core/analysis/result";
import { readModel } from "../src/core/formats/registry";
import { writeOnnx } from "../src/core/onnx/writer";
import { convStack } from "../tools/synthetic";
import { GraphLayouter } from "../webview/model/graphLayout";
import { GraphViewModel } from "../webview/model/graphModel";
import { median } from "./benchReport";

function analyse(name: string, bytes: Uint8Array): ModelAnalysis {
  return analyzeModel(readModel(`${name}.onnx`, bytes), { modelName: name, timeLimitMs: 600_000 });
}

function benchLayout(name: string, analysis: ModelAnalysis, runs: number): string[] {
  const graph = new GraphViewModel(analysis);
  graph.expandAll();
  const view = graph.build();
  const first: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    new GraphLayouter().layout(view);
    first.push(performance.now() - t0);
  }
  // Collapse the biggest group and open it again: what a click costs once the layout is cached.
  const layouter = new GraphLayouter();
  layouter.layout(view);
  const biggest = [...graph.tree.groups.values()].sort(
    (a, b) => b.layerIndexes.length - a.layerIndexes.length,
  )[0];
  const toggles: number[] = [];
  for (let i = 0; i < runs && biggest !== undefined; i++) {
    const t0 = performance.now();
    graph.collapse(biggest.path);
    layouter.layout(graph.build());
    graph.expandAll();
    layouter.layout(graph.build());
    toggles.push((performance.now() - t0) / 2);
  }
  return [
    name,
    String(analysis.layers.length),
    String(view.nodes.length),
    String(view.edges.length),
    String(view.clusters.length),
    median(first).toFixed(0),
    toggles.length === 0 ? "–" : median(toggles).toFixed(1),
  ];
}

export function benchGraph(models: string): void {
  const rows: string[][] = [];
  for (const name of ["googlenet", "densenet121"]) {
    const file = join(models, `${name}.onnx`);
    if (existsSync(file)) rows.push(benchLayout(name, analyse(name, readFileSync(file)), 5));
  }
  // convStack(400): 400 blocks of conv + ReLU, an Add every other block = 1,000 nodes in 400 groups.
  rows.push(benchLayout("synthetic-conv-1k", analyse("synthetic", writeOnnx(convStack(400))), 5));
  console.log("");
  console.log(
    "Inspector graph layout, every group expanded, median of 5 runs (Node, same code as the webview):",
  );
  console.log(
    "| model | layers | nodes drawn | edges | groups | first layout ms | collapse/expand a group ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}
