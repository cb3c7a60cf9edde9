/**
 * Click-to-source for an ONNX file made by Export with PyTorch: the map written beside it
 * (core/analysis/exportSourceMap.ts) leads each inspector row to the line that built its module.
 */
import { basename, dirname, resolve } from "node:path";
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
  if (typeof map === "string")
    return void vscode.window.showWarningMessage(
      `ConvLens: ${basename(exportSourceMapPath(onnx.fsPath))}: ${map}; rows cannot lead to the source.`,
    );
  const line = sourceLineOf(map, layer);
  if (line === undefined) return;
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(resolve(dirname(onnx.fsPath), map.source));
  } catch {
    return void vscode.window.showWarningMessage(
      `ConvLens: ${map.source}, the source of this exported model, cannot be opened.`,
    );
  }
  // The module's line, selected from its first non-blank character.
  const target = doc.lineAt(Math.min(line, doc.lineCount) - 1);
  const selection = new vscode.Range(
    target.lineNumber,
    target.firstNonWhitespaceCharacterIndex,
    target.lineNumber,
    target.text.length,
  );
  // Where the file is already shown, else beside the inspector (which stays in view).
  const shown = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  await vscode.window.showTextDocument(doc, {
    selection,
    viewColumn: shown?.viewColumn ?? vscode.ViewColumn.Beside,
    preserveFocus: true,
  });
}
