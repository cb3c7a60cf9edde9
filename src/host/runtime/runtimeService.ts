/**
 * Host side of the Run panel: builds the ONNX model the webview runs (file
 * weights, or generated ones, plus the layers to visualise as extra outputs),
 * writes it where the webview can fetch it, and serves filters, labels,
 * sample images and PNG saving. The webview never receives model bytes by message.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import * as vscode from "vscode";
import type { LayerRow } from "../../core/analysis/result";
import { dtypeBytes } from "../../core/ir/dtype";
import { transposeData } from "../../core/ir/tensorData";
import type { Model, Tensor } from "../../core/ir/types";
import { channelsFirstView, fedInput, outputViewsOf } from "../../core/onnx/channelsFirst";
import { buildRunnable, consumersOf, randomWeights, WEIGHTS_SEED as SEED } from "../../core/onnx/runnable";
import { explainGraph, explainWhyNot, methodInfo, seedIsFed } from "../../core/explain/methods";
import type { SeedInput } from "../../core/onnx/backward";
import type { LabelsFile, RunnableInfo, RuntimeInfo, WebviewToHost } from "../../protocol/messages";
import type { Config } from "../config";
import type { HostRun } from "../../runtime/hostGpuEngine";
import type { HostEngine } from "./hostEngine";
import { KeptInputs } from "./keptInputs";
import { RunnableCache, type SharedWeightsRef } from "./runnableCache";

/** What a backward graph is built for (a prepareExplain request without its envelope). */
type ExplainRequest = Omit<Extract<WebviewToHost, { type: "prepareExplain" }>, "type" | "requestId">;
type NativeRequest = Extract<WebviewToHost, { type: "runNative" }>;

const SAMPLES = [
  "digit_3.png",
  "digit_7.png",
  "shape_0_circle.png",
  "shape_6_stripes.png",
  "chelsea.png",
  "astronaut.png",
  "coffee.png",
  "camera.png",
];

/** The one line the Run and Explain tabs show in Restricted Mode (with a link to trust the folder). */
export const RESTRICTED =
  "Restricted Mode: running models, the host engine and loading weight files are off until you trust this folder.";

export class RuntimeService {
  /** Webview URL → file of each model this service wrote (the host engine runs only these). */
  private readonly published = new Map<string, vscode.Uri>();
  /** media/imagenet1k-labels.txt, read once. */
  private imagenet: Promise<string[] | null> | undefined;
  private readonly cache: RunnableCache;
  /** Inputs sent for runs, so that a run on the same input is sent by its key alone. */
  private readonly inputs = new KeptInputs();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly storageUri: vscode.Uri,
    private readonly native: HostEngine,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.cache = new RunnableCache(storageUri, native, config, log);
  }

  /** Folders the inspector webview may load from (runtime files, samples, built models). */
  get resourceRoots(): vscode.Uri[] {
    return [
      vscode.Uri.joinPath(this.storageUri, "run"),
      vscode.Uri.joinPath(this.extensionUri, "media", "samples", "images"),
    ];
  }

  /**
   * What the Run tab needs. `chosenLabels` (a file the user picked) wins over a labels.txt
   * beside `labelsNear`.
   */
  async info(
    webview: vscode.Webview,
    model: Model | undefined,
    labelsNear: vscode.Uri | undefined,
    why?: string,
    chosenLabels?: LabelsFile,
  ): Promise<RuntimeInfo> {
    const samples = SAMPLES.map((name) => ({
      name,
      uri: webview
        .asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "samples", "images", name))
        .toString(),
    }));
    const labels =
      chosenLabels ??
      (labelsNear ? await readLabels(vscode.Uri.joinPath(labelsNear, "..", "labels.txt")) : null);
    this.imagenet ??= readLabels(
      vscode.Uri.joinPath(this.extensionUri, "media", "imagenet1k-labels.txt"),
    ).then((f) => (f === null ? null : [...f.names]));
    const imagenetLabels = await this.imagenet;
    const ortBase =
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "ort")).toString() + "/";
    const native = this.native.availability();
    if (!this.config.trusted)
      return {
        ortBase,
        backend: this.config.backend,
        native: { available: false, why: RESTRICTED },
        samples,
        labels,
        imagenetLabels,
        canRun: false,
        whyNot: RESTRICTED,
        restricted: true,
      };
    const refused = model ? explainWhyNot(model) : null;
    const first = model?.graph.inputs[0];
    const fed = model && first ? fedInput(model, first) : first;
    return {
      ortBase,
      backend: this.config.backend,
      native: native.ok ? { available: true } : { available: false, why: native.why },
      samples,
      labels,
      imagenetLabels,
      canRun: model !== undefined,
      ...(model ? {} : { whyNot: why ?? "this model cannot be run" }),
      ...(refused !== null ? { explainWhyNot: refused } : {}),
      ...(fed !== undefined && fed !== first
        ? { fedInput: { name: fed.name, dtype: fed.dtype, shape: [...(fed.shape ?? [])] } }
        : {}),
    };
  }

  /** The webview's URL of a written model; the host engine runs it by this URL. */
  private publish(webview: vscode.Webview, file: vscode.Uri): string {
    const url = webview.asWebviewUri(file).toString();
    this.published.set(url, file);
    return url;
  }

  /** `holder` (an inspector) shows `model`: what is built for it is kept until released. */
  hold(model: Model, holder: object): void {
    this.cache.hold(model, holder);
  }

  /**
   * Prepares the model's plain forward graph ahead of the first Run (weights, graph, file, host
   * session, once `shown` settles), in steps that leave the extension host responsive; a run then
   * awaits this same work. Failures surface at the run; release() stops it.
   */
  async preload(webview: vscode.Webview, model: Model, shown: Promise<unknown>): Promise<void> {
    const start = performance.now();
    await this.prepare(webview, model, [], shown).then(
      () => this.log.info(`runnable prepared ahead in ${(performance.now() - start).toFixed(0)} ms`),
      () => undefined,
    );
  }

  /** `holder` no longer shows `model`: when no one does, its builds stop and their sessions go. */
  release(model: Model, holder: object): void {
    this.cache.release(model, holder);
  }

  /**
   * Runs a model this service published on the host engine (onnxruntime-node). A run already
   * in the engine cannot be interrupted; one cancelled before it starts is not started.
   */
  async runNative(m: NativeRequest, signal?: AbortSignal): Promise<HostRun> {
    if (!this.config.trusted) throw new Error(RESTRICTED);
    const file = this.published.get(m.modelUri);
    if (file === undefined) throw new Error("the host engine runs only models ConvLens built");
    signal?.throwIfAborted();
    return this.native.run(file, this.inputs.resolve(m.feeds), m.fetches, signal);
  }

  /**
   * Write the runnable model for these layers and return where the webview fetches it; the host
   * engine loads it once `warmAfter` settles.
   */
  async prepare(
    webview: vscode.Webview,
    file: Model,
    layers: readonly LayerRow[],
    warmAfter?: Promise<unknown>,
  ): Promise<RunnableInfo> {
    // Channels-last models run through a wrapper that takes images and gives feature maps NCHW.
    const wanted = [
      ...layers.map((l) => ({ name: l.outputs[0]?.name ?? "", rank: l.outputs[0]?.shape?.length ?? 0 })),
      // The model's own outputs too: an image-like output (a segmentation mask) is drawn as maps.
      ...file.graph.outputs.map((o) => ({ name: o.name, rank: o.shape?.length ?? 0 })),
    ];
    const { model, copies, notDrawn } = channelsFirstView(file, wanted);
    const outputViews = outputViewsOf(file, { copies, notDrawn });
    const valueOf = (l: LayerRow) => {
      const name = l.outputs[0]?.name ?? "";
      return copies.get(name) ?? name;
    };
    const isOutput = (value: string) => model.graph.outputs.some((o) => o.name === value);
    const chosen = layers
      .map((l) => ({ index: l.index, value: valueOf(l) }))
      .filter((l) => l.value !== "" && !isOutput(l.value));
    const extraOutputs = [
      ...new Set([
        ...chosen.map((l) => l.value),
        ...Object.values(outputViews).flatMap((v) => ("value" in v ? [v.value] : [])),
      ]),
    ];
    // Built from the file's model (the cache's key), wrapped the same way after its weights are generated.
    const runnable = await this.cache.built(
      file,
      `forward [${extraOutputs.join(", ")}]`,
      (m) => buildRunnable(channelsFirstView(m, wanted).model, { extraOutputs, seed: SEED }),
      warmAfter === undefined ? {} : { warmAfter },
    );
    return {
      modelUri: this.publish(webview, runnable.file),
      inputs: model.graph.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...(i.shape ?? [])] })),
      outputs: model.graph.outputs.map((o) => o.name),
      ...(Object.keys(outputViews).length > 0 ? { outputViews } : {}),
      layers: [
        ...chosen,
        ...layers.filter((l) => isOutput(valueOf(l))).map((l) => ({ index: l.index, value: valueOf(l) })),
      ].map((l) => {
        const why = notDrawn.get(layers.find((r) => r.index === l.index)?.outputs[0]?.name ?? "");
        return why === undefined ? l : { ...l, notDrawn: why };
      }),
      randomWeights: runnable.randomWeights,
      notes: runnable.notes,
    };
  }

  /**
   * A backward graph for an explanation method, as a runnable model; `map` names its map output.
   * Where the method allows it (seedIsFed) the class or channel is fed at run time (`seed`): one
   * graph per layer serves them all: another class or channel reuses the graph and its session.
   */
  async prepareExplain(
    webview: vscode.Webview,
    model: Model,
    layers: readonly LayerRow[],
    req: ExplainRequest,
    signal?: AbortSignal,
  ): Promise<{ runnable: RunnableInfo; map: string; seed?: SeedInput; layer?: string }> {
    const { method, layerIndex, channel } = req;
    const classIndex = req.classIndex ?? 0;
    const fedSeed = seedIsFed(method);
    const key = `${method} ${JSON.stringify(fedSeed ? { layerIndex } : { layerIndex, channel, classIndex })}`;
    const build = (m: Model, sharedWeights: SharedWeightsRef | undefined) => {
      // deconvnet's graph gives the layer's activations too: its run needs no forward graph.
      const g = explainGraph(m, layers, { ...req, classIndex, fedSeed, exposeLayer: true });
      return {
        ...buildRunnable(g.model, { seed: SEED, ...(sharedWeights ? { sharedWeights } : {}) }),
        // A graph run once per click (not the ERF's 8 random inputs nor an ascent's steps): its
        // session is created without prepacking (GraphLevel), the first click's wait.
        level: methodInfo(method).inputs === "image" ? ("extendedUnpacked" as const) : ("extended" as const),
        map: g.output,
        ...(g.seedInput ? { seedInput: g.seedInput } : {}),
        ...(g.layerOutput !== undefined ? { layer: g.layerOutput } : {}),
      };
    };
    const runnable = await this.cache.built(model, key, build, {
      sharedWeights: true,
      ...(signal ? { signal } : {}),
    });
    return {
      map: runnable.map ?? "",
      ...(runnable.seedInput ? { seed: runnable.seedInput } : {}),
      ...(runnable.layer !== undefined ? { layer: runnable.layer } : {}),
      runnable: {
        modelUri: this.publish(webview, runnable.file),
        // Fed as the Run tab feeds them: a channels-last image channels first (explainGraph's wrapper).
        inputs: model.graph.inputs.map((v) => {
          const i = fedInput(model, v);
          return { name: i.name, dtype: i.dtype, shape: [...(i.shape ?? [])] };
        }),
        outputs: [...runnable.outputs],
        layers: [],
        randomWeights: runnable.randomWeights,
        ...(runnable.weights !== undefined
          ? {
              externalData: [
                {
                  path: posix.basename(runnable.weights.path),
                  uri: webview.asWebviewUri(runnable.weights).toString(),
                },
              ],
            }
          : {}),
      },
    };
  }

  /** A convolution's weights: the file's, or the same generated ones the runnable model uses. */
  filters(model: Model, layer: LayerRow): { dims: number[]; data: Float32Array } {
    if (layer.opType !== "Conv" && layer.opType !== "ConvTranspose")
      throw new Error(`${layer.name} is a ${layer.opType}, not a convolution`);
    const node = model.graph.nodes.find((n) => n.name === layer.id);
    const wName = node?.inputs[1];
    let t = wName ? model.graph.initializers.get(wName) : undefined;
    // Follow Identity aliases of deduplicated weights back to the initializer.
    if (!t && wName) {
      const alias = model.graph.nodes.find((n) => n.opType === "Identity" && n.outputs[0] === wName);
      t = alias?.inputs[0] ? model.graph.initializers.get(alias.inputs[0]) : undefined;
    }
    // A channels-last file's weights (TFLite OHWI, depthwise 1HWC) reach the conv through a
    // Transpose to ONNX's layout: drawn transposed the same way, so the axes are the conv's.
    const tr = t
      ? undefined
      : model.graph.nodes.find((n) => n.opType === "Transpose" && n.outputs[0] === wName);
    const stored = tr?.inputs[0] ? model.graph.initializers.get(tr.inputs[0]) : undefined;
    const perm = tr?.attrs["perm"];
    if (stored && Array.isArray(perm) && perm.length === stored.dims.length) {
      const p = perm.map(Number);
      return {
        dims: p.map((i) => stored.dims[i] ?? 1),
        data: transposeData(floatData(stored, model), stored.dims, p),
      };
    }
    if (!t) throw new Error(`the weights of ${layer.name} are computed, not stored`);
    return { dims: [...t.dims], data: floatData(t, model) };
  }

  /**
   * Copy a picked image where the webview may already load from: changing a webview's
   * resource roots reloads it and would lose the Run panel's state.
   */
  async publishImage(webview: vscode.Webview, image: vscode.Uri): Promise<string> {
    const bytes = await vscode.workspace.fs.readFile(image);
    const dir = vscode.Uri.joinPath(this.storageUri, "run");
    await vscode.workspace.fs.createDirectory(dir);
    const ext = image.path.split(".").pop()?.toLowerCase() ?? "png";
    const file = vscode.Uri.joinPath(
      dir,
      `image-${createHash("sha1").update(bytes).digest("hex").slice(0, 12)}.${ext}`,
    );
    await vscode.workspace.fs.writeFile(file, bytes);
    return webview.asWebviewUri(file).toString();
  }
}

function floatData(t: Tensor, model: Model): Float32Array {
  const s = t.storage;
  if (t.dtype !== "float32") throw new Error(`weights of type ${t.dtype} are not shown`);
  if (s.kind === "inline") {
    // A copy (a Node Buffer's slice() is a view into the whole file), aligned for Float32Array.
    const copy = new Uint8Array(s.bytes);
    return new Float32Array(copy.buffer, 0, copy.byteLength / dtypeBytes("float32"));
  }
  if (s.kind === "typed") return Float32Array.from(s.values);
  const role = consumersOf(model)
    .get(t.name)
    ?.some((c) => c.node.opType === "BatchNormalization")
    ? "one"
    : "he";
  return randomWeights(t, role, SEED);
}

/** A labels file: one class name per line (blank lines at the end dropped); null when unreadable or empty. */
export async function readLabels(file: vscode.Uri): Promise<LabelsFile | null> {
  try {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const lines = text.split(/\r?\n/).map((l) => l.trim());
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.length ? { name: file.path.split("/").pop() ?? "labels", names: lines } : null;
  } catch {
    return null;
  }
}

/**
 * The log line of a run: the forward pass, and on the host engine its whole handling and the round
 * trip the webview waited (what is neither is the transfer through the webview messaging).
 */
export function runStatsText(m: Extract<WebviewToHost, { type: "runStats" }>): string {
  const host =
    m.hostMs !== undefined && m.roundTripMs !== undefined
      ? ` (host ${m.hostMs.toFixed(1)} ms, round trip ${m.roundTripMs.toFixed(1)} ms,` +
        ` transfer ${(m.roundTripMs - m.hostMs).toFixed(1)} ms)`
      : "";
  return `forward pass on ${m.backend} in ${m.ms.toFixed(1)} ms${host}`;
}
