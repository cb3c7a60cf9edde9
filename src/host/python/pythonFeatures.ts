/**
 * Editor features for PyTorch source: CodeLens over model classes, inlay shape
 * hints, hovers, and shape diagnostics with quick fixes. All read the cached
 * analysis; none computes anything itself.
 */
import * as vscode from "vscode";
import { notCalledParams, paramsNotes, paramsTotalText } from "../../core/analysis/paramNotes";
import { humanCount, shapeText } from "../../core/analysis/report";
import type { TracedClass } from "../../core/formats/python/pythonModel";
import { isForeignSpan } from "../../core/formats/python/pythonModel";
import { openDocument } from "./notebookCells";
import { layersByDefinition, localLines, outputOf, rowsInSpan } from "./layerIndex";
import { arrowShape, layerMarkdown } from "../layerText";
import type { PythonAnalyses } from "./pythonAnalyses";
import { checkSummary, rangeOf as range, type TorchChecks } from "./torchChecks";

// A language-only filter matches every scheme, notebook cells (vscode-notebook-cell) included.
const SELECTOR: vscode.DocumentSelector = [{ language: "python" }];

const INPUT_SOURCE: Readonly<Record<string, string>> = { assumed: " (assumed)", code: " (from the code)" };

export function classSummary(c: TracedClass): string {
  if (!c.analysis) return `ConvLens: ? (${c.error ?? "unknown"})`;
  const t = c.analysis.totals;
  const rf = c.analysis.finalRf;
  const rfText = rf?.kind === "spatial" ? ` · RF ${rf.axes.map((a) => a.size).join("×")}` : "";
  const source = c.input?.args?.[0]?.origin ? " (from the data loader)" : INPUT_SOURCE[c.input?.source ?? ""];
  const input = c.input ? ` · input ${inputText(c)}${source ?? ""}` : "";
  const built = c.kind === "class" && c.instance ? ` · as built by ${c.instance}` : "";
  const unused = notCalledParams(c.analysis);
  const notCalled = unused > 0 ? ` (${humanCount(unused)} not called in forward)` : "";
  return `ConvLens: ${paramsTotalText(t, humanCount)} params${notCalled} · ${humanCount(t.macs)}MACs${rfText}${input}${built}`;
}

/** The lens's tooltip: the MAC convention, and what the params total holds beyond the traced layers. */
export function classTooltip(c: TracedClass): string {
  return [
    "MACs: multiply-accumulates (FLOPs = 2 × MACs)",
    ...(c.analysis ? paramsNotes(c.analysis, humanCount) : []),
  ].join("\n");
}

/** "4×3×32×32", or "x=1×3×224×224, mask=1×1×224×224" for several tensors. */
function inputText(c: TracedClass): string {
  const args = c.input?.args;
  if (!args || args.length < 2) return shapeText(c.input?.shape ?? []);
  return args
    .map((a, i) => `${a.name ? `${a.name}=` : i > 0 ? `#${i + 1} ` : ""}${shapeText(a.shape)}`)
    .join(", ");
}

/** Hover text for a model: totals, where its input came from, input → output. */
function modelMarkdown(doc: vscode.TextDocument, c: TracedClass): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(
    `**${c.kind === "instance" ? `${c.name}: ${c.className ?? "model"}` : c.name}** — ${classSummary(c).replace(/^ConvLens: /, "")}\n\n`,
  );
  const from = c.input?.from;
  if (from && !isForeignSpan(from)) {
    const line = doc.positionAt(from.from).line + 1;
    md.appendMarkdown(`Input from the code, line ${line}: `);
    md.appendCodeblock(doc.getText(range(doc, from)).slice(0, 200), "python");
    // A DataLoader's batch: what the loader holds (dataset, transforms' size, batch size).
    const origin = c.input?.args?.[0]?.origin;
    if (origin) md.appendMarkdown(`\n\nFrom the data loader: ${origin}\n\n`);
  } else if (c.input)
    md.appendMarkdown(`Input: ${inputText(c)} — ${INPUT_SOURCE_LONG[c.input.source] ?? c.input.source}\n\n`);
  const outs = c.analysis?.outputs.map((o) => (o.shape ? shapeText(o.shape) : "?")).join(", ");
  if (outs) md.appendMarkdown(`\n\n\`${inputText(c)} → ${outs}\``);
  // What the file does not decide (a Keras backend() answer), so the assumption is visible.
  for (const a of c.assumptions ?? []) md.appendMarkdown("\n\n").appendText(a);
  return md;
}

const INPUT_SOURCE_LONG: Readonly<Record<string, string>> = {
  code: "from the code's call of the model",
  comment: "from the `# convlens: input` comment",
  setting: "from the convlens.inputShapes setting",
  assumed:
    "assumed: channels from the first layer, size from what the code states (add `# convlens: input …` or call the model in the file)",
};

/** Re-fire per-document events (a new analysis, a PyTorch check) as the void event providers expose. */
function voidEvent(...events: vscode.Event<vscode.Uri>[]): vscode.Event<void> {
  return (listener, thisArgs, disposables) =>
    vscode.Disposable.from(...events.map((e) => e(() => listener.call(thisArgs), undefined, disposables)));
}

class Lenses implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;
  constructor(
    private readonly analyses: PythonAnalyses,
    private readonly checks: TorchChecks,
  ) {
    this.onDidChangeCodeLenses = voidEvent(analyses.onDidChange, checks.onDidChange);
  }
  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const a = await this.analyses.current(doc);
    if (!a) return [];
    const checked = this.checks.get(doc);
    return a.classes.flatMap((c) => {
      // A notebook shows a model's lens in the cell that defines it.
      if (isForeignSpan(c.nameSpan)) return [];
      const at = range(doc, c.nameSpan);
      const args = [doc.uri, c.name];
      if (c.error?.includes("needs constructor arguments"))
        return [new vscode.CodeLens(at, { title: `ConvLens: ${c.error}`, command: "" })];
      const check = checked?.get(c.name);
      // Files only: PyTorch imports the file from disk (a notebook cell is not a module).
      const pytorch =
        doc.uri.scheme === "file"
          ? [
              new vscode.CodeLens(at, {
                title: check ? checkSummary(check) : "Check with PyTorch",
                command: "convlens.checkWithPyTorch",
                arguments: args,
                tooltip: "Run this model once in your Python interpreter and compare with the static reading",
              }),
            ]
          : [];
      return [
        new vscode.CodeLens(at, {
          title: classSummary(c),
          command: "convlens.inspectClass",
          arguments: args,
          tooltip: classTooltip(c),
        }),
        // Without a static reading, PyTorch's trace can still be inspected.
        ...(c.analysis || check?.trace
          ? [new vscode.CodeLens(at, { title: "Inspect", command: "convlens.inspectClass", arguments: args })]
          : []),
        // An input the code states is the one used; the comment would not win over it.
        ...(c.input?.source === "code" && !c.input.args?.[0]?.origin
          ? []
          : [
              new vscode.CodeLens(at, {
                title: "Set input shape",
                command: "convlens.setInputShape",
                arguments: args,
              }),
            ]),
        ...pytorch,
      ];
    });
  }
}

class Hints implements vscode.InlayHintsProvider {
  readonly onDidChangeInlayHints: vscode.Event<void>;
  constructor(
    private readonly analyses: PythonAnalyses,
    private readonly checks: TorchChecks,
  ) {
    this.onDidChangeInlayHints = voidEvent(analyses.onDidChange, checks.onDidChange);
  }
  async provideInlayHints(doc: vscode.TextDocument, visible: vscode.Range): Promise<vscode.InlayHint[]> {
    const a = await this.analyses.current(doc);
    if (!a) return [];
    const hints = new Map<number, vscode.InlayHint>();
    const add = (offset: number, label: string, tooltip?: string) => {
      if (hints.has(offset)) return;
      const pos = doc.positionAt(offset);
      if (!visible.contains(pos)) return;
      const h = new vscode.InlayHint(pos, ` ${label}`, vscode.InlayHintKind.Type);
      if (tooltip) h.tooltip = new vscode.MarkdownString(tooltip);
      h.paddingLeft = true;
      hints.set(offset, h);
    };
    const checked = this.checks.get(doc);
    for (const c of a.classes) {
      // Where the static reading has no shape and PyTorch ran the model: PyTorch's, marked as traced.
      const check = checked?.get(c.name);
      const filled = new Map(
        (check?.comparison?.filled ?? []).filter((f) => f.call === 0).map((f) => [f.path, f]),
      );
      const traced = (shape: readonly number[]) => `→ ${shapeText(shape)} (traced)`;
      const tracedTip = "Traced by PyTorch (Check with PyTorch); shown until the file changes.";
      for (const [key, layers] of layersByDefinition(c)) {
        const first = layers[0];
        if (!first) continue;
        const more = layers.length > 1 ? ` (+${layers.length - 1} more)` : "";
        const fill = filled.get(outputOf(first)?.name ?? "");
        const label = fill ? traced(fill.shape) : arrowShape(outputOf(first));
        add(Number(key.split(":")[1]), `${label}${more}`, layerMarkdown(first.rows));
      }
      for (const f of filled.values())
        if (f.rows.length === 0 && f.line !== null && f.line <= doc.lineCount)
          add(
            doc.offsetAt(doc.lineAt(f.line - 1).range.end),
            traced(f.shape),
            `${f.type} \`${f.path}\`. ${tracedTip}`,
          );
      for (const line of localLines(c)) {
        if (!/×|\?/.test(line.text)) continue;
        add(line.span.to, `→ ${line.text}`);
      }
      // The script's own calls of its model: `logits = model(x)  → 1×1000`.
      const staticOuts = c.analysis?.outputs.map((o) => (o.shape ? shapeText(o.shape) : "?")).join(", ");
      const tracedOuts = check?.trace?.outputs.map((o) => shapeText(o.shape)).join(", ");
      const outs =
        staticOuts && !staticOuts.includes("?")
          ? staticOuts
          : tracedOuts
            ? `${tracedOuts} (traced)`
            : staticOuts;
      if (c.kind === "instance" && outs)
        for (const call of c.calls ?? []) if (!isForeignSpan(call)) add(call.to, `→ ${outs}`);
    }
    return [...hints.values()];
  }
}

class Hovers implements vscode.HoverProvider {
  constructor(private readonly analyses: PythonAnalyses) {}
  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const a = await this.analyses.current(doc);
    if (!a) return undefined;
    for (const c of a.classes) {
      // The model's name first: `model = nn.Conv2d(3, 8, 3)` defines a layer on the same line.
      if (!isForeignSpan(c.nameSpan) && range(doc, c.nameSpan).contains(pos))
        return new vscode.Hover(modelMarkdown(doc, c), range(doc, c.nameSpan));
      for (const [key, layers] of layersByDefinition(c)) {
        const [from, to] = key.split(":").map(Number) as [number, number];
        // The whole statement line counts: hovering `self.conv1` or `nn.Conv2d` both work.
        const line = doc.lineAt(doc.positionAt(from).line).range;
        if (!(range(doc, { from, to }).contains(pos) || line.contains(pos))) continue;
        const first = layers[0];
        if (first)
          return new vscode.Hover(
            new vscode.MarkdownString(layerMarkdown(first.rows)),
            range(doc, { from, to }),
          );
      }
      for (const l of localLines(c)) {
        if (!range(doc, l.span).contains(pos)) continue;
        const rows = rowsInSpan(c, l.span.from, l.span.to);
        const groups = new Map<string, typeof rows>();
        for (const r of rows)
          groups.set(r.name + (r.source?.call?.from ?? 0), [
            ...(groups.get(r.name + (r.source?.call?.from ?? 0)) ?? []),
            r,
          ]);
        const parts = [`\`→ ${l.text}\``, ...[...groups.values()].map(layerMarkdown)];
        return new vscode.Hover(new vscode.MarkdownString(parts.join("\n\n---\n\n")), range(doc, l.span));
      }
      // `model(x)` where the script calls the model.
      const call = c.calls?.find((s) => !isForeignSpan(s) && range(doc, s).contains(pos));
      if (call) return new vscode.Hover(modelMarkdown(doc, c), range(doc, call));
    }
    return undefined;
  }
}

/** Shape errors as diagnostics; their one-constant fixes as quick fixes. */
class Diagnostics implements vscode.CodeActionProvider {
  private readonly collection = vscode.languages.createDiagnosticCollection("convlens");
  private readonly fixes = new WeakMap<
    vscode.Diagnostic,
    { range: vscode.Range; text: string; title: string }[]
  >();

  constructor(private readonly analyses: PythonAnalyses) {}

  update(doc: vscode.TextDocument): void {
    const a = this.analyses.get(doc);
    if (!a) {
      this.collection.delete(doc.uri);
      return;
    }
    const out: vscode.Diagnostic[] = [];
    const seen = new Set<string>();
    for (const c of a.classes) {
      for (const d of c.diagnostics) {
        // An error inside an imported file is reported on the class that reaches it.
        const foreign = isForeignSpan(d.span);
        // Nowhere to show it here: the model is defined in another notebook cell, which shows it.
        if (foreign && isForeignSpan(c.nameSpan)) continue;
        const span = foreign ? c.nameSpan : d.span;
        const message = foreign ? `${c.name}: in an imported module: ${d.message}` : d.message;
        const key = `${span.from}:${message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const diag = new vscode.Diagnostic(
          range(doc, span),
          message,
          d.severity === "error" ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        diag.source = "ConvLens";
        diag.code = "shape";
        this.fixes.set(
          diag,
          (foreign ? [] : (d.fixes ?? [])).map((f) => ({
            range: range(doc, f.span),
            text: f.replacement,
            title: f.title,
          })),
        );
        out.push(diag);
      }
      if (c.error && !c.error.includes("needs constructor arguments") && !isForeignSpan(c.nameSpan)) {
        const diag = new vscode.Diagnostic(
          range(doc, c.nameSpan),
          `ConvLens cannot analyse ${c.name}: ${c.error}`,
          vscode.DiagnosticSeverity.Information,
        );
        diag.source = "ConvLens";
        out.push(diag);
      }
    }
    this.collection.set(doc.uri, out);
  }

  provideCodeActions(
    doc: vscode.TextDocument,
    range: vscode.Range,
    ctx: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    // The fix is offered on the squiggled call and also on the constant it changes (e.g. the 9216 in
    // Linear(9216, 10)).
    const atConstant = (this.collection.get(doc.uri) ?? []).filter((d) =>
      (this.fixes.get(d) ?? []).some((f) => f.range.contains(range)),
    );
    const diagnostics = [...new Set([...ctx.diagnostics, ...atConstant])];
    return diagnostics.flatMap((d) =>
      (this.fixes.get(d) ?? []).map((f) => {
        const action = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, f.range, f.text);
        action.diagnostics = [d];
        action.isPreferred = true;
        return action;
      }),
    );
  }

  clear(uri: vscode.Uri): void {
    this.collection.delete(uri);
  }

  dispose(): void {
    this.collection.dispose();
  }
}

export function registerPythonFeatures(analyses: PythonAnalyses, checks: TorchChecks): vscode.Disposable[] {
  const diagnostics = new Diagnostics(analyses);
  const refresh = (uri: vscode.Uri) => {
    const doc = openDocument(uri);
    if (doc) diagnostics.update(doc);
  };
  for (const d of vscode.workspace.textDocuments) if (d.languageId === "python") diagnostics.update(d);
  return [
    diagnostics,
    analyses.onDidChange(refresh),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.clear(d.uri)),
    vscode.languages.registerCodeLensProvider(SELECTOR, new Lenses(analyses, checks)),
    vscode.languages.registerInlayHintsProvider(SELECTOR, new Hints(analyses, checks)),
    vscode.languages.registerHoverProvider(SELECTOR, new Hovers(analyses)),
    vscode.languages.registerCodeActionsProvider(SELECTOR, diagnostics, {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
  ];
}
