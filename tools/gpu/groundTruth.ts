/**
 * WebGPU against PyTorch on the two trained fixture networks: the logits of every
 * sample image, and the backward maps (saliency, guided backprop, deconvnet,
 * Grad-CAM) built by ConvLens's own backward graphs. wasm is run on the same graphs
 * beside it, so that a WebGPU-only discrepancy stands out from a graph-building one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { imageTensor } from "../../src/cli/explain";
import { readModel } from "../../src/core/formats/registry";
import type { Model } from "../../src/core/ir/types";
import {
  buildGradCam,
  buildInputGradient,
  type BackwardGraph,
  type BackwardTarget,
} from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { firstDivergence } from "./diverge";
import type { Ort } from "./gpuEnv";
import { argmax, compare, EPS, errorText, withSession, type Ep } from "./measure";

/** Logits within this of PyTorch's (absolute), as asked of the GPU run. */
export const LOGIT_TOL = 1e-3;
/** Maps within this of PyTorch's, relative to the map's largest |value| (as test/core/backward.test.ts). */
export const MAP_TOL = 1e-3;

export interface PredictionRow {
  readonly model: string;
  readonly image: string;
  readonly label: number;
  readonly torchTop1: number;
  readonly top1: Partial<Record<Ep, number>>;
  readonly maxAbs: Partial<Record<Ep, number>>;
  readonly ok: boolean;
}

export interface MapRow {
  readonly model: string;
  readonly image: string;
  readonly map: string;
  readonly shape: readonly number[];
  readonly rel: Partial<Record<Ep, number>>;
  readonly ok: boolean;
  readonly error?: string;
  /** The first node whose WebGPU output differs from wasm's, when only WebGPU is off. */
  readonly firstDiff?: string;
}

interface Predictions {
  input_shape: number[];
  samples: { file: string; label: number; predicted: number; logits: number[] }[];
}

interface BackwardImage {
  image: string;
  input_shape: number[];
  top_class: number;
  deconvnet_unit: { layer: string };
  gradcam_layer: string;
  gradcam_conv_output_layer: string;
  gradcam_c3_layer?: string;
  maps: Record<string, { file: string; shape: number[] }>;
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

function floats(file: string): Float32Array {
  const buf = readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** PyTorch module name → its ONNX value; the folded batch norm `bnN` is the last Conv's output. */
function valueOf(model: Model, layer: string): string {
  const node =
    model.graph.nodes.find((n) => n.name.startsWith(`/${layer}/`)) ??
    (layer.startsWith("bn") ? model.graph.nodes.filter((n) => n.opType === "Conv").pop() : undefined);
  if (!node?.outputs[0]) throw new Error(`no node for ${layer}`);
  return node.outputs[0];
}

export function loadModel(fixtures: string, name: string): Model {
  return readModel(`${name}.onnx`, readFileSync(join(fixtures, "models", `${name}.onnx`)));
}

/** Every sample image of expected/NAME_predictions.json through one session per EP. */
export async function checkPredictions(
  ort: Ort,
  fixtures: string,
  name: string,
  eps: readonly Ep[],
): Promise<PredictionRow[]> {
  const ref = json<Predictions>(join(fixtures, "expected", `${name}_predictions.json`));
  const model = loadModel(fixtures, name);
  const input = model.graph.inputs[0]?.name ?? "input";
  const output = model.graph.outputs[0]?.name ?? "output";
  const bytes = buildRunnable(model).bytes;
  const got = new Map<Ep, Float32Array[]>();
  for (const ep of eps)
    got.set(
      ep,
      await withSession(ort, bytes, ep, async (run) => {
        const outs: Float32Array[] = [];
        for (const s of ref.samples) {
          const data = imageTensor(join(fixtures, s.file), ref.input_shape, "unit");
          outs.push(await run({ name: input, data, dims: ref.input_shape }, output));
        }
        return outs;
      }),
    );
  return ref.samples.map((s, i) => {
    const top1: Partial<Record<Ep, number>> = {};
    const maxAbs: Partial<Record<Ep, number>> = {};
    for (const ep of eps) {
      const logits = got.get(ep)?.[i];
      if (!logits) continue;
      top1[ep] = argmax(logits);
      maxAbs[ep] = compare(s.logits, logits).maxAbs;
    }
    const gpuOk = (maxAbs.webgpu ?? Infinity) < LOGIT_TOL && top1.webgpu === s.predicted;
    return { model: name, image: s.file, label: s.label, torchTop1: s.predicted, top1, maxAbs, ok: gpuOk };
  });
}

/** The backward graphs the unit tests check on wasm, one per reference map. */
function backwardTable(model: Model, img: BackwardImage): Record<string, () => BackwardGraph> {
  const classT: BackwardTarget = { kind: "class", index: img.top_class };
  const unitT = (): BackwardTarget => ({ kind: "maxUnit", value: valueOf(model, img.deconvnet_unit.layer) });
  const cam = (layer: string | undefined) => () =>
    buildGradCam(model, valueOf(model, layer ?? ""), img.top_class);
  return {
    saliency: () => buildInputGradient(model, "saliency", classT),
    guided_backprop: () => buildInputGradient(model, "guided", classT),
    deconvnet: () => buildInputGradient(model, "deconvnet", unitT()),
    guided_backprop_all_act: () => buildInputGradient(model, "guided_all_act", classT),
    deconvnet_all_act: () => buildInputGradient(model, "deconvnet_all_act", unitT()),
    gradcam: cam(img.gradcam_layer),
    gradcam_conv_output: cam(img.gradcam_conv_output_layer),
    gradcam_c3: cam(img.gradcam_c3_layer),
  };
}

/** Each reference map of expected/backward/NAME.json, built as an ONNX graph and run on each EP. */
export async function checkBackward(
  ort: Ort,
  fixtures: string,
  name: string,
  eps: readonly Ep[] = EPS,
): Promise<MapRow[]> {
  const ref = json<{ images: BackwardImage[] }>(join(fixtures, "expected", "backward", `${name}.json`));
  const model = loadModel(fixtures, name);
  const input = model.graph.inputs[0]?.name ?? "input";
  const rows: MapRow[] = [];
  for (const img of ref.images) {
    const data = imageTensor(join(fixtures, img.image), img.input_shape, "unit");
    const table = backwardTable(model, img);
    for (const [key, info] of Object.entries(img.maps)) {
      const build = table[key];
      if (!build) continue;
      const rel: Partial<Record<Ep, number>> = {};
      try {
        const g = build();
        const bytes = buildRunnable(g.model).bytes;
        const want = floats(join(fixtures, info.file));
        for (const ep of eps) {
          const got = await withSession(ort, bytes, ep, (run) =>
            run({ name: input, data, dims: img.input_shape }, g.output),
          );
          rel[ep] = compare(want, got).rel;
        }
        const ok = (rel.webgpu ?? Infinity) < MAP_TOL;
        // WebGPU alone wrong: name the first node where it departs from wasm.
        const feed = { name: input, data, dims: img.input_shape };
        const firstDiff =
          !ok && rel.webgpu !== undefined && (rel.wasm ?? Infinity) < MAP_TOL
            ? await firstDivergence(ort, g.model, feed)
            : undefined;
        rows.push({
          model: name,
          image: img.image,
          map: key,
          shape: info.shape,
          rel,
          ok,
          ...(firstDiff ? { firstDiff } : {}),
        });
      } catch (e) {
        rows.push({
          model: name,
          image: img.image,
          map: key,
          shape: info.shape,
          rel,
          ok: false,
          error: errorText(e),
        });
      }
    }
  }
  return rows;
}
