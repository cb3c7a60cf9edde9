/**
 * Keeps the analysis of each open Python document that defines nn.Module
 * classes. Analyses run in a worker thread, debounced after edits; a result for
 * an outdated version is kept (features show it) and the newest version is
 * analysed next. Every editor feature reads from here.
 */
import { Worker } from "node:worker_threads";
import * as vscode from "vscode";
import type { PythonAnalysis } from "../../core/formats/python/pythonModel";
import type { Config } from "../config";
import { PythonEnvironment } from "./pythonEnvironment";
import type { PythonRequest, PythonResponse } from "./pythonWorker";

interface Entry {
  readonly version: number;
  readonly analysis: PythonAnalysis;
}

/** Cheap test before parsing: only files that mention torch.nn layers. */
function mayDefineModels(text: string): boolean {
  return /\bnn\.Module\b|\bnn\.Sequential\b|from\s+torch|\bkeras\b/.test(text);
}

export class PythonAnalyses implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: PythonResponse) => void>();
  /** The version being analysed per document, so that one document has one analysis in flight. */
  private readonly inFlight = new Map<string, Promise<PythonAnalysis | undefined>>();
  private readonly environment: PythonEnvironment;

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    private readonly workerScript: string,
  ) {
    this.environment = new PythonEnvironment(config, log);
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("convlens")) return;
        this.environment.reset();
        this.cache.clear();
        for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  private schedule(doc: vscode.TextDocument, delay = 300): void {
    if (doc.languageId !== "python") return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.current(doc);
      }, delay),
    );
  }

  /** The latest analysis available now (maybe of an earlier version); starts one for this version. */
  get(doc: vscode.TextDocument): PythonAnalysis | undefined {
    if (doc.languageId !== "python") return undefined;
    const hit = this.cache.get(doc.uri.toString());
    if (!hit || hit.version !== doc.version) this.schedule(doc, 0);
    return hit?.analysis;
  }

  /** The analysis of the document's current version (waits for the worker). */
  async current(doc: vscode.TextDocument): Promise<PythonAnalysis | undefined> {
    if (doc.languageId !== "python") return undefined;
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.analysis;
    const flying = this.inFlight.get(key);
    if (flying) {
      await flying;
      // A newer version may have come while that one was analysed.
      const now = this.cache.get(key);
      if (now?.version === doc.version) return now.analysis;
    }
    const version = doc.version;
    const text = doc.getText();
    if (!mayDefineModels(text)) return undefined;
    const started = Date.now();
    const job = this.analyse(doc, text).then((analysis) => {
      this.inFlight.delete(key);
      if (!analysis) return undefined;
      const prev = this.cache.get(key);
      if (!prev || prev.version <= version) {
        this.cache.set(key, { version, analysis });
        this.log.debug(`${doc.fileName}: ${analysis.classes.length} model classes in ${Date.now() - started} ms`);
        this.changed.fire(doc.uri);
      }
      return analysis;
    });
    this.inFlight.set(key, job);
    return job;
  }

  private async analyse(doc: vscode.TextDocument, text: string): Promise<PythonAnalysis | undefined> {
    const fileName = doc.fileName;
    const pythonPath = await this.environment.searchPath(doc.uri);
    const worker = (this.worker ??= this.startWorker());
    const openFiles: Record<string, string> = {};
    for (const d of vscode.workspace.textDocuments) if (d.uri.scheme === "file" && d.languageId === "python") openFiles[d.uri.fsPath] = d.getText();
    const req: PythonRequest = { id: this.nextId++, fileName, text, inputShapes: this.config.inputShapes, openFiles, pythonPath };
    return new Promise((resolve) => {
      this.pending.set(req.id, (r) => {
        if ("error" in r) {
          // A bug in the analyser must never take the editor features (or the host) down.
          this.log.error(`python analysis of ${fileName} failed: ${r.error}`);
          resolve({ classes: [], parseErrors: [] });
        } else resolve(r.analysis);
      });
      worker.postMessage(req);
    });
  }

  private startWorker(): Worker {
    const worker = new Worker(this.workerScript, { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    worker.on("message", (r: PythonResponse) => {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
    });
    // A crashed worker fails its requests; the next request starts a new one.
    const fail = (why: string) => {
      this.worker = undefined;
      for (const [id, done] of this.pending) done({ id, error: why });
      this.pending.clear();
    };
    worker.on("error", (e) => fail(e.message));
    worker.on("exit", (code) => fail(`worker exited (${code})`));
    return worker;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    void this.worker?.terminate();
  }
}
