/** Commands behind the Python CodeLenses: inspect a model class, and set its input shape. */
import * as vscode from "vscode";
import { torchColumn, tracedAnalysis } from "../../core/analysis/torchColumn";
import { NO_KERAS_MODEL, isKerasSource } from "../../core/formats/python/keras";
import { isForeignSpan } from "../../core/formats/python/pythonModel";
import type { AnalysisOutcome } from "../analysisService";
import { withWeightsFile } from "../runtime/modelForRun";
import { parseShapeText } from "../../core/ir/shapeText";
import { InspectorPanel, type InspectorDeps } from "../inspectorPanel";
import { fileUriOf } from "./notebookCells";
import type { PythonAnalyses } from "./pythonAnalyses";
import type { TorchChecks } from "./torchChecks";

async function documentFor(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
  return vscode.window.activeTextEditor?.document;
}

async function pickClass(
  doc: vscode.TextDocument,
  analyses: PythonAnalyses,
  given: unknown,
): Promise<string | undefined> {
  if (typeof given === "string") return given;
  const names = (await analyses.current(doc))?.classes.map((c) => c.name) ?? [];
  if (names.length <= 1) return names[0];
  return vscode.window.showQuickPick(names, { title: "ConvLens: which model class?" });
}

/** Open the inspector for one class; clicking a row reveals the layer's source. */
export async function inspectClass(
  deps: InspectorDeps,
  analyses: PythonAnalyses,
  checks: TorchChecks,
  uriArg: unknown,
  classArg: unknown,
): Promise<void> {
  const doc = await documentFor(uriArg);
  if (!doc)
    return void vscode.window.showInformationMessage(
      "ConvLens: open a Python file that defines an nn.Module first.",
    );
  const className = await pickClass(doc, analyses, classArg);
  if (!className)
    return void vscode.window.showInformationMessage(
      isKerasSource(doc.getText())
        ? `ConvLens: ${NO_KERAS_MODEL}.`
        : "ConvLens: no nn.Module class found in this file.",
    );
  const panel = vscode.window.createWebviewPanel(
    "convlens.classInspector",
    `ConvLens: ${className}`,
    vscode.ViewColumn.Beside,
    { enableScripts: true, retainContextWhenHidden: true },
  );
  const analyze = async (): Promise<AnalysisOutcome> => {
    const current = await vscode.workspace.openTextDocument(doc.uri);
    const cls = (await analyses.current(current))?.classes.find((c) => c.name === className);
    if (!cls) return { ok: false, message: `Class ${className} is no longer in ${doc.fileName}.` };
    // Check with PyTorch on this text: its column beside the static reading, or its rows where there is none.
    const checked = checks.get(current)?.get(className);
    const trace = checked?.trace;
    if (cls.analysis)
      return {
        ok: true,
        analysis: cls.analysis,
        ...(trace && checked.comparison ? { pytorch: torchColumn(trace, checked.comparison) } : {}),
      };
    const error = cls.error ?? "unknown error";
    if (!trace) return { ok: false, message: error };
    const traced = tracedAnalysis(className, trace, error);
    return { ok: true, analysis: traced.analysis, pytorch: traced.column };
  };
  const inspector = new InspectorPanel(
    panel,
    {
      title: className,
      uri: doc.uri,
      analyze,
      runModel: async () => {
        const cls = (await analyses.current(await vscode.workspace.openTextDocument(doc.uri)))?.classes.find(
          (c) => c.name === className,
        );
        if (!cls?.model) throw new Error(cls?.error ?? `${className} could not be traced`);
        // A notebook cell's weights are looked for beside the notebook.
        const file = fileUriOf(doc);
        const stem =
          file.path
            .split("/")
            .pop()
            ?.replace(/\.(py|ipynb)$/, "") ?? "model";
        return withWeightsFile(cls.model, vscode.Uri.joinPath(file, ".."), [className, stem]);
      },
      onLayerSelected: (layer) => {
        const span = [layer.source?.def, layer.source?.call].find((s) => s && !isForeignSpan(s));
        if (!span) return;
        const range = new vscode.Range(doc.positionAt(span.from), doc.positionAt(span.to));
        void vscode.window.showTextDocument(doc.uri, {
          selection: range,
          viewColumn: vscode.ViewColumn.One,
          preserveFocus: true,
        });
      },
    },
    deps,
  );
  const reload = (uri: vscode.Uri) => {
    if (uri.toString() === doc.uri.toString()) void inspector.load();
  };
  const subs = [analyses.onDidChange(reload), checks.onDidChange(reload)];
  panel.onDidDispose(() => {
    for (const sub of subs) sub.dispose();
    inspector.dispose();
  });
}

/** Ask for a shape and write `# convlens: input …` above the class (replacing an existing one). */
export async function setInputShape(
  analyses: PythonAnalyses,
  uriArg: unknown,
  classArg: unknown,
): Promise<void> {
  const doc = await documentFor(uriArg);
  if (!doc) return;
  const className = await pickClass(doc, analyses, classArg);
  const cls = (await analyses.current(doc))?.classes.find((c) => c.name === className);
  if (!cls) return;
  const value = await vscode.window.showInputBox({
    title: `ConvLens: input shape of ${cls.name}`,
    value: cls.input?.shape.join("x") ?? "1x3x224x224",
    prompt:
      "Dimensions separated by x; symbols such as B keep a dimension symbolic. Add int64 for token ids.",
    validateInput: (v) =>
      parseShapeText(v.replace(/\s+(int64|int32|float32|float16)$/i, ""))
        ? undefined
        : "Use dimensions like 1x3x224x224",
  });
  if (!value) return;
  const classLine = doc.positionAt(cls.span.from).line;
  let line = doc.lineAt(doc.positionAt(cls.nameSpan.from).line);
  const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
  const edit = new vscode.WorkspaceEdit();
  // An existing comment among the lines just above the class is replaced.
  for (let l = doc.positionAt(cls.nameSpan.from).line - 1; l >= Math.max(0, classLine - 10); l--) {
    line = doc.lineAt(l);
    const t = line.text.trim();
    if (!t.startsWith("#") && !t.startsWith("@")) break;
    if (/#\s*convlens:\s*input/i.test(t)) {
      edit.replace(doc.uri, line.range, `${indent}# convlens: input ${value.trim()}`);
      await vscode.workspace.applyEdit(edit);
      return;
    }
  }
  edit.insert(
    doc.uri,
    new vscode.Position(doc.positionAt(cls.nameSpan.from).line, 0),
    `${indent}# convlens: input ${value.trim()}\n`,
  );
  await vscode.workspace.applyEdit(edit);
}
