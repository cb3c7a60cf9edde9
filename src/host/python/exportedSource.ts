/**
 * Click-to-source for an ONNX file made by Export with PyTorch: the map written beside it
 * (core/analysis/exportSourceMap.ts) leads each inspector row to the line that built its module.
 */
import { dirname, resolve } from "node:path";
import * as vscode from "vscode";
import { exportSourceMapPath, parseExportSourceMap, sourceLineOf } from "../../core/analysis/exportSourceMap";
import type { LayerRow } from "../../core/analysis/result";

/**
 * An inspector row of an ONNX file exported with PyTorch: show the line of the user's file that
 * built its module (from the map written beside the file). Nothing when there is no map.
 */
export async function revealExportedLayer(onnx: vscode.Uri, layer: LayerRow): Promise<void> {
  if (onnx.scheme !== "file") return;
  let text: string;
  try {
    text = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.file(exportSourceMapPath(onnx.fsPath))),
    );
  } catch {
    return; // not exported by ConvLens: rows lead nowhere
  }
  const map = parseExportSourceMap(text);
  if (typeof map === "string") return;
  const line = sourceLineOf(map, layer);
  if (line === undefined) return;
  const file = vscode.Uri.file(resolve(dirname(onnx.fsPath), map.source));
  const at = new vscode.Position(line - 1, 0);
  // Where the file is already shown, else beside the inspector (which stays in view).
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file.fsPath);
  await vscode.window.showTextDocument(file, {
    selection: new vscode.Range(at, at),
    viewColumn: shown?.viewColumn ?? vscode.ViewColumn.Beside,
    preserveFocus: true,
  });
}
