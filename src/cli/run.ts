/**
 * `convlens run MODEL --input IMAGE|noise [--preprocess unit|imagenet|signed] [--backend auto|native|wasm]`:
 * one forward pass on the host engine (onnxruntime-node; "auto" falls back to wasm where it
 * cannot load) or onnxruntime-web's wasm in Node, on the same runnable model the inspector
 * builds (file weights, a weight file beside the model — Darknet .weights, Caffe .caffemodel,
 * .safetensors, PyTorch .pth — or generated weights).
 */
import { uniformValues } from "../core/random";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { ModelError } from "../core/ir/types";
import { buildRunnable } from "../core/onnx/runnable";
import { loadNative, NativeEngine } from "../runtime/nativeEngine";
import { runtimeErrorText } from "../runtime/shared/runtimeErrors";
import { imageTensor, loadOrt, type ExplainArgs } from "./explain";
import { readModelForRun } from "./modelFile";

export type RunBackend = "auto" | "native" | "wasm";

export interface RunResult {
  readonly backend: "native" | "wasm";
  readonly ms: number;
  readonly output_shape: number[];
  readonly logits: number[];
  readonly top: { index: number; label?: string; p: number }[];
  readonly randomWeights: boolean;
  readonly notes?: readonly string[];
  /** The weight file beside the model and what it gave, when there was one. */
  readonly weights?: string;
}

export async function runModel(
  file: string,
  input: string,
  normalize: ExplainArgs["normalize"],
  backend: RunBackend = "auto",
): Promise<RunResult> {
  const dir = dirname(file);
  const { model, weights } = await readModelForRun(file);
  const inp = model.graph.inputs[0];
  const shape = inp?.shape?.map((d) => (typeof d === "number" ? d : 1));
  if (!inp || !shape) throw new ModelError("the model has no input with a known shape");
  const count = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array | BigInt64Array;
  if (inp.dtype === "int64")
    data = BigInt64Array.from({ length: count }, (_, i) => BigInt((i * 7919) % 1000));
  else if (input === "noise") {
    data = uniformValues(count, 0, 1, 1);
  } else {
    if (!existsSync(input)) throw new ModelError(`no such image: ${input}`);
    if (shape.length !== 4)
      throw new ModelError(
        `an image input needs a model input of rank 4 (N, C, H, W); this one is [${shape.join(", ")}]`,
      );
    data = imageTensor(input, shape, normalize);
  }
  const runnable = buildRunnable(model);
  const output = model.graph.outputs[0]?.name ?? "";
  const dtype = inp.dtype === "int64" ? "int64" : "float32";
  const native = backend === "wasm" ? null : loadNative();
  if (backend === "native" && native?.ok === false) throw new ModelError(native.why);
  // The second pass is timed: the first includes onnxruntime's warm-up.
  const out = await (
    native?.ok
      ? (async () => {
          const engine = new NativeEngine(native.ort);
          const feeds = { [inp.name]: { dtype, dims: shape, data } } as const;
          await engine.run("model", () => runnable.bytes, feeds, [output]);
          const r = await engine.run("model", () => runnable.bytes, feeds, [output]);
          engine.dispose();
          const o = r.outputs.get(output);
          return o ? { backend: "native" as const, ms: r.ms, dims: o.dims, data: o.data } : undefined;
        })()
      : (async () => {
          const ort = await loadOrt();
          const session = await ort.InferenceSession.create(runnable.bytes);
          const feed = { [inp.name]: new ort.Tensor(dtype, data, shape) };
          await session.run(feed, [output]);
          const t0 = performance.now();
          const o = (await session.run(feed, [output]))[output];
          const ms = performance.now() - t0;
          return o ? { backend: "wasm" as const, ms, dims: o.dims, data: o.data as Float32Array } : undefined;
        })()
  ).catch((err: unknown) => {
    throw err instanceof ModelError ? err : new ModelError(`the model cannot run: ${runtimeErrorText(err)}`);
  });
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
  return {
    backend: out.backend,
    ms: Math.round(out.ms * 100) / 100,
    output_shape: [...out.dims],
    logits,
    top,
    randomWeights: runnable.randomWeights,
    ...(runnable.notes.length ? { notes: runnable.notes } : {}),
    ...(weights ? { weights: weights.text } : {}),
  };
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
    ...(r.weights ? [r.weights] : []),
    ...(r.notes ?? []),
    ...r.top.map((t) =>
      `  ${String(t.index).padStart(4)}  ${(t.p * 100).toFixed(2).padStart(6)} %  ${t.label ?? ""}`.trimEnd(),
    ),
  ].join("\n");
}
