/** The read-only custom editor that opens `.onnx` files in the ConvLens inspector. */
import * as vscode from "vscode";
import { InspectorPanel, type InspectorDeps } from "./inspectorPanel";

export const INSPECTOR_VIEW_TYPE = "convlens.inspector";

class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

export class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  constructor(private readonly deps: InspectorDeps) {}

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const inspector = InspectorPanel.forFile(panel, document.uri, this.deps);
    // Re-analyse when the file changes on disk (e.g. re-exported from PyTorch).
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, ".."), document.uri.path.split("/").pop() ?? "*"));
    watcher.onDidChange(() => void inspector.load());
    panel.onDidDispose(() => {
      inspector.dispose();
      watcher.dispose();
    });
  }

  static register(deps: InspectorDeps): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(INSPECTOR_VIEW_TYPE, new InspectorEditorProvider(deps), {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    });
  }
}
