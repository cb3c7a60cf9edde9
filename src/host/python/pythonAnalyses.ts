/**
 * Keeps the analysis of each open Python document that defines nn.Module
 * classes, and of each open notebook (its code cells as one program, each cell
 * shown its part). Analyses run in a worker thread, debounced after edits; a
 * result for an outdated version is kept (features show it) and the newest
 * version is analysed next. Every editor feature reads from here.
 */
import { Worker } from "node:worker_threads";
import * as vscode from "vscode";
import type { Dim } from "../../core/ir/types";
import { fittedAssumptions } from "../../core/formats/python/assumedInput";
import type { PythonAnalysis } from "../../core/formats/python/pythonModel";
import type { Config } from "../config";
import { cellAnalysis } from "../../core/formats/python/notebookProgram";
import { NOTEBOOK_CELL_SCHEME, cellOf, programOf, pythonCells } from "./notebookCells";
import { RequestTracker } from "../../runtime/shared/requestTracker";
import { PythonEnvironment } from "./pythonEnvironment";
import type { PythonRequest, PythonResponse } from "./pythonWorker";

interface Entry {
  /** What was analysed: a file's version, or a notebook's program text. */
  readonly stamp: string;
  /** Order of the requests: an older request's result never replaces a newer one's. */
  readonly seq: number;
  readonly analysis: PythonAnalysis;
}

/**
 * What one analysis covers: a Python file, or a whole notebook (its code cells as one program,
 * keyed by the notebook) seen from one of its cells through `view`.
 */
interface Unit {
  readonly key: string;
  readonly stamp: string;
  readonly text: string;
  /** The file the source is in (imports beside it resolve). */
  readonly uri: vscode.Uri;
  readonly fileName: string;
  readonly view: (a: PythonAnalysis) => PythonAnalysis;
  /** The documents whose features change with this analysis. */
  readonly documents: () => readonly vscode.Uri[];
}

/** Cheap test before parsing: only files that use torch (or torchvision, timm, Keras). */
function mayDefineModels(text: string): boolean {
  return /\bnn\.Module\b|\bnn\.Sequential\b|\bimport\s+torch|\bfrom\s+torch|\bkeras\b|\btimm\b/.test(text);
}

function unitOf(doc: vscode.TextDocument): Unit | undefined {
  if (doc.languageId !== "python") return undefined;
  if (doc.uri.scheme !== NOTEBOOK_CELL_SCHEME) {
    const [key, stamp, uri, fileName] = [doc.uri.toString(), String(doc.version), doc.uri, doc.fileName];
    // The text is read only when an analysis starts.
    return {
      key,
      stamp,
      uri,
      fileName,
      view: (a) => a,
      documents: () => [uri],
      get text() {
        return doc.getText();
      },
    };
  }
  const cell = cellOf(doc);
  if (!cell) return undefined;
  const program = programOf(cell.notebook);
  return {
    key: cell.notebook.uri.toString(),
    stamp: program.text,
    text: program.text,
    uri: cell.notebook.uri,
    fileName: cell.notebook.uri.fsPath,
    view: (a) => cellAnalysis(a, program, cell.index),
    documents: () => pythonCells(cell.notebook).map((d) => d.uri),
  };
}

export class PythonAnalyses implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private worker: Worker | undefined;
  private nextSeq = 1;
  private readonly pending = new RequestTracker<PythonResponse>();
  /** The analysis in flight per unit, so that one file or notebook has one analysis at a time. */
  private readonly inFlight = new Map<string, Promise<PythonAnalysis | undefined>>();
  /** The user's interpreter (its library folders for imports; "Check with PyTorch" runs in it). */
  readonly environment: PythonEnvironment;
  /** Per unit, the input assumed for each class when it last analysed cleanly (kept while it is broken). */
  private readonly lastGood = new Map<string, Readonly<Record<string, readonly Dim[]>>>();

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    private readonly workerScript: string,
  ) {
    this.environment = new PythonEnvironment(config, log);
    // A notebook is re-analysed when a cell is added, removed or moved; its cells' edits come as text
    // changes.
    const firstCell = (nb: vscode.NotebookDocument) => pythonCells(nb)[0];
    const scheduleNotebook = (nb: vscode.NotebookDocument, delay?: number) => {
      const cell = firstCell(nb);
      if (cell) this.schedule(cell, delay);
    };
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cache.delete(d.uri.toString());
        this.lastGood.delete(d.uri.toString());
      }),
      vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.contentChanges.length > 0) scheduleNotebook(e.notebook);
      }),
      vscode.workspace.onDidOpenNotebookDocument((nb) => scheduleNotebook(nb, 0)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => {
        this.cache.delete(nb.uri.toString());
        this.lastGood.delete(nb.uri.toString());
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("convlens")) return;
        this.environment.reset();
        this.cache.clear();
        for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
        for (const nb of vscode.workspace.notebookDocuments) scheduleNotebook(nb, 0);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
    for (const nb of vscode.workspace.notebookDocuments) scheduleNotebook(nb, 0);
  }

  /** Debounced analysis after edits; for a notebook, any cell's edit re-analyses the whole notebook. */
  private schedule(doc: vscode.TextDocument, delay = 300): void {
    if (doc.languageId !== "python") return;
    const key =
      doc.uri.scheme === NOTEBOOK_CELL_SCHEME ? cellOf(doc)?.notebook.uri.toString() : doc.uri.toString();
    if (!key) return;
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
    const unit = unitOf(doc);
    if (!unit) return undefined;
    const hit = this.cache.get(unit.key);
    if (!hit || hit.stamp !== unit.stamp) this.schedule(doc, 0);
    // A notebook's older analysis is mapped to the cells as they are now: close enough until the new one
    // comes.
    return hit && unit.view(hit.analysis);
  }

  /**
   * The analysis of the document's current version (waits for the worker); for a cell, as that cell sees it.
   */
  async current(doc: vscode.TextDocument): Promise<PythonAnalysis | undefined> {
    const unit = unitOf(doc);
    if (!unit) return undefined;
    const analysis = await this.analysisOf(unit);
    return analysis && unit.view(analysis);
  }

  private async analysisOf(unit: Unit): Promise<PythonAnalysis | undefined> {
    const { key, stamp } = unit;
    const hit = this.cache.get(key);
    if (hit && hit.stamp === stamp) return hit.analysis;
    const flying = this.inFlight.get(key);
    if (flying) {
      await flying;
      // A newer version may have come while that one was analysed.
      const now = this.cache.get(key);
      if (now?.stamp === stamp) return now.analysis;
    }
    if (!mayDefineModels(unit.text)) return undefined;
    const seq = this.nextSeq++;
    const started = Date.now();
    const job = this.analyse(unit).then((analysis) => {
      if (this.inFlight.get(key) === job) this.inFlight.delete(key);
      if (!analysis) return undefined;
      const prev = this.cache.get(key);
      if (!prev || prev.seq <= seq) {
        this.cache.set(key, { stamp, seq, analysis });
        this.lastGood.set(key, fittedAssumptions(analysis, this.lastGood.get(key)));
        this.log.debug(
          `${unit.fileName}: ${analysis.classes.length} model classes in ${Date.now() - started} ms`,
        );
        for (const uri of unit.documents()) this.changed.fire(uri);
      }
      return analysis;
    });
    this.inFlight.set(key, job);
    return job;
  }

  private async analyse(unit: Unit): Promise<PythonAnalysis | undefined> {
    const fileName = unit.fileName;
    const text = unit.text;
    const pythonPath = await this.environment.searchPath(unit.uri);
    const worker = (this.worker ??= this.startWorker());
    const openFiles: Record<string, string> = {};
    for (const d of vscode.workspace.textDocuments)
      if (d.uri.scheme === "file" && d.languageId === "python") openFiles[d.uri.fsPath] = d.getText();
    const req: Omit<PythonRequest, "id"> = {
      fileName,
      text,
      inputShapes: this.config.inputShapes,
      lastGoodInputs: this.lastGood.get(unit.key) ?? {},
      openFiles,
      pythonPath,
      kerasBackend: this.config.kerasBackend,
    };
    // A bug in the analyser (or a crashed worker) must never take the editor features (or the host) down.
    const failed = (why: string): PythonAnalysis => {
      this.log.error(`python analysis of ${fileName} failed: ${why}`);
      return { classes: [], parseErrors: [] };
    };
    try {
      const r = await this.pending.track((id) => worker.postMessage({ ...req, id } satisfies PythonRequest));
      return "error" in r ? failed(r.error) : r.analysis;
    } catch (e) {
      return failed(e instanceof Error ? e.message : String(e));
    }
  }

  private startWorker(): Worker {
    const worker = new Worker(this.workerScript, { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    worker.on("message", (r: PythonResponse) => this.pending.resolve(r.id, r));
    // A crashed worker fails its requests; the next request starts a new one.
    const fail = (why: string) => {
      this.worker = undefined;
      this.pending.failAll(why);
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
