/**
 * What the inspector writes where the user says (a save dialog beside the source): a view as PNG,
 * the analysis as the JSON report. Split from InspectorPanel.
 */
import * as vscode from "vscode";
import type { ModelAnalysis } from "../core/analysis/result";

/** "Save PNG": the webview's data URL, written where the user chooses (beside `source` by default). */
export async function savePng(source: vscode.Uri, name: string, dataUrl: string): Promise<void> {
  const base64 = /^data:image\/png;base64,(.*)$/.exec(dataUrl)?.[1];
  if (!base64) return;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(source, "..", name.endsWith(".png") ? name : `${name}.png`),
    filters: { PNG: ["png"] },
  });
  if (target) await vscode.workspace.fs.writeFile(target, Buffer.from(base64, "base64"));
}

/** "Export JSON": the analysis's JSON report, by default `<source>.<model>.convlens.json`. */
export async function exportJson(source: vscode.Uri, analysis: ModelAnalysis): Promise<void> {
  const base = source.path.replace(/\.[^./]+$/, "");
  const target = await vscode.window.showSaveDialog({
    defaultUri: source.with({
      path: `${base}${base.endsWith(analysis.model) ? "" : `.${analysis.model}`}.convlens.json`,
    }),
    filters: { JSON: ["json"] },
  });
  if (!target) return;
  const { jsonReport } = await import("../core/analysis/report");
  await vscode.workspace.fs.writeFile(
    target,
    new TextEncoder().encode(JSON.stringify(jsonReport(analysis), null, 2)),
  );
}
