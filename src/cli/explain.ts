/**
 * `convlens explain MODEL --input IMAGE --method …`: builds the backward graph
 * (core/onnx/backward), runs it with onnxruntime-web's wasm backend in Node, and
 * writes the map as a PNG heat map or prints {method, shape, data} as JSON.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { modelNameOf } from "../core/formats/registry";
import type { LayerRow } from "../core/analysis/result";
import type { Model } from "../core/ir/types";
import { ModelError } from "../core/ir/types";
import { erfMean } from "../core/explain/erf";
import { explainGraph, explainWhyNot, methodInfo, type CliMethod } from "../core/explain/methods";
import { channelsFirstView, fedInput } from "../core/onnx/channelsFirst";
import { valueRange } from "../core/ir/tensorData";
import { buildRunnable } from "../core/onnx/runnable";
import { analyzeModel } from "../core/analysis/analyze";
import { readModelForRun } from "./modelFile";
import { loadNative, NativeEngine } from "../runtime/nativeEngine";
import { runtimeErrorText } from "../runtime/shared/runtimeErrors";
import { decodePng, encodePng } from "./png";
import type * as OrtModule from "onnxruntime-web";

export interface ExplainArgs {
  readonly model: string;
  readonly input?: string;
  readonly method: CliMethod;
  readonly layer?: string;
  readonly channel?: number;
  readonly classIndex?: number;
  readonly out?: string;
  readonly json: boolean;
  readonly normalize: "unit" | "imagenet" | "signed";
  /** auto: the host engine (onnxruntime-node) where it loads, else onnxruntime-web's wasm. */
  readonly backend?: "auto" | "native" | "wasm";
}

export interface ExplainResult {
  readonly method: string;
  readonly shape: number[];
  readonly data: number[];
  readonly classIndex?: number;
  readonly layer?: string;
}

type Ort = typeof OrtModule;

export async function loadOrt(): Promise<Ort> {
  // Loaded on demand: `summary` must not pay for the runtime.
  const ort = (await import("onnxruntime-web")) as Ort;
  ort.env.wasm.numThreads = 1;
  return ort;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Image → model input (N, C, H, W): bilinear resize, grey or RGB, and the chosen normalisation. */
export function imageTensor(
  file: string,
  shape: readonly number[],
  normalize: ExplainArgs["normalize"],
): Float32Array {
  const img = decodePng(readFileSync(file));
  const [, c = 3, h = img.height, w = img.width] = shape;
  const out = new Float32Array(c * h * w);
  const mean = normalize === "imagenet" ? IMAGENET_MEAN : [0, 0, 0];
  const std = normalize === "imagenet" ? IMAGENET_STD : [1, 1, 1];
  const px = (x: number, y: number, ch: number) => {
    const cx = Math.min(img.width - 1, Math.max(0, x)),
      cy = Math.min(img.height - 1, Math.max(0, y));
    const base = (cy * img.width + cx) * img.channels;
    if (img.channels >= 3) return img.data[base + Math.min(ch, 2)] ?? 0;
    return img.data[base] ?? 0;
  };
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sx = ((x + 0.5) * img.width) / w - 0.5,
        sy = ((y + 0.5) * img.height) / h - 0.5;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy),
        fx = sx - x0,
        fy = sy - y0;
      for (let ch = 0; ch < c; ch++) {
        const grey = c === 1 && img.channels >= 3;
        const sample = (xx: number, yy: number) =>
          grey ? 0.299 * px(xx, yy, 0) + 0.587 * px(xx, yy, 1) + 0.114 * px(xx, yy, 2) : px(xx, yy, ch);
        const v =
          (1 - fy) * ((1 - fx) * sample(x0, y0) + fx * sample(x0 + 1, y0)) +
          fy * ((1 - fx) * sample(x0, y0 + 1) + fx * sample(x0 + 1, y0 + 1));
        const unit = v / 255;
        out[ch * h * w + y * w + x] =
          normalize === "signed" ? unit * 2 - 1 : (unit - (mean[ch] ?? 0)) / (std[ch] ?? 1);
      }
    }
  return out;
}

/** The layer a --layer name denotes: a module path (layer1.0.conv1) or a node name. */
function layerRow(layers: readonly LayerRow[], name: string): LayerRow {
  const row = layers.find((l) => l.name === name || l.id === name);
  if (!row) throw new ModelError(`no layer named "${name}"`);
  return row;
}

/** The value range of the normalisation's pixels [0, 1]: where ERF inputs are drawn without an image. */
function normalizedRange(normalize: ExplainArgs["normalize"]): [number, number] {
  if (normalize === "signed") return [-1, 1];
  if (normalize === "unit") return [0, 1];
  const ends = IMAGENET_MEAN.flatMap((m, c) => [-m / IMAGENET_STD[c]!, (1 - m) / IMAGENET_STD[c]!]);
  return [Math.min(...ends), Math.max(...ends)];
}

export async function explain(args: ExplainArgs): Promise<ExplainResult> {
  const { model } = await readModelForRun(args.model);
  const refused = explainWhyNot(model);
  if (refused !== null) throw new ModelError(refused);
  // The image channels first, as the Run tab feeds it (a channels-last model's wrapper takes it so).
  const declared = model.graph.inputs[0];
  const input = declared && fedInput(model, declared);
  const shape = input?.shape?.map((d) => (typeof d === "number" ? d : 1));
  if (!input || !shape || shape.length !== 4)
    throw new ModelError("explain needs a model with one image input (N, C, H, W)");
  const native = args.backend === "wasm" ? null : loadNative();
  if (args.backend === "native" && native?.ok === false) throw new ModelError(native.why);
  const engine = native?.ok ? new NativeEngine(native.ort) : null;
  const ort = engine === null ? await loadOrt() : null;
  // One session per graph (ERF runs the same graph on several inputs).
  const keys = new Map<object, string>();
  const run = async (g: { model: Model; output: string }, x: Float32Array) => {
    if (engine !== null) {
      const key = keys.get(g) ?? `graph${keys.size}`;
      keys.set(g, key);
      const feeds = { [input.name]: { dtype: "float32" as const, dims: shape, data: x } };
      const r = await engine
        .run(key, () => buildRunnable(g.model).bytes, feeds, [g.output])
        .catch((err: unknown) => {
          throw new ModelError(`the model cannot run: ${runtimeErrorText(err)}`);
        });
      const o = r.outputs.get(g.output);
      if (!o) throw new ModelError(`the model produced no ${g.output}`);
      return { data: o.data, dims: [...o.dims] };
    }
    const session = await ort!.InferenceSession.create(buildRunnable(g.model).bytes);
    const out = await session.run({ [input.name]: new ort!.Tensor("float32", x, shape) }, [g.output]);
    const t = out[g.output];
    if (!t) throw new ModelError(`the model produced no ${g.output}`);
    return { data: t.data as Float32Array, dims: [...t.dims] };
  };
  try {
    return await explainWith(args, model, shape, run);
  } finally {
    engine?.dispose();
  }
}

type GraphRunner = (
  g: { model: Model; output: string },
  x: Float32Array,
) => Promise<{ data: Float32Array; dims: number[] }>;

async function explainWith(
  args: ExplainArgs,
  model: Model,
  shape: number[],
  run: GraphRunner,
): Promise<ExplainResult> {
  const layers = analyzeModel(model, { modelName: "explain" }).layers;
  const layer = args.layer ? layerRow(layers, args.layer) : undefined;
  const common = {
    ...(layer ? { layerIndex: layers.indexOf(layer) } : {}),
    ...(args.channel !== undefined ? { channel: args.channel } : {}),
  };
  const count = shape.reduce((a, b) => a * b, 1);
  const image = args.input ? imageTensor(args.input, shape, args.normalize) : undefined;
  const info = methodInfo(args.method);
  if (info.inputs === "random") {
    const g = explainGraph(model, layers, { method: args.method, classIndex: 0, ...common });
    const range = image ? valueRange(image) : normalizedRange(args.normalize);
    const mean = await erfMean(count, range, async (x) => (await run(g, x)).data);
    return {
      method: args.method,
      shape,
      data: Array.from(mean),
      ...(g.layerValue ? { layer: g.layerValue } : {}),
    };
  }
  const x = image ?? new Float32Array(count).fill(0.5);
  let classIndex = args.classIndex;
  if (classIndex === undefined && info.usesClass) {
    const forward = channelsFirstView(model, []).model;
    const logits = (await run({ model: forward, output: model.graph.outputs[0]?.name ?? "output" }, x)).data;
    classIndex = Array.from(logits).indexOf(Math.max(...logits));
  }
  const g = explainGraph(model, layers, { method: args.method, classIndex: classIndex ?? 0, ...common });
  const res = await run(g, x);
  return {
    method: args.method,
    shape: res.dims,
    data: Array.from(res.data),
    ...(classIndex !== undefined ? { classIndex } : {}),
    ...(layer ? { ...(g.layerValue ? { layer: g.layerValue } : {}) } : {}),
  };
}

/** A heat map PNG: |values| summed over channels, normalised, with a perceptual colour ramp. */
export function heatmapPng(r: ExplainResult): Buffer {
  const dims = r.shape;
  const h = dims[dims.length - 2] ?? 1,
    w = dims[dims.length - 1] ?? 1;
  const plane = h * w;
  const mag = new Float32Array(plane);
  r.data.forEach((v, i) => (mag[i % plane] = (mag[i % plane] ?? 0) + Math.abs(v)));
  const max = Math.max(...mag, 1e-30);
  const scale = Math.max(1, Math.ceil(224 / Math.max(h, w)));
  const W = w * scale,
    H = h * scale;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const t = (mag[Math.floor(y / scale) * w + Math.floor(x / scale)] ?? 0) / max;
      // A dark-blue → magenta → yellow ramp (close to "inferno").
      const o = (y * W + x) * 3;
      rgb[o] = Math.round(255 * Math.min(1, 1.6 * t));
      rgb[o + 1] = Math.round(255 * Math.max(0, t * t * 1.2 - 0.2));
      rgb[o + 2] = Math.round(255 * Math.max(0, 0.45 + 0.6 * t - 1.2 * t * t));
    }
  return encodePng(W, H, rgb);
}

export function writeExplain(r: ExplainResult, args: ExplainArgs): string {
  if (args.out) writeFileSync(args.out, heatmapPng(r));
  if (args.json) return JSON.stringify({ method: r.method, shape: r.shape, data: r.data });
  const name = modelNameOf(args.model);
  return `${name}: ${r.method}${r.classIndex !== undefined ? ` for class ${r.classIndex}` : ""}${r.layer ? ` at ${r.layer}` : ""}, map ${r.shape.join("×")}${args.out ? ` → ${args.out}` : ""}`;
}
