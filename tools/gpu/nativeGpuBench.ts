/**
 * The host engine (onnxruntime-node) on a real GPU: its bundled WebGPU execution provider
 * (Dawn inside onnxruntime, no browser) against its CPU provider, on the models ConvLens
 * builds (src/core/onnx/runnable: the file's weights, or He-init ones with a fixed seed).
 * For the trained fixtures the logits are also checked against PyTorch's.
 *
 *   node nativeGpuBench.cjs FIXTURES_DIR ORT_NODE_DIR [OUT_DIR]
 *
 * Bundled by tools/gpu/prepare.sh into .gpu/ (onnxruntime-node stays external: it is loaded
 * from ORT_NODE_DIR, unpacked from .gpu/ortnode.tar.xz).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type * as OrtNode from "onnxruntime-node";
import { imageTensor } from "../../src/cli/explain";
import { readModel } from "../../src/core/formats/registry";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { HostGpuEngine } from "../../src/runtime/hostGpuEngine";
import { NativeEngine, type NativeFeed } from "../../src/runtime/nativeEngine";

const [fixtures = ".", ortDir = ".", outDir] = process.argv.slice(2);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require(join(ortDir, "onnxruntime-node")) as typeof OrtNode;

interface Row {
  model: string;
  ep: string;
  create_ms: number;
  first_ms: number;
  median_ms: number;
  runs: number;
  vs_cpu?: number;
  vs_pytorch?: number;
  top1_same?: boolean;
  error?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const relDiff = (ref: Float32Array, got: Float32Array): number => {
  let scale = 0,
    d = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]!));
    d = Math.max(d, Math.abs(ref[i]! - (got[i] ?? NaN)));
  }
  return d / Math.max(scale, 1e-12);
};
const argmax = (a: Float32Array): number => a.indexOf(Math.max(...a));

async function time(ep: string, name: string, bytes: Uint8Array, feed: NativeFeed, runs: number) {
  const engine = new NativeEngine(ort, [ep]);
  const feeds = { input: feed };
  const t0 = performance.now();
  const first = await engine.run(name, () => bytes, feeds, ["output"]);
  const createPlusFirst = performance.now() - t0;
  const ms: number[] = [];
  let out = first.outputs.get("output")!.data;
  for (let i = 0; i < runs; i++) {
    const r = await engine.run(name, () => bytes, feeds, ["output"]);
    ms.push(r.ms);
    out = r.outputs.get("output")!.data;
  }
  engine.dispose();
  return { create: createPlusFirst - first.ms, first: first.ms, median: median(ms), out };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const models: [string, number[]][] = [
    ["lenet5_digits", [1, 1, 32, 32]],
    ["shapes_cnn", [1, 3, 64, 64]],
    ["resnet18", [1, 3, 224, 224]],
    ["mobilenet_v2", [1, 3, 224, 224]],
    ["vgg16", [1, 3, 224, 224]],
  ];
  for (const [name, dims] of models) {
    const file = join(fixtures, "models", `${name}.onnx`);
    let bytes: Uint8Array;
    try {
      bytes = buildRunnable(readModel(file, readFileSync(file), { siblingExists: () => false }), {
        seed: 1234,
      }).bytes;
    } catch (e) {
      rows.push({
        model: name,
        ep: "-",
        create_ms: NaN,
        first_ms: NaN,
        median_ms: NaN,
        runs: 0,
        error: String(e),
      });
      continue;
    }
    const n = dims.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000);
    const feed: NativeFeed = { dtype: "float32", dims, data };
    let cpuOut: Float32Array | undefined;
    for (const ep of ["cpu", "webgpu"]) {
      try {
        const r = await time(ep, name, bytes, feed, 20);
        if (ep === "cpu") cpuOut = r.out;
        const row: Row = {
          model: name,
          ep,
          create_ms: r.create,
          first_ms: r.first,
          median_ms: r.median,
          runs: 20,
        };
        if (ep !== "cpu" && cpuOut) {
          row.vs_cpu = relDiff(cpuOut, r.out);
          row.top1_same = argmax(cpuOut) === argmax(r.out);
        }
        rows.push(row);
      } catch (e) {
        rows.push({
          model: name,
          ep,
          create_ms: NaN,
          first_ms: NaN,
          median_ms: NaN,
          runs: 0,
          error: (e instanceof Error ? e.message.split("\n")[0]! : String(e)).replace(/^.* was false\. /, ""),
        });
      }
    }
    // Ground truth: PyTorch's logits for every sample image of the trained models, on the GPU provider.
    const predsFile = join(fixtures, "expected", `${name}_predictions.json`);
    let preds: { samples: { file: string; label: number; logits: number[] }[] } | undefined;
    try {
      preds = JSON.parse(readFileSync(predsFile, "utf8"));
    } catch {
      preds = undefined;
    }
    if (preds) {
      const engine = new NativeEngine(ort, ["webgpu"]);
      let worst = 0,
        same = true;
      try {
        for (const s of preds.samples) {
          const x = imageTensor(join(fixtures, s.file), dims, "unit");
          const r = await engine.run(name, () => bytes, { input: { dtype: "float32", dims, data: x } }, [
            "output",
          ]);
          const got = r.outputs.get("output")!.data;
          s.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got[i]!))));
          same &&= argmax(got) === s.label;
        }
        const row = rows.find((r) => r.model === name && r.ep === "webgpu");
        if (row) {
          row.vs_pytorch = worst;
          row.top1_same = (row.top1_same ?? true) && same;
        }
      } catch (e) {
        console.log(`${name}: PyTorch check failed: ${String(e)}`);
      }
      engine.dispose();
    }
  }

  // The product path: convlens.hostGpu on — each model's first run checked against the CPU.
  const checked: string[] = [];
  for (const [name, dims] of models) {
    const file = join(fixtures, "models", `${name}.onnx`);
    try {
      const bytes = buildRunnable(readModel(file, readFileSync(file), { siblingExists: () => false }), {
        seed: 1234,
      }).bytes;
      const n = dims.reduce((a, b) => a * b, 1);
      const feeds = {
        input: {
          dtype: "float32" as const,
          dims,
          data: Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000),
        },
      };
      const engine = HostGpuEngine.forOrt(ort);
      const first = await engine.run(name, () => bytes, feeds, ["output"]);
      const ms: number[] = [];
      let provider = first.provider;
      for (let i = 0; i < 20; i++) {
        const r = await engine.run(name, () => bytes, feeds, ["output"]);
        ms.push(r.ms);
        provider = r.provider;
      }
      engine.dispose();
      checked.push(`| ${name} | ${provider} | ${median(ms).toFixed(2)} | ${first.note ?? ""} |`);
    } catch (e) {
      checked.push(`| ${name} | failed | | ${String(e).slice(0, 160)} |`);
    }
  }
  const checkedMd = [
    "| model | provider used | median ms (20) | first-run note |",
    "| --- | --- | ---: | --- |",
    ...checked,
  ].join("\n");
  console.log(`\n## HostGpuEngine (convlens.hostGpu): what the Run panel would use\n\n${checkedMd}\n`);
  if (outDir) writeFileSync(join(outDir, "native-gpu-checked.md"), checkedMd + "\n");

  const f = (v: number | undefined, d = 1) => (v === undefined || Number.isNaN(v) ? "–" : v.toFixed(d));
  const md = [
    "| model | provider | create ms | first run ms | median ms (20) | vs CPU (max rel) | vs PyTorch (max abs) | top-1 same |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((r) =>
      r.error
        ? `| ${r.model} | ${r.ep} | failed: ${r.error.slice(0, 160)} | | | | | |`
        : `| ${r.model} | ${r.ep} | ${f(r.create_ms)} | ${f(r.first_ms)} | ${f(r.median_ms, 2)} | ${r.vs_cpu === undefined ? "–" : r.vs_cpu.toExponential(1)} | ${r.vs_pytorch === undefined ? "–" : r.vs_pytorch.toExponential(1)} | ${r.top1_same === undefined ? "–" : r.top1_same ? "yes" : "NO"} |`,
    ),
  ].join("\n");
  console.log(`\n## onnxruntime-node ${ort.env.versions?.common ?? ""}: CPU vs WebGPU provider\n\n${md}\n`);
  if (outDir) {
    writeFileSync(join(outDir, "native-gpu.json"), JSON.stringify(rows, null, 1));
    writeFileSync(join(outDir, "native-gpu.md"), md + "\n");
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.log(`native GPU bench failed: ${String(e)}`);
    process.exit(1);
  },
);
