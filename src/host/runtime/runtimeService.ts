/**
 * Host side of the Run panel: builds the ONNX model the webview runs (file
 * weights, or generated ones, plus the layers to visualise as extra outputs),
 * writes it where the webview can fetch it, and serves filters, labels,
 * sample images and PNG saving. The webview never receives model bytes by message.
 */
import { createHash } from "node:crypto";
import * as vscode from "vscode";
import type { LayerRow } from "../../core/analysis/result";
import { dtypeBytes } from "../../core/ir/dtype";
import type { Model, Tensor } from "../../core/ir/types";
import { channelsFirstView } from "../../core/onnx/channelsFirst";
import {
  buildRunnable,
  consumersOf,
  randomWeights,
  withGeneratedWeights,
  WEIGHTS_SEED as SEED,
  type Runnable,
} from "../../core/onnx/runnable";
import { explainGraph } from "../../core/explain/methods";
import type { LabelsFile, RunnableInfo, RuntimeInfo, WebviewToHost } from "../../protocol/messages";
import type { Config } from "../config";
import type { HostRun } from "../../runtime/hostGpuEngine";
import type { HostEngine } from "./hostEngine";

type ExplainRequest = Extract<WebviewToHost, { type: "prepareExplain" }>;
type NativeRequest = Extract<WebviewToHost, { type: "runNative" }>;

/** A runnable model written to disk: where, and what the Run panel needs to know about it. */
interface Built {
  readonly file: vscode.Uri;
  readonly randomWeights: boolean;
  readonly outputs: readonly string[];
  /** A backward graph's map output. */
  readonly map?: string;
  /** What the run differs in from the file's own runtime (a quantized TFLite model run as QDQ). */
  readonly notes: readonly string[];
}

/**
 * What was built for one model, kept while the model is (WeakMap): its weights, generated once,
 * and each runnable graph (forward with chosen layer outputs, backward graphs) written once. The
 * host engine keeps a session per written file, so a repeated run only runs.
 */
interface ModelBuilds {
  readonly weighted: { readonly model: Model; readonly generated: boolean };
  readonly runnables: Map<string, Promise<Built>>;
}

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
  private readonly builds = new WeakMap<Model, ModelBuilds>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly storageUri: vscode.Uri,
    private readonly native: HostEngine,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {}

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
    return {
      ortBase,
      backend: this.config.backend,
      native: native.ok ? { available: true } : { available: false, why: native.why },
      samples,
      labels,
      imagenetLabels,
      canRun: model !== undefined,
      ...(model ? {} : { whyNot: why ?? "this model cannot be run" }),
    };
  }

  /** Write model bytes where the webview may fetch them (content-addressed, pruned). */
  private async write(bytes: Uint8Array): Promise<vscode.Uri> {
    const dir = vscode.Uri.joinPath(this.storageUri, "run");
    await vscode.workspace.fs.createDirectory(dir);
    const digest = createHash("sha1").update(bytes).digest("hex").slice(0, 12);
    const file = vscode.Uri.joinPath(dir, `${digest}.onnx`);
    await vscode.workspace.fs.writeFile(file, bytes);
    await this.prune(dir, file);
    return file;
  }

  /** The webview's URL of a written model; the host engine runs it by this URL. */
  private publish(webview: vscode.Webview, file: vscode.Uri): string {
    const url = webview.asWebviewUri(file).toString();
    this.published.set(url, file);
    return url;
  }

  /**
   * The runnable graph `key` of `model`, built by `build` from the model with its generated
   * weights and written, once; again only when its file was pruned since.
   */
  private async built(
    model: Model,
    key: string,
    signal: AbortSignal | undefined,
    build: (weighted: Model) => Runnable & { readonly map?: string },
  ): Promise<Built> {
    // Cancelled while the model loaded or another request ran: nothing is generated or built.
    signal?.throwIfAborted();
    let m = this.builds.get(model);
    if (m === undefined) {
      const start = performance.now();
      m = { weighted: withGeneratedWeights(model, SEED), runnables: new Map() };
      this.builds.set(model, m);
      if (m.weighted.generated)
        this.log.info(`weights generated in ${(performance.now() - start).toFixed(0)} ms`);
    }
    const cached = m.runnables.get(key);
    if (cached !== undefined) {
      const b = await cached.catch(() => undefined);
      if (b !== undefined && (await exists(b.file))) return b;
    }
    const builds = m;
    const created = (async () => {
      const start = performance.now();
      const r = build(builds.weighted.model);
      const built = performance.now();
      const file = await this.write(r.bytes);
      this.log.info(
        `runnable ${key}: built in ${(built - start).toFixed(0)} ms, ${(r.bytes.length / 1048576).toFixed(1)} MB written in ${(performance.now() - built).toFixed(0)} ms`,
      );
      const randomWeights = r.randomWeights || builds.weighted.generated;
      return {
        file,
        randomWeights,
        outputs: r.outputs,
        notes: r.notes,
        ...(r.map !== undefined ? { map: r.map } : {}),
      };
    })();
    builds.runnables.set(key, created);
    created.catch(() => builds.runnables.delete(key));
    return created;
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
    return this.native.run(file, m.feeds, m.fetches);
  }

  /** Write the runnable model for these layers and return where the webview fetches it. */
  async prepare(webview: vscode.Webview, file: Model, layers: readonly LayerRow[]): Promise<RunnableInfo> {
    // Channels-last models run through a wrapper that takes images and gives feature maps NCHW.
    const wanted = layers.map((l) => ({
      name: l.outputs[0]?.name ?? "",
      rank: l.outputs[0]?.shape?.length ?? 0,
    }));
    const { model, copies } = channelsFirstView(file, wanted);
    const valueOf = (l: LayerRow) => {
      const name = l.outputs[0]?.name ?? "";
      return copies.get(name) ?? name;
    };
    const isOutput = (value: string) => model.graph.outputs.some((o) => o.name === value);
    const chosen = layers
      .map((l) => ({ index: l.index, value: valueOf(l) }))
      .filter((l) => l.value !== "" && !isOutput(l.value));
    const extraOutputs = chosen.map((l) => l.value);
    // Built from the file's model (the cache's key), wrapped the same way after its weights are generated.
    const runnable = await this.built(file, `forward [${extraOutputs.join(", ")}]`, undefined, (m) =>
      buildRunnable(channelsFirstView(m, wanted).model, { extraOutputs, seed: SEED }),
    );
    // The host engine runs it unless the webview has a real GPU (auto) or a webview engine is forced.
    if (this.config.trusted && (this.config.backend === "auto" || this.config.backend === "native"))
      this.native.warm(runnable.file);
    return {
      modelUri: this.publish(webview, runnable.file),
      inputs: model.graph.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...(i.shape ?? [])] })),
      outputs: model.graph.outputs.map((o) => o.name),
      layers: [
        ...chosen,
        ...layers.filter((l) => isOutput(valueOf(l))).map((l) => ({ index: l.index, value: valueOf(l) })),
      ],
      randomWeights: runnable.randomWeights,
      notes: runnable.notes,
    };
  }

  /** A backward graph for an explanation method, as a runnable model; `map` names its map output. */
  async prepareExplain(
    webview: vscode.Webview,
    model: Model,
    layers: readonly LayerRow[],
    req: ExplainRequest,
    signal?: AbortSignal,
  ): Promise<{ runnable: RunnableInfo; map: string }> {
    const { method, layerIndex, channel } = req;
    const classIndex = req.classIndex ?? 0;
    const key = `${method} ${JSON.stringify({ layerIndex, channel, classIndex })}`;
    const runnable = await this.built(model, key, signal, (m) => {
      const g = explainGraph(m, layers, { ...req, classIndex });
      return { ...buildRunnable(g.model, { seed: SEED }), map: g.output };
    });
    return {
      map: runnable.map ?? "",
      runnable: {
        modelUri: this.publish(webview, runnable.file),
        inputs: model.graph.inputs.map((i) => ({
          name: i.name,
          dtype: i.dtype,
          shape: [...(i.shape ?? [])],
        })),
        outputs: [...runnable.outputs],
        layers: [],
        randomWeights: runnable.randomWeights,
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

  /** Keep the newest few built models; they are caches, not user files. */
  private async prune(dir: vscode.Uri, keep: vscode.Uri): Promise<void> {
    const entries = await vscode.workspace.fs.readDirectory(dir);
    const files = await Promise.all(
      entries.map(async ([name]) => ({
        uri: vscode.Uri.joinPath(dir, name),
        mtime: (await vscode.workspace.fs.stat(vscode.Uri.joinPath(dir, name))).mtime,
      })),
    );
    const old = files
      .filter((f) => f.uri.toString() !== keep.toString())
      .sort((a, b) => b.mtime - a.mtime)
      .slice(16);
    await Promise.all(old.map((f) => vscode.workspace.fs.delete(f.uri).then(undefined, () => undefined)));
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

async function exists(uri: vscode.Uri): Promise<boolean> {
  return vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );
}
