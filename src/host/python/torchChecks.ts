/**
 * "Check with PyTorch": on the user's request only, in a trusted workspace only, run one model
 * of a Python file in the user's own interpreter (media/python/convlens_bridge.py) and set
 * PyTorch's answer beside the static reading: disagreements as warnings on the layers' lines,
 * PyTorch's own errors at the user's line, and the traced shapes where the static reading has
 * none (until the file changes).
 */
import { dirname } from "node:path";
import * as vscode from "vscode";
import { compareTrace, type TorchTrace, type TraceComparison } from "../../core/analysis/torchTrace";
import { isForeignSpan, type TracedClass } from "../../core/formats/python/pythonModel";
import { bridgeRequest, type BridgeRequest } from "../../core/formats/python/torchCheck";
import { runBridge, type BridgeError } from "../../runtime/torchBridge";
import type { Config } from "../config";
import type { PythonAnalyses } from "./pythonAnalyses";

export interface TorchCheck {
  readonly model: string;
  readonly trace?: TorchTrace;
  readonly comparison?: TraceComparison;
  readonly error?: BridgeError;
}

interface DocumentChecks {
  /** The document version the checks were made on: an edit makes them stale. */
  readonly version: number;
  readonly byModel: Map<string, TorchCheck>;
}

/** The lens over a checked model: what PyTorch said, in a few words. */
export function checkSummary(c: TorchCheck): string {
  if (c.error) return `PyTorch: ${c.error.kind === "forward-error" ? "forward fails" : c.error.kind}`;
  const cmp = c.comparison;
  if (!cmp || !c.trace) return "PyTorch: ?";
  const issues = cmp.disagreements.length + cmp.totals.length;
  if (issues > 0) return `PyTorch: ${issues} disagreement${issues > 1 ? "s" : ""}`;
  const parts = [
    ...(cmp.agreements > 0 ? [`agrees on ${cmp.agreements} layers`] : []),
    ...(cmp.filled.length > 0
      ? [`${cmp.filled.length} layers traced where the static reading has none`]
      : []),
  ];
  return `PyTorch (${c.trace.device}): ${parts.join(", ") || "no layers to compare"}`;
}

export class TorchChecks implements vscode.Disposable {
  private readonly checks = new Map<string, DocumentChecks>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("convlens-pytorch");
  private readonly running = new Set<AbortController>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];

  constructor(
    private readonly config: Config,
    private readonly analyses: PythonAnalyses,
    private readonly script: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const forget = (uri: vscode.Uri) => {
      if (!this.checks.delete(uri.toString())) return;
      this.diagnostics.delete(uri);
      this.changed.fire(uri);
    };
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) forget(e.document.uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => forget(d.uri)),
    );
  }

  /** The checks made on this version of the document. */
  get(doc: vscode.TextDocument): ReadonlyMap<string, TorchCheck> | undefined {
    const hit = this.checks.get(doc.uri.toString());
    return hit?.version === doc.version ? hit.byModel : undefined;
  }

  /**
   * Run the model `name` of `doc` in PyTorch (asks which model when there are several). With
   * `askExport`, the model is also exported to ONNX where it says (undefined: the user cancelled).
   */
  async check(
    doc: vscode.TextDocument,
    name: string | undefined,
    askExport?: (c: TracedClass) => Promise<BridgeRequest["export"] | undefined>,
  ): Promise<TorchCheck | undefined> {
    if (!vscode.workspace.isTrusted)
      return void vscode.window.showWarningMessage(
        "ConvLens: Check with PyTorch runs your code, so it needs a trusted workspace.",
      );
    if (doc.uri.scheme !== "file")
      return void vscode.window.showInformationMessage(
        "ConvLens: Check with PyTorch runs saved Python files (not notebooks or unsaved editors).",
      );
    // PyTorch imports the file from disk.
    if (doc.isDirty && !(await doc.save())) return;
    const analysis = await this.analyses.current(doc);
    const models = analysis?.classes.filter((c) => !isForeignSpan(c.nameSpan)) ?? [];
    const picked = name ?? (await pickModel(models));
    const c = models.find((m) => m.name === picked);
    if (!analysis || !c)
      return void vscode.window.showInformationMessage("ConvLens: no PyTorch model found in this file.");
    const made = bridgeRequest(doc.fileName, doc.getText(), analysis, c);
    if (typeof made === "string") return void vscode.window.showErrorMessage(`ConvLens: ${made}`);
    const exportTo = askExport && (await askExport(c));
    if (askExport && !exportTo) return;
    const request = exportTo ? { ...made, export: exportTo } : made;
    const python = await this.analyses.environment.interpreter(doc.uri);
    const cwd = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? dirname(doc.fileName);
    const version = doc.version;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `ConvLens: running ${c.name} in PyTorch (${python})…`,
        cancellable: true,
      },
      async (_progress, token) => {
        const abort = new AbortController();
        this.running.add(abort);
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await runBridge(request, {
            python,
            script: this.script,
            cwd,
            timeoutMs: this.config.pythonTimeoutSeconds * 1000,
            signal: abort.signal,
            onLog: (line) => this.log.info(`[python] ${line}`),
          });
        } finally {
          sub.dispose();
          this.running.delete(abort);
        }
      },
    );
    if (!result.ok && result.error.kind === "cancelled") return;
    // An edit while PyTorch ran: its answer is for a text that is gone.
    if (doc.version !== version) return;
    const check: TorchCheck = result.ok
      ? { model: c.name, trace: result.trace, comparison: compareTrace(c.analysis, result.trace) }
      : { model: c.name, error: result.error };
    const key = doc.uri.toString();
    const entry = this.checks.get(key);
    const byModel = entry?.version === version ? entry.byModel : new Map<string, TorchCheck>();
    byModel.set(c.name, check);
    this.checks.set(key, { version, byModel });
    this.diagnostics.set(
      doc.uri,
      [...byModel.values()].flatMap((k) => this.diagnosticsOf(doc, k)),
    );
    this.changed.fire(doc.uri);
    this.report(c, check, result.ok ? result.startMs : 0);
    return check;
  }

  private report(c: TracedClass, check: TorchCheck, startMs: number): void {
    if (check.error) {
      const where = check.error.line ? ` (line ${check.error.line})` : "";
      void vscode.window.showErrorMessage(`ConvLens: ${c.name}: ${check.error.message}${where}`);
      return;
    }
    const t = check.trace;
    if (!t) return;
    this.log.info(
      `PyTorch ${t.torch} (Python ${t.python}) traced ${c.name} on ${t.device}: start ${startMs} ms, forward ${t.forward_ms} ms, all ${t.ms} ms` +
        (t.fallback ? ` — ${t.fallback}` : ""),
    );
    const e = t.export;
    const exported = e
      ? ` · exported to ${e.path}${e.reference.top1 !== undefined ? ` (PyTorch's top-1 on its linspace input: ${e.reference.top1})` : ""}`
      : "";
    void vscode.window.showInformationMessage(`ConvLens: ${c.name}: ${checkSummary(check)}${exported}`);
  }

  private diagnosticsOf(doc: vscode.TextDocument, check: TorchCheck): vscode.Diagnostic[] {
    const cls = this.analyses.get(doc)?.classes.find((m) => m.name === check.model);
    const modelRange = cls && !isForeignSpan(cls.nameSpan) ? rangeOf(doc, cls.nameSpan) : lineRange(doc, 1);
    const out: vscode.Diagnostic[] = [];
    const add = (range: vscode.Range, message: string, severity: vscode.DiagnosticSeverity) => {
      const d = new vscode.Diagnostic(range, message, severity);
      d.source = "ConvLens (PyTorch)";
      out.push(d);
    };
    const e = check.error;
    if (e) {
      const here = e.file === doc.fileName && e.line;
      add(
        here ? lineRange(doc, e.line ?? 1) : modelRange,
        `PyTorch: ${e.message}`,
        vscode.DiagnosticSeverity.Error,
      );
      return out;
    }
    for (const d of check.comparison?.disagreements ?? []) {
      const def = d.rows.map((r) => r.source?.def).find((s) => s && !isForeignSpan(s));
      const range = def ? rangeOf(doc, def) : d.line ? lineRange(doc, d.line) : modelRange;
      add(range, d.message, vscode.DiagnosticSeverity.Warning);
    }
    for (const m of check.comparison?.totals ?? []) add(modelRange, m, vscode.DiagnosticSeverity.Warning);
    return out;
  }

  dispose(): void {
    for (const a of this.running) a.abort();
    for (const d of this.disposables) d.dispose();
  }
}

async function pickModel(models: readonly TracedClass[]): Promise<string | undefined> {
  if (models.length <= 1) return models[0]?.name;
  return vscode.window.showQuickPick(
    models.map((m) => m.name),
    { title: "ConvLens: which model should PyTorch run?" },
  );
}

export function rangeOf(doc: vscode.TextDocument, span: { from: number; to: number }): vscode.Range {
  return new vscode.Range(doc.positionAt(span.from), doc.positionAt(span.to));
}

/** A 1-based line's text, without its indentation. */
function lineRange(doc: vscode.TextDocument, line: number): vscode.Range {
  const l = doc.lineAt(Math.min(Math.max(line - 1, 0), doc.lineCount - 1));
  return new vscode.Range(l.lineNumber, l.firstNonWhitespaceCharacterIndex, l.lineNumber, l.text.length);
}
