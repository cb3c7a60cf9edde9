/**
 * The runnable models built for the Run panel, per model: weights generated once (in steps that
 * leave the extension host responsive), each graph built and written once, the host engine's
 * session loaded from the bytes in memory while the file for the webview is written. An
 * inspector holds its model from the moment it shows it, so the first Run finds the work done or
 * under way and awaits the same promise; when no inspector holds it, the work stops and its
 * sessions are released.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import * as vscode from "vscode";
import type { Model } from "../../core/ir/types";
import type { SeedInput } from "../../core/onnx/backward";
import {
  generationKey,
  withGeneratedWeightsInSteps,
  WEIGHTS_SEED as SEED,
  type Runnable,
  type Weighted,
} from "../../core/onnx/runnable";
import { weightsLayout, type WeightsLayout } from "../../core/onnx/sharedWeights";
import type { GraphLevel } from "../../runtime/nativeEngine";
import type { Config } from "../config";
import type { HostEngine } from "./hostEngine";

/** A runnable model written to disk: where, and what the Run panel needs to know about it. */
export interface Built {
  readonly file: vscode.Uri;
  readonly randomWeights: boolean;
  readonly outputs: readonly string[];
  /** A backward graph's map output. */
  readonly map?: string;
  /** A backward graph's fed seed (its class or channel), when it has one. */
  readonly seedInput?: SeedInput;
  /** A backward graph's output of the layer's activations, when it gives them (deconvnet). */
  readonly layer?: string;
  /** What the run differs in from the file's own runtime (a quantized TFLite model run as QDQ). */
  readonly notes: readonly string[];
  /** The model's weights file the graph refers to (beside it; shared by its model's graphs). */
  readonly weights?: vscode.Uri;
}

/** The weights a graph refers to instead of carrying them (RunnableOptions.sharedWeights). */
export interface SharedWeightsRef {
  readonly layout: WeightsLayout;
  /** The weights file's name, beside the graph's file. */
  readonly location: string;
}

export interface BuildOptions {
  /** Cancels this caller's wait (and the build, when no one else waits for it). */
  readonly signal?: AbortSignal;
  /** The host engine's session is created once this settles (not before the table is shown). */
  readonly warmAfter?: Promise<unknown>;
  /**
   * The graph refers to its model's weights file (written once per model) instead of carrying the
   * weights: the Explain tab's backward graphs. Their sessions load from the file (onnxruntime maps
   * the weights), in the engine's worker.
   */
  readonly sharedWeights?: boolean;
}

/** A runnable graph as built, before it is written: a backward graph also names its map and seed. */
type BuiltGraph = Runnable & {
  readonly map?: string;
  /** A backward graph's session level (by default "extended"); forward graphs take the host engine's. */
  readonly level?: GraphLevel;
  readonly seedInput?: SeedInput;
  readonly layer?: string;
};

/**
 * What was built for one model, kept while the model is (WeakMap) and some inspector shows it:
 * its weights, generated once, and each runnable graph (forward with chosen layer outputs,
 * backward graphs) written once. The host engine keeps a session per written file, so a
 * repeated run only runs. Every run of the model awaits these same promises.
 */
interface ModelBuilds {
  readonly weighted: Promise<Weighted>;
  readonly runnables: Map<string, Promise<Built>>;
  /** Aborted when no inspector holds the model any more: work in progress stops at its next step. */
  readonly stop: AbortController;
  /** The inspectors that asked for it ahead of a run (preload); released one by one. */
  readonly holders: Set<object>;
  /** Its weights file (BuildOptions.sharedWeights), written on first use. */
  weights?: Promise<{ readonly file: vscode.Uri; readonly layout: WeightsLayout }> | undefined;
}

/** Generated weights are kept on disk up to this size (ResNet-50's 102 MB; not VGG-16's 553). */
const KEEP_GENERATED_MAX_BYTES = 128 * 1024 * 1024;

/** Lets the extension host's other work (messages, hovers) run between steps of a long build. */
const otherWorkFirst = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RunnableCache {
  private readonly builds = new WeakMap<Model, ModelBuilds>();
  /** Weights files → the held models that use them (models with the same weights share one): not pruned. */
  private readonly weightsInUse = new Map<string, Set<ModelBuilds>>();
  /** Counts temporary files: two writes of the same bytes (two models alike) never share one. */
  private partials = 0;

  constructor(
    private readonly storageUri: vscode.Uri,
    private readonly native: HostEngine,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** `holder` (an inspector) shows `model`: its builds are kept (and started) until released. */
  hold(model: Model, holder: object): void {
    this.buildsOf(model).holders.add(holder);
  }

  /** `holder` no longer shows `model`: when no one does, its builds stop and their sessions go. */
  release(model: Model, holder: object): void {
    const m = this.builds.get(model);
    if (m === undefined || !m.holders.delete(holder) || m.holders.size > 0) return;
    m.stop.abort();
    this.builds.delete(model);
    for (const [file, users] of this.weightsInUse)
      if (users.delete(m) && users.size === 0) this.weightsInUse.delete(file);
    for (const b of m.runnables.values())
      void b.then(
        (built) => this.native.forget(built.file),
        () => undefined,
      );
  }

  /**
   * The runnable graph `key` of `model`, built by `build` from the model with its generated
   * weights (and its weights file, BuildOptions.sharedWeights) and written, once; again only when
   * its file was pruned since, or when its model was released while it was being built for this
   * caller. The host engine's session is created once `warmAfter` settles (its loading blocks the
   * extension host: not before the table is shown).
   */
  async built(
    model: Model,
    key: string,
    build: (weighted: Model, shared: SharedWeightsRef | undefined) => BuiltGraph,
    opts: BuildOptions = {},
  ): Promise<Built> {
    for (let attempt = 0; ; attempt++) {
      // Cancelled while the model loaded or another request ran: nothing is generated or built.
      opts.signal?.throwIfAborted();
      const m = this.buildsOf(model);
      try {
        return await this.builtIn(m, key, build, opts);
      } catch (e) {
        if (!m.stop.signal.aborted || attempt > 0) throw e;
      }
    }
  }

  private async builtIn(
    m: ModelBuilds,
    key: string,
    build: (weighted: Model, shared: SharedWeightsRef | undefined) => BuiltGraph,
    opts: BuildOptions,
  ): Promise<Built> {
    const cached = m.runnables.get(key);
    if (cached !== undefined) {
      const b = await cached.catch(() => undefined);
      if (b !== undefined && (await exists(b.file))) {
        if (b.weights === undefined || (await exists(b.weights))) return b;
        m.weights = undefined; // deleted from outside: written again
      }
    }
    const created = (async () => {
      const weighted = await m.weighted;
      m.stop.signal.throwIfAborted();
      const weights = opts.sharedWeights === true ? await this.weightsOf(m, weighted.model) : undefined;
      m.stop.signal.throwIfAborted();
      const start = performance.now();
      const r = build(
        weighted.model,
        weights && { layout: weights.layout, location: posix.basename(weights.file.path) },
      );
      const built = performance.now();
      const file = this.fileFor(r.bytes);
      const mb = (r.bytes.length / 1048576).toFixed(1);
      // A forward graph's session is created from the bytes while the file is written; a backward
      // graph's (it names its map; its level, GraphLevel) in the engine's worker after the write, from
      // the file when it refers to the weights file, else from its bytes (transferred there, not used
      // here after).
      const backward = r.map === undefined ? undefined : (r.level ?? "extended");
      const warm = (bytes?: Uint8Array) => {
        if (this.config.trusted && (this.config.backend === "auto" || this.config.backend === "native"))
          void Promise.resolve(opts.warmAfter).then(() => {
            if (!m.stop.signal.aborted) this.native.warm(file, bytes, backward);
          });
      };
      if (backward === undefined) warm(r.bytes);
      await this.write(file, [r.bytes]);
      if (backward !== undefined) warm(weights === undefined ? r.bytes : undefined);
      this.log.info(
        `runnable ${key}: built in ${(built - start).toFixed(0)} ms, ${mb} MB written in ${(performance.now() - built).toFixed(0)} ms`,
      );
      return {
        file,
        randomWeights: r.randomWeights || weighted.generated,
        outputs: r.outputs,
        notes: r.notes,
        ...(r.map !== undefined ? { map: r.map } : {}),
        ...(r.seedInput !== undefined ? { seedInput: r.seedInput } : {}),
        ...(r.layer !== undefined ? { layer: r.layer } : {}),
        ...(weights !== undefined ? { weights: weights.file } : {}),
      };
    })();
    m.runnables.set(key, created);
    created.catch(() => {
      if (m.runnables.get(key) === created) m.runnables.delete(key);
    });
    return created;
  }

  /** What is built for `model`, kept until released (its weights start generating, in steps, now). */
  private buildsOf(model: Model): ModelBuilds {
    const known = this.builds.get(model);
    if (known !== undefined) return known;
    const stop = new AbortController();
    const start = performance.now();
    const weighted = this.withWeights(model, stop.signal);
    weighted.then(
      (w) => {
        const how = w.stored ? "read back" : "generated";
        if (w.generated) this.log.info(`weights ${how} in ${(performance.now() - start).toFixed(0)} ms`);
      },
      () => undefined,
    );
    const m: ModelBuilds = { weighted, runnables: new Map(), stop, holders: new Set() };
    this.builds.set(model, m);
    return m;
  }

  /**
   * `model` with its missing weights generated, in steps that leave the extension host responsive; or
   * read back from the file the same generation (generationKey) kept: ResNet-18's 45 MB were read back
   * in 0.2–0.5 s where drawing them took 1.1–2.1 s (Node, loaded 2-core VM): a first Run after a reload.
   */
  private async withWeights(
    model: Model,
    stop: AbortSignal,
  ): Promise<Weighted & { readonly stored: boolean }> {
    const pause = async () => {
      await otherWorkFirst();
      stop.throwIfAborted();
    };
    const key = this.storageUri.scheme === "file" ? generationKey(model, SEED) : null;
    if (key === null) return { ...(await withGeneratedWeightsInSteps(model, SEED, pause)), stored: false };
    const name = `${createHash("sha1").update(key).digest("hex").slice(0, 12)}.generated`;
    const file = vscode.Uri.joinPath(this.storageUri, "run", name);
    const stored = await readFile(file.fsPath).catch(() => undefined);
    // Bytes that do not fit (a file cut short) are drawn again.
    const read =
      stored && (await withGeneratedWeightsInSteps(model, SEED, pause, stored).catch(() => undefined));
    if (read) return { ...read, stored: true };
    const w = await withGeneratedWeightsInSteps(model, SEED, pause);
    if (w.drawn.reduce((n, d) => n + d.length, 0) <= KEEP_GENERATED_MAX_BYTES)
      void this.write(file, w.drawn).catch(() => undefined);
    return { ...w, stored: false };
  }

  /**
   * The model's weights file (sharedWeights.ts), written once (content-addressed: models with the
   * same weights share it); undefined where the storage is not on the extension host's disk
   * (onnxruntime finds the weights from the graph file's path).
   */
  private weightsOf(
    m: ModelBuilds,
    weighted: Model,
  ): Promise<{ readonly file: vscode.Uri; readonly layout: WeightsLayout }> | undefined {
    if (this.storageUri.scheme !== "file") return undefined;
    m.weights ??= (async () => {
      const start = performance.now();
      const layout = weightsLayout(weighted);
      const hash = createHash("sha1");
      for (const part of layout.parts) hash.update(part);
      const file = vscode.Uri.joinPath(this.storageUri, "run", `${hash.digest("hex").slice(0, 12)}.weights`);
      const users = this.weightsInUse.get(file.toString()) ?? new Set<ModelBuilds>();
      this.weightsInUse.set(file.toString(), users.add(m));
      // Part by part (no 45 MB copy), to a temporary name: a graph never sees half a file.
      if (!(await exists(file))) await this.write(file, layout.parts);
      const mb = (layout.length / 1048576).toFixed(1);
      this.log.info(`weights file: ${mb} MB ready in ${(performance.now() - start).toFixed(0)} ms`);
      return { file, layout };
    })();
    const weights = m.weights;
    weights.catch(() => {
      if (m.weights === weights) m.weights = undefined;
    });
    return weights;
  }

  /**
   * Where `bytes` are written for the webview (content-addressed): known before they are, so that
   * the host engine can load the bytes in memory meanwhile.
   */
  private fileFor(bytes: Uint8Array): vscode.Uri {
    const digest = createHash("sha1").update(bytes).digest("hex").slice(0, 12);
    return vscode.Uri.joinPath(this.storageUri, "run", `${digest}.onnx`);
  }

  /**
   * Writes `parts` (model bytes, a weights file) where the webview may fetch them, to a temporary name
   * renamed when complete: a reader never sees half a file. On the extension host's own disk in 512 KB
   * writes: one write of 45 MB (writev, or write) took 0.2–0.9 s on the 2-core VM, 512 KB ones 10–70 ms
   * in all. Older files are pruned in the background.
   */
  private async write(file: vscode.Uri, parts: readonly Uint8Array[]): Promise<void> {
    const dir = vscode.Uri.joinPath(file, "..");
    if (file.scheme === "file") {
      await mkdir(dir.fsPath, { recursive: true });
      const partial = `${file.fsPath}.${process.pid}.${++this.partials}.part`;
      await writeFile(partial, inChunks(parts));
      await rename(partial, file.fsPath);
    } else {
      await vscode.workspace.fs.createDirectory(dir);
      await vscode.workspace.fs.writeFile(
        file,
        parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts),
      );
    }
    void this.prune(dir, file).catch(() => undefined);
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
      .filter((f) => f.uri.toString() !== keep.toString() && !this.weightsInUse.has(f.uri.toString()))
      .sort((a, b) => b.mtime - a.mtime)
      .slice(16);
    await Promise.all(old.map((f) => vscode.workspace.fs.delete(f.uri).then(undefined, () => undefined)));
  }
}

/** `parts` as views of at most 512 KB (RunnableCache.write). */
function* inChunks(parts: readonly Uint8Array[]): Generator<Uint8Array> {
  const size = 512 * 1024;
  for (const p of parts) for (let at = 0; at < p.length; at += size) yield p.subarray(at, at + size);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  return vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );
}
