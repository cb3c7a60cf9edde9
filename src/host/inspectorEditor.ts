/** The read-only custom editor that opens `.onnx` and `.keras` files in the ConvLens inspector. */
import * as vscode from "vscode";
import { InspectorPanel, type InspectorDeps } from "./inspectorPanel";

export const INSPECTOR_VIEW_TYPE = "convlens.inspector";
/**
 * The same inspector for text model definitions (.prototxt, Darknet .cfg), legacy Keras .h5 and Keras .json
 * (from "Inspect Model"), offered via "Open With…".
 */
export const TEXT_INSPECTOR_VIEW_TYPE = "convlens.inspectorText";

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
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(
        vscode.Uri.joinPath(document.uri, ".."),
        document.uri.path.split("/").pop() ?? "*",
      ),
    );
    watcher.onDidChange(() => void inspector.load());
    panel.onDidDispose(() => {
      inspector.dispose();
      watcher.dispose();
    });
  }

  static register(deps: InspectorDeps): vscode.Disposable {
    const provider = new InspectorEditorProvider(deps);
    const options = {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    };
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(INSPECTOR_VIEW_TYPE, provider, options),
      vscode.window.registerCustomEditorProvider(TEXT_INSPECTOR_VIEW_TYPE, provider, options),
    );
  }
}
