/**
 * ConvLens's ONNX models on onnxruntime-web's WebGPU and wasm EPs in plain Node
 * (Dawn's bindings), built by ConvLens's own core: readModel → buildRunnable (He-init
 * weights with a fixed seed where the file has none) and the backward graphs of
 * core/onnx/backward. Checks WebGPU against PyTorch on the trained fixtures, times
 * forward and backward graphs, and watches memory over many runs.
 *
 * Bundled by tools/gpu/prepare.sh into .gpu/gpuBench.mjs; run by .gpu/run-on-device.sh:
 *   node --expose-gc gpuBench.mjs [--quick] [--probe] [--fixtures DIR] [--ort DIR]
 *     [--ort-entry FILE] [--webgpu DIR] [--out DIR] [--budget-s S] [--mem-runs N] [--models a,b]
 *     [--eps webgpu,wasm] [--runs N] [--skip predictions,forward,memory,saliency,gradcam]
 * Folders default to fixtures/, ort/ and webgpu/ beside the script; --out to $OUT.
 */
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { imageTensor } from "../../src/cli/explain";
import type { Model } from "../../src/core/ir/types";
import { buildGradCam, buildInputGradient, lastSpatialValue } from "../../src/core/onnx/backward";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { setUpGpu, type GpuEnv } from "./gpuEnv";
import { checkBackward, checkPredictions, loadModel } from "./groundTruth";
import {
  argmax,
  compare,
  EPS,
  errorText,
  memorySample,
  now,
  timeModel,
  type Ep,
  type Feed,
  type Timed,
} from "./measure";
import { renderMarkdown, saveReport, type ModelResult, type Report } from "./report";

const TRAINED = ["lenet5_digits", "shapes_cnn"];
const ALL_MODELS = [...TRAINED, "resnet18", "mobilenet_v2", "vgg16", "googlenet", "squeezenet1_1"];
const BACKWARD_MODELS = ["resnet18", "vgg16", "googlenet"];

interface Options {
  readonly quick: boolean;
  readonly probe: boolean;
  readonly fixtures: string;
  readonly ortDir: string;
  readonly ortEntry: string;
  readonly webgpuDir: string;
  readonly out: string | undefined;
  readonly budgetS: number;
  readonly memRuns: number;
  /** Only these models in every section (all when absent). */
  readonly models: readonly string[] | undefined;
  /** Only these EPs (`--eps wasm` tries the big models' paths quickly where WebGPU is software). */
  readonly eps: readonly string[] | undefined;
  /** Sections left out: predictions (logits and maps vs PyTorch), forward, memory, saliency, gradcam. */
  readonly skip: readonly string[];
  /** Timed runs after the first, on WebGPU and at most on wasm. */
  readonly runs: number;
  /** Wasm runs stop at about this much time per graph (vgg16 takes ~1.2 s a run on one thread). */
  readonly wasmBudgetMs: number;
}

function parseArgs(argv: readonly string[]): Options {
  const here = dirname(fileURLToPath(import.meta.url));
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  return {
    quick,
    probe: argv.includes("--probe"),
    fixtures: value("--fixtures") ?? join(here, "fixtures"),
    ortDir: value("--ort") ?? join(here, "ort"),
    ortEntry: value("--ort-entry") ?? "ort.bundle.min.mjs",
    webgpuDir: value("--webgpu") ?? join(here, "webgpu"),
    out: value("--out") ?? process.env["OUT"],
    budgetS: Number(value("--budget-s") ?? 300),
    memRuns: Number(value("--mem-runs") ?? (quick ? 50 : 1000)),
    models: value("--models")?.split(","),
    eps: value("--eps")?.split(","),
    skip: value("--skip")?.split(",") ?? [],
    runs: Number(value("--runs") ?? (quick ? 5 : 20)),
    wasmBudgetMs: quick ? 2000 : 8000,
  };
}

const started = now();
const log = (s: string): void =>
  void process.stderr.write(`[${((now() - started) / 1000).toFixed(1)} s] ${s}\n`);

/**
 * The image each model is fed: a sample of its own data set, else a photograph with ImageNet normalisation.
 */
function inputFor(model: Model, name: string, fixtures: string): { feed: Feed; image: string } {
  const input = model.graph.inputs[0];
  const dims = input?.shape?.map((d) => (typeof d === "number" ? d : 1)) ?? [];
  if (!input || dims.length !== 4) throw new Error(`${name}: not an image model`);
  const [image, norm] =
    name === "lenet5_digits"
      ? (["digit_0.png", "unit"] as const)
      : name === "shapes_cnn"
        ? (["shape_0_circle.png", "unit"] as const)
        : (["astronaut.png", "imagenet"] as const);
  return {
    feed: { name: input.name, data: imageTensor(join(fixtures, "images", image), dims, norm), dims },
    image,
  };
}

/** Times one graph on each EP and compares WebGPU's output with wasm's. */
async function timeGraph(
  env: GpuEnv,
  o: Options,
  eps: readonly Ep[],
  base: Omit<ModelResult, "timings" | "errors" | "agreement">,
  bytes: Uint8Array,
  feed: Feed,
  output: string,
): Promise<{ result: ModelResult; wasm?: Timed }> {
  const timings: ModelResult["timings"] = {};
  const errors: ModelResult["errors"] = {};
  const outs: Partial<Record<Ep, Timed>> = {};
  for (const ep of eps) {
    try {
      const wasmRuns = (first: number) => Math.max(3, Math.min(o.runs, Math.floor(o.wasmBudgetMs / first)));
      const t = await timeModel(env.ort, bytes, ep, feed, output, ep === "wasm" ? wasmRuns : o.runs);
      outs[ep] = t;
      timings[ep] = t.timing;
      log(`${base.model} ${base.what} ${ep}: ${JSON.stringify(t.timing)}`);
    } catch (e) {
      errors[ep] = errorText(e);
      log(`${base.model} ${base.what} ${ep} FAILED: ${errors[ep]}`);
    }
  }
  const agreement = outs.wasm && outs.webgpu ? compare(outs.wasm.output, outs.webgpu.output) : undefined;
  return {
    result: { ...base, timings, errors, ...(agreement ? { agreement } : {}) },
    ...(outs.wasm ? { wasm: outs.wasm } : {}),
  };
}

async function forward(
  env: GpuEnv,
  o: Options,
  eps: readonly Ep[],
  name: string,
  top1: Map<string, number>,
): Promise<ModelResult> {
  const t = now();
  let model: Model;
  let bytes: Uint8Array;
  let randomWeights: boolean;
  try {
    model = loadModel(o.fixtures, name);
    ({ bytes, randomWeights } = buildRunnable(model));
  } catch (e) {
    return { model: name, what: "forward", input: "", timings: {}, errors: { build: errorText(e) } };
  }
  const buildMs = now() - t;
  const { feed, image } = inputFor(model, name, o.fixtures);
  const output = model.graph.outputs[0]?.name ?? "output";
  const base = {
    model: name,
    what: "forward",
    input: image,
    buildMs,
    modelMiB: bytes.byteLength / 2 ** 20,
    randomWeights,
  };
  const { result, wasm } = await timeGraph(env, o, eps, base, bytes, feed, output);
  if (wasm) top1.set(name, argmax(wasm.output));
  return result;
}

/** The class wasm predicts, untimed: for the backward step when the forward timing was skipped. */
async function wasmTop1(env: GpuEnv, o: Options, name: string): Promise<number> {
  const model = loadModel(o.fixtures, name);
  const { feed } = inputFor(model, name, o.fixtures);
  const output = model.graph.outputs[0]?.name ?? "output";
  return argmax((await timeModel(env.ort, buildRunnable(model).bytes, "wasm", feed, output, 0)).output);
}

/** Saliency and Grad-CAM (at the last spatial layer) for the class wasm predicted on the forward pass. */
async function backwardTiming(
  env: GpuEnv,
  o: Options,
  eps: readonly Ep[],
  name: string,
  cls: number,
): Promise<ModelResult[]> {
  const model = loadModel(o.fixtures, name);
  const { feed, image } = inputFor(model, name, o.fixtures);
  const results: ModelResult[] = [];
  for (const method of (["saliency", "gradcam"] as const).filter((m) => !o.skip.includes(m))) {
    const what = `${method} (class ${cls})`;
    const t = now();
    let built;
    try {
      const g =
        method === "gradcam"
          ? buildGradCam(model, lastSpatialValue(model), cls)
          : buildInputGradient(model, "saliency", { kind: "class", index: cls });
      built = { output: g.output, bytes: buildRunnable(g.model).bytes };
    } catch (e) {
      results.push({ model: name, what, input: image, timings: {}, errors: { build: errorText(e) } });
      continue;
    }
    const base = {
      model: name,
      what,
      input: image,
      buildMs: now() - t,
      modelMiB: built.bytes.byteLength / 2 ** 20,
    };
    results.push((await timeGraph(env, o, eps, base, built.bytes, feed, built.output)).result);
  }
  return results;
}

/** Many consecutive WebGPU runs of one session: does RSS, the JS heap or the GPU buffer count grow? */
async function memoryCheck(env: GpuEnv, o: Options, report: Report): Promise<void> {
  const name = "shapes_cnn";
  const model = loadModel(o.fixtures, name);
  const { feed } = inputFor(model, name, o.fixtures);
  const output = model.graph.outputs[0]?.name ?? "output";
  const { ort, buffers } = env;
  const samples = [memorySample("before the session", buffers)];
  const session = await ort.InferenceSession.create(buildRunnable(model).bytes, {
    executionProviders: ["webgpu"],
    logSeverityLevel: 3,
  });
  const x = new ort.Tensor("float32", feed.data, [...feed.dims]);
  const runOnce = async () => {
    const y = (await session.run({ [feed.name]: x }, [output]))[output];
    if (!(y?.data instanceof Float32Array)) throw new Error("no float output");
  };
  for (let i = 0; i < 10; i++) await runOnce();
  samples.push(memorySample("after 10 warm-up runs", buffers));
  const t = now();
  const every = Math.max(1, Math.floor(o.memRuns / 4));
  for (let i = 1; i <= o.memRuns; i++) {
    await runOnce();
    if (i % every === 0 || i === o.memRuns) samples.push(memorySample(`after ${i} more runs`, buffers));
  }
  const msPerRun = (now() - t) / o.memRuns;
  await session.release();
  samples.push(memorySample("after release", buffers));
  report.memory = { model: name, msPerRun, samples };
  log(`memory: ${JSON.stringify(report.memory)}`);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  process.on("unhandledRejection", (e) => log(`unhandled rejection: ${errorText(e)}`));
  const env = await setUpGpu({ webgpuDir: o.webgpuDir, ortDir: o.ortDir, ortEntry: o.ortEntry }, log);
  // --probe: 0 for a real GPU, 4 for a software (fallback) adapter only, 3 for none.
  if (o.probe) return !env.adapter ? 3 : env.adapter.isFallbackAdapter ? 4 : 0;
  const eps: Ep[] = (env.adapter ? EPS : (["wasm"] as const)).filter((ep) => o.eps?.includes(ep) ?? true);
  const cpu = os.cpus()[0]?.model ?? "?";
  const ortVersion = (env.ort.env as { versions?: { web?: string } }).versions?.web;
  const report: Report = {
    meta: {
      started: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.availableParallelism(),
      cpuModel: cpu,
      ortEntry: o.ortEntry,
      ...(ortVersion ? { ortVersion } : {}),
      quick: o.quick,
      adapter: env.adapter,
      init: {},
    },
    predictions: [],
    maps: [],
    forward: [],
    backward: [],
    notes: [],
  };
  const save = () => {
    report.meta.totalS = (now() - started) / 1000;
    saveReport(report, o.out);
  };
  const deadline = started + o.budgetS * 1000;
  /** Runs one step unless the time budget is spent; a failure is noted and the run goes on. */
  const step = async (what: string, body: () => Promise<void>) => {
    if (now() > deadline) {
      report.notes.push(`${what}: skipped, the ${o.budgetS} s budget was spent`);
      return;
    }
    log(`${what}…`);
    try {
      await body();
    } catch (e) {
      report.notes.push(`${what}: ${errorText(e)}`);
      log(`${what} FAILED: ${errorText(e)}`);
    }
    save();
  };

  // The first session of each EP starts its runtime (wasm instantiation; WebGPU device and JSEP set-up).
  const tiny = buildRunnable(loadModel(o.fixtures, "lenet5_digits")).bytes;
  for (const ep of eps)
    await step(`start ${ep}`, async () => {
      const t = now();
      await (
        await env.ort.InferenceSession.create(tiny, { executionProviders: [ep], logSeverityLevel: 3 })
      ).release();
      report.meta.init[ep] = now() - t;
    });
  const pick = (names: readonly string[]) => names.filter((n) => o.models?.includes(n) ?? true);
  for (const name of o.skip.includes("predictions") ? [] : pick(TRAINED)) {
    await step(`${name} logits vs PyTorch`, async () => {
      report.predictions.push(...(await checkPredictions(env.ort, o.fixtures, name, eps)));
    });
    await step(`${name} backward maps vs PyTorch`, async () => {
      report.maps.push(...(await checkBackward(env.ort, o.fixtures, name, eps)));
    });
  }
  const top1 = new Map<string, number>();
  for (const name of o.skip.includes("forward") ? [] : pick(o.quick ? TRAINED : ALL_MODELS))
    await step(`${name} forward timing`, async () => {
      report.forward.push(await forward(env, o, eps, name, top1));
    });
  if (env.adapter && pick(["shapes_cnn"]).length && !o.skip.includes("memory"))
    await step("memory check", () => memoryCheck(env, o, report));
  for (const name of pick(o.quick ? ["shapes_cnn"] : BACKWARD_MODELS))
    await step(`${name} backward timing`, async () => {
      report.backward.push(
        ...(await backwardTiming(env, o, eps, name, top1.get(name) ?? (await wasmTop1(env, o, name)))),
      );
    });

  save();
  process.stdout.write(renderMarkdown(report) + "\n");
  const failed =
    report.predictions.some((p) => !p.ok) ||
    report.maps.some((m) => !m.ok) ||
    report.notes.length > 0 ||
    !env.adapter;
  return failed ? 1 : 0;
}

main().then(
  // A live GPU object keeps Node running: exit explicitly.
  (code) => process.exit(code),
  (e) => {
    log(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
