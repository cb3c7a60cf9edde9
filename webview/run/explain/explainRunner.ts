/**
 * Runs one explanation: the forward pass when the predicted class or a layer's
 * strongest unit is needed, then the host-built backward graph (once, 8 times
 * for the ERF, or step after step for gradient ascent) on the Run panel's
 * engine (its backend choice and fallback), and the numbers for the view.
 * No DOM: the view draws the ExplainResult.
 */
import { seedIsFed, type ExplainMethod, type GraphMethod } from "../../../src/core/explain/methods";
import type { RunnableInfo } from "../../../src/protocol/messages";
import type { LayerRow } from "../../../src/core/analysis/result";
import type { FeedData, OutputData, RunEngine } from "../engine";
import { InputView } from "../inputView";
import { checkCancelled, type CancelToken } from "../jobQueue";
import { valueRange } from "../../../src/core/ir/tensorData";
import { seedValues, type SeedInput } from "../../../src/core/onnx/backward";
import { ERF_SAMPLES, erfMean } from "../../../src/core/explain/erf";
import { ascentStep, blur, isShowStep, jitterSource, roll, startNoise } from "./ascent";
import { Timer, type ExplainResult, type ExplainSpec, type InputImage } from "./explainResult";
import { argmax, dataHash, runUsesClass, type ExplainParams } from "./explainModel";
import { combineChannels, guidedGradCam, planesOf, sumAbsChannels, upsampleBilinear } from "./mapMath";
import { deconvnetAfterForward, deconvnetInOneGraph } from "./deconvnetUnit";
import { measureLasting, measureSince } from "../../../src/runtime/shared/timing";
import { centrePosition, clipBox, massShare, rfBox, spatialDims } from "./receptiveField";

export type { ExplainResult, ExplainSpec } from "./explainResult";

/**
 * Runs a method's backward graph on the input (or on `data`): the map, whether weights were
 * generated, and the layer's activations when `withLayerMap` and the graph gives them.
 */
type Backward = (
  method: GraphMethod,
  p: ExplainParams,
  data?: Float32Array,
  withLayerMap?: boolean,
) => Promise<{ out: OutputData; randomWeights: boolean; layerMap?: OutputData }>;

/** A backward graph the host built: the runnable model and the output holding the map. */
export interface ExplainRunnable {
  readonly runnable: RunnableInfo;
  readonly map: string;
  /** The input fed with the class or channel (one graph serves them all), when the graph has one. */
  readonly seed?: SeedInput;
  /** The output with the layer's activations, when the graph gives them (deconvnet). */
  readonly layer?: string;
}

export interface RunnerDeps {
  engine(): Pick<RunEngine, "run"> | null;
  input(): Pick<InputView, "feed"> | null;
  /** The Run panel's forward model exposing these layers (cached there). */
  forwardRunnable(layers: readonly number[]): Promise<RunnableInfo>;
  /** The backward graph (cached by the caller). */
  /** `signal` cancels the host's building of the graph (the Cancel button). */
  explainRunnable(method: GraphMethod, p: ExplainParams, signal?: AbortSignal): Promise<ExplainRunnable>;
  progress(text: string): void;
}

/** The backward graphs each method runs once (the others run them in steps or on random inputs). */
const GRAPHS: Partial<Record<ExplainMethod, readonly GraphMethod[]>> = {
  saliency: ["saliency"],
  guided: ["guided"],
  gradcam: ["gradcam"],
  guidedGradcam: ["gradcam", "guided"],
  deconvnet: ["deconvnet"],
};

/** Seed of the ascent's noise start and jitter. */
const ASCENT_SEED = 7;

/**
 * Lets the page paint and handle clicks (Cancel) between runs: a wasm session.run can
 * resolve without ever leaving the microtask queue, which would freeze the view for a whole loop.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class ExplainRunner {
  private lastForward: { key: string; predicted: number | null; layerMap: OutputData | undefined } | null =
    null;

  constructor(private readonly deps: RunnerDeps) {}

  /**
   * Asks the host for the graphs `method` runs at `layer` whose class or channel is fed (built
   * whatever they will be); their failures surface where they are run.
   */
  askGraphs(method: ExplainMethod, layer: LayerRow | null, signal?: AbortSignal): void {
    const withLayer = layer === null ? {} : { layerIndex: layer.index };
    for (const m of GRAPHS[method] ?? [])
      if (seedIsFed(m))
        this.deps
          .explainRunnable(m, m === "saliency" || m === "guided" ? {} : withLayer, signal)
          .catch(() => undefined);
  }

  async run(
    spec: ExplainSpec,
    token: CancelToken,
    onFrame: (r: ExplainResult) => void,
  ): Promise<ExplainResult> {
    const engine = this.deps.engine();
    const input = this.deps.input();
    if (engine === null || input === null) throw new Error("The runtime is not ready yet.");
    this.deps.progress("Preparing the input…");
    // A graph whose class or channel is fed does not wait for the forward pass that chooses them: the
    // host builds it (and its engine thread loads it) meanwhile.
    this.askGraphs(spec.method, spec.layer, token.signal);
    const timer = new Timer();
    // deconvnet's graph that gives the layer's activations needs no forward graph (nor pass).
    const t0 = performance.now();
    const oneGraph = spec.method === "deconvnet" ? await this.layerGraph(spec.layer, token) : null;
    timer.hostMs += performance.now() - t0;
    const forward =
      oneGraph?.runnable ??
      (await this.deps.forwardRunnable(
        spec.layer !== null && spec.method === "deconvnet" ? [spec.layer.index] : [],
      ));
    const feeds = await this.feeds(forward, input);
    const first = forward.inputs[0]?.name ?? "";
    const x = feeds[first];
    if (x === undefined || x.dtype !== "float32" || !(x.data instanceof Float32Array))
      throw new Error("Explanations need a float input (gradients of token ids do not exist).");
    const [lo0, hi0] = valueRange(x.data);
    const image: InputImage = { dims: x.dims, data: x.data, lo: lo0, hi: hi0 > lo0 ? hi0 : lo0 + 1 };
    checkCancelled(token);

    // The forward pass: the predicted class, and the feature map of deconvnet's layer.
    let predicted: number | null = null;
    let layerMap: OutputData | undefined;
    const needsClass = runUsesClass(spec.method, spec.target) && spec.classIndex === null;
    if (needsClass || (spec.method === "deconvnet" && oneGraph === null)) {
      this.deps.progress("Running the forward pass…");
      const value =
        spec.layer === null ? undefined : forward.layers.find((l) => l.index === spec.layer?.index)?.value;
      const fetches = [...new Set([...forward.outputs, ...(value === undefined ? [] : [value])])];
      // Explaining the same input again (another method) needs no new forward pass.
      const key = `${forward.modelUri}|${fetches.join(",")}|${dataHash(x.data)}`;
      if (this.lastForward?.key !== key) {
        const forwardStart = performance.now();
        const r = await engine.run(forward, feeds, fetches, token);
        measureSince("explain: forward pass", forwardStart);
        const out = r.outputs.get(forward.outputs[0] ?? "");
        this.lastForward = {
          key,
          predicted: out === undefined ? null : argmax(out.data),
          layerMap: value === undefined ? undefined : r.outputs.get(value),
        };
      }
      predicted = this.lastForward.predicted;
      layerMap = this.lastForward.layerMap;
      checkCancelled(token);
    }
    const classIndex = runUsesClass(spec.method, spec.target) ? (spec.classIndex ?? predicted ?? 0) : null;
    const base = { spec, input: image, classIndex, predicted };
    const layerIndex = spec.layer?.index;
    const withLayer = layerIndex === undefined ? {} : { layerIndex };
    const withClass = classIndex === null ? {} : { classIndex };

    const backward: Backward = async (method, p, data = image.data, withLayerMap = false) => {
      this.deps.progress("Preparing the backward graph…");
      const t0 = performance.now();
      const g = await this.deps.explainRunnable(method, p, token.signal);
      const t1 = performance.now();
      measureSince("explain: graph wait", t0);
      timer.hostMs += t1 - t0;
      checkCancelled(token);
      // The backward graph takes the model's inputs, as the forward one does, and its seed.
      const seed =
        g.seed === undefined
          ? {}
          : {
              [g.seed.name]: {
                dtype: "float32" as const,
                dims: g.seed.dims,
                data: seedValues(g.seed, g.seed.kind === "classOneHot" ? p.classIndex : p.channel),
              },
            };
      const layer = withLayerMap ? g.layer : undefined;
      const fetches = layer === undefined ? [g.map] : [g.map, layer];
      const r = await engine.run(g.runnable, { ...feeds, ...seed, [first]: { ...x, data } }, fetches, token);
      timer.add(r, performance.now() - t1);
      measureSince(`explain: backward run${r.firstRun ? " (first)" : ""}`, t1);
      if (r.timing !== undefined) {
        measureLasting("explain: host session.run", r.ms);
        measureLasting("explain: host handling", r.timing.hostMs);
      }
      const out = r.outputs.get(g.map);
      if (out === undefined) throw new Error(`the runtime did not return the map "${g.map}"`);
      const layerMap = layer === undefined ? undefined : r.outputs.get(layer);
      if (layer !== undefined && layerMap === undefined)
        throw new Error(`the runtime did not return the layer's output "${layer}"`);
      return { out, randomWeights: g.runnable.randomWeights, ...(layerMap ? { layerMap } : {}) };
    };
    const { height, width } = planesOf(image.dims);

    switch (spec.method) {
      case "saliency":
      case "guided": {
        const { out, randomWeights } = await backward(spec.method, withClass);
        return {
          ...base,
          map: out,
          plane: combineChannels(out.data, out.dims),
          channel: null,
          timing: timer.done(randomWeights),
        };
      }
      case "gradcam": {
        const { out, randomWeights } = await backward("gradcam", { ...withLayer, ...withClass });
        const cam = combineChannels(out.data, out.dims);
        return {
          ...base,
          map: out,
          plane: upsampleBilinear(cam, width, height),
          channel: null,
          timing: timer.done(randomWeights),
        };
      }
      case "guidedGradcam": {
        const cam = await backward("gradcam", { ...withLayer, ...withClass });
        const guided = await backward("guided", withClass);
        const up = upsampleBilinear(combineChannels(cam.out.data, cam.out.dims), width, height);
        const data = guidedGradCam(guided.out.data, guided.out.dims, up);
        const map = { dims: guided.out.dims, data };
        return {
          ...base,
          map,
          plane: combineChannels(data, map.dims),
          channel: null,
          timing: timer.done(guided.randomWeights),
        };
      }
      case "deconvnet": {
        if (spec.layer === null) throw new Error("deconvnet needs a layer");
        const { unit, out, randomWeights } =
          oneGraph === null
            ? await deconvnetAfterForward(layerMap, spec.channel, (p) => backward("deconvnet", p), withLayer)
            : await deconvnetInOneGraph(
                spec.channel,
                (p) => backward("deconvnet", p, image.data, true),
                withLayer,
              );
        const position = spatialDims(spec.layer).length === 1 ? [unit.x] : [unit.y, unit.x];
        const rf = spec.layer.rf?.kind === "spatial" ? spec.layer.rf.axes : [];
        const box = clipBox(rfBox(rf, position), width, height);
        return {
          ...base,
          map: out,
          plane: combineChannels(out.data, out.dims),
          channel: unit.channel,
          unit: { channel: unit.channel, position, value: unit.value, box },
          timing: timer.done(randomWeights),
        };
      }
      case "erf":
        return this.erf(spec, base, backward, withLayer, timer, token);
      case "activationMax":
      case "deepDream":
        return this.ascend(spec, base, backward, withLayer, withClass, timer, token, onFrame);
    }
  }

  /** deconvnet's fed-channel graph at `layer` when it gives the layer's activations, else null. */
  private async layerGraph(layer: LayerRow | null, token: CancelToken): Promise<ExplainRunnable | null> {
    if (layer === null) return null;
    const g = await this.deps.explainRunnable("deconvnet", { layerIndex: layer.index }, token.signal);
    checkCancelled(token);
    return g.layer !== undefined && g.seed?.kind === "channelMask" ? g : null;
  }

  private async erf(
    spec: ExplainSpec,
    base: Pick<ExplainResult, "spec" | "input" | "classIndex" | "predicted">,
    backward: Backward,
    withLayer: ExplainParams,
    timer: Timer,
    token: CancelToken,
  ): Promise<ExplainResult> {
    const { input } = base;
    const params = { ...withLayer, ...(spec.channel === null ? {} : { channel: spec.channel }) };
    let randomWeights = false;
    const mean = await erfMean(input.data.length, [input.lo, input.hi], async (noise, s) => {
      await nextTask();
      checkCancelled(token);
      this.deps.progress(`Random input ${s + 1} of ${ERF_SAMPLES}…`);
      const r = await backward("erf", params, noise);
      randomWeights = r.randomWeights;
      return r.out.data;
    });
    const plane = sumAbsChannels(mean, input.dims);
    const layer = spec.layer;
    const rf = layer?.rf?.kind === "spatial" ? layer.rf.axes : [];
    const box = clipBox(
      rfBox(rf, centrePosition(layer === null ? [] : spatialDims(layer))),
      plane.width,
      plane.height,
    );
    return {
      ...base,
      map: { dims: input.dims, data: mean },
      plane,
      channel: spec.channel,
      erf: { box, mass: massShare(plane.data, plane.width, box), samples: ERF_SAMPLES },
      timing: timer.done(randomWeights),
    };
  }

  private async ascend(
    spec: ExplainSpec,
    base: Pick<ExplainResult, "spec" | "input" | "classIndex" | "predicted">,
    backward: Backward,
    withLayer: ExplainParams,
    withClass: ExplainParams,
    timer: Timer,
    token: CancelToken,
    onFrame: (r: ExplainResult) => void,
  ): Promise<ExplainResult> {
    const { input } = base;
    const dims = input.dims;
    const p = spec.ascent;
    const dream = spec.method === "deepDream";
    const channel = dream || spec.target === "class" ? null : (spec.channel ?? 0);
    const params: ExplainParams = dream
      ? withLayer
      : channel === null
        ? withClass
        : { ...withLayer, channel };
    const x = dream
      ? Float32Array.from(input.data)
      : startNoise(input.data.length, input.lo, input.hi, ASCENT_SEED);
    const jitter = jitterSource(ASCENT_SEED, p.jitter);
    let result: ExplainResult | null = null;
    let randomWeights = false;
    let t0 = 0;
    for (let step = 1; step <= p.steps; step++) {
      // Timed from the first step's end: that one also creates the session.
      if (step === 2) t0 = performance.now();
      await nextTask();
      checkCancelled(token);
      const [dy, dx] = jitter();
      const r = await backward(dream ? "deepDream" : "activationMax", params, roll(x, dims, dy, dx));
      randomWeights = r.randomWeights;
      const g = roll(r.out.data, dims, -dy, -dx);
      const gradNorm = ascentStep(x, g, p.lr, p.decay);
      if (p.blurEvery > 0 && step % p.blurEvery === 0) x.set(blur(x, dims));
      if (isShowStep(step, p)) {
        const data = Float32Array.from(x);
        result = {
          ...base,
          map: { dims, data },
          plane: combineChannels(data, dims),
          channel,
          ascent: {
            step,
            steps: p.steps,
            gradNorm,
            msPerStep: step > 1 ? (performance.now() - t0) / (step - 1) : 0,
          },
          timing: timer.done(randomWeights),
        };
        onFrame(result);
        this.deps.progress(`Step ${step} of ${p.steps}…`);
      }
    }
    if (result === null) throw new Error("no ascent steps were run");
    return result;
  }

  private async feeds(
    runnable: RunnableInfo,
    input: Pick<InputView, "feed">,
  ): Promise<Record<string, FeedData>> {
    const feeds: Record<string, FeedData> = {};
    for (const [i, decl] of runnable.inputs.entries())
      feeds[decl.name] = i === 0 ? await input.feed(decl) : InputView.zeros(decl);
    return feeds;
  }
}
