/**
 * `convlens run MODEL --input IMAGE|noise [--normalize unit|imagenet|signed] [--format json|table]`:
 * one forward pass with onnxruntime-web's wasm backend in Node, on the same runnable model the
 * inspector builds (file weights, a .safetensors/.pth/.pt beside the model, or generated weights).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { readModel } from "../core/formats/registry";
import { ModelError } from "../core/ir/types";
import { buildRunnable } from "../core/onnx/runnable";
import { imageTensor, loadOrt, type ExplainArgs } from "./explain";
import { withWeightsBeside } from "./weightsBeside";

export interface RunResult {
  readonly backend: "wasm";
  readonly ms: number;
  readonly output_shape: number[];
  readonly logits: number[];
  readonly top: { index: number; label?: string; p: number }[];
  readonly randomWeights: boolean;
}

export async function runModel(file: string, input: string, normalize: ExplainArgs["normalize"]): Promise<RunResult> {
  const dir = dirname(file);
  const model = withWeightsBeside(file, readModel(file, readFileSync(file), { siblingExists: (rel) => existsSync(join(dir, rel)) }));
  const inp = model.graph.inputs[0];
  const shape = inp?.shape?.map((d) => (typeof d === "number" ? d : 1));
  if (!inp || !shape) throw new ModelError("the model has no input with a known shape");
  const count = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array | BigInt64Array;
  if (inp.dtype === "int64") data = BigInt64Array.from({ length: count }, (_, i) => BigInt((i * 7919) % 1000));
  else if (input === "noise") {
    let seed = 1;
    data = Float32Array.from({ length: count }, () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32));
  } else {
    if (!existsSync(input)) throw new ModelError(`no such image: ${input}`);
    if (shape.length !== 4) throw new ModelError(`an image input needs a model input of rank 4 (N, C, H, W); this one is [${shape.join(", ")}]`);
    data = imageTensor(input, shape, normalize);
  }
  const runnable = buildRunnable(model);
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(runnable.bytes);
  const feed = { [inp.name]: new ort.Tensor(inp.dtype === "int64" ? "int64" : "float32", data, shape) };
  const output = model.graph.outputs[0]?.name ?? session.outputNames[0] ?? "";
  await session.run(feed, [output]);
  const t0 = performance.now();
  const out = (await session.run(feed, [output]))[output];
  const ms = performance.now() - t0;
  if (!out) throw new ModelError("the model produced no output");
  const logits = Array.from(out.data as Float32Array);
  // Top-5 after softmax (skipped when the output already sums to 1).
  const sum = logits.reduce((a, b) => a + b, 0);
  const probs = Math.abs(sum - 1) < 1e-3 && logits.every((v) => v >= 0) ? logits : softmax(logits);
  const labelsFile = join(dir, "labels.txt");
  const labels = existsSync(labelsFile) ? readFileSync(labelsFile, "utf8").split(/\r?\n/) : undefined;
  const top = probs
    .map((p, index) => ({ index, p, ...(labels?.[index] ? { label: labels[index] } : {}) }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 5);
  return { backend: "wasm", ms: Math.round(ms * 100) / 100, output_shape: [...out.dims], logits, top, randomWeights: runnable.randomWeights };
}

function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function runText(r: RunResult): string {
  return [
    `backend ${r.backend} · forward ${r.ms} ms · output ${r.output_shape.join("×")}${r.randomWeights ? " · random weights" : ""}`,
    ...r.top.map((t) => `  ${String(t.index).padStart(4)}  ${(t.p * 100).toFixed(2).padStart(6)} %  ${t.label ?? ""}`.trimEnd()),
  ].join("\n");
}
