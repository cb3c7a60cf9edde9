/**
 * Keeps the analysis of each open Python document that defines nn.Module
 * classes, recomputed (debounced) on edits; every editor feature reads from here.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import * as vscode from "vscode";
import { analyzePythonSource, type PythonAnalysis } from "../../core/formats/python/pythonModel";
import type { Config } from "../config";

interface Entry {
  readonly version: number;
  readonly analysis: PythonAnalysis;
}

/** Cheap test before parsing: only files that mention torch.nn layers. */
function mayDefineModels(text: string): boolean {
  return /\bnn\.Module\b|\bnn\.Sequential\b|from\s+torch/.test(text);
}

export class PythonAnalyses implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("convlens")) return;
        this.cache.clear();
        for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
      }),
    );
  }

  private schedule(doc: vscode.TextDocument, delay = 300): void {
    if (doc.languageId !== "python") return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.get(doc);
        this.changed.fire(doc.uri);
      }, delay),
    );
  }

  /** The analysis of this version of the document (computed now if stale); undefined for non-model files. */
  get(doc: vscode.TextDocument): PythonAnalysis | undefined {
    if (doc.languageId !== "python") return undefined;
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.analysis;
    const text = doc.getText();
    if (!mayDefineModels(text)) return undefined;
    const started = Date.now();
    let analysis: PythonAnalysis;
    try {
      analysis = analyzePythonSource(text, { fileName: doc.fileName, inputShapes: this.config.inputShapes, readModule: (m, l) => this.readModule(doc, m, l) });
    } catch (e) {
      // A bug in the analyser must never take the editor features (or the host) down.
      this.log.error(`python analysis of ${doc.fileName} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      analysis = { classes: [], parseErrors: [] };
    }
    this.log.debug(`${doc.fileName}: ${analysis.classes.length} model classes in ${Date.now() - started} ms`);
    this.cache.set(key, { version: doc.version, analysis });
    return analysis;
  }

  /**
   * The text of an imported sibling module: `from .blocks import X` (level 1) looks beside the file,
   * `import models.blocks` (level 0) beside the file and at each workspace root. Open editors win over disk.
   */
  private readModule(doc: vscode.TextDocument, module: string, level: number): string | undefined {
    if (doc.uri.scheme !== "file") return undefined;
    const parts = module.replace(/^\.+/, "").split(".").filter(Boolean);
    let base = dirname(doc.uri.fsPath);
    for (let i = 1; i < level; i++) base = dirname(base);
    const roots = level > 0 ? [base] : [base, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
    for (const root of roots) {
      for (const file of [join(root, ...parts) + ".py", join(root, ...parts, "__init__.py")]) {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
        if (open) return open.getText();
        if (existsSync(file) && statSync(file).size < 1_000_000) return readFileSync(file, "utf8");
      }
    }
    return undefined;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
