/** The one place that reads ConvLens settings. */
import * as vscode from "vscode";
import type { Dim } from "../core/ir/types";

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration("convlens");
  }

  /** Seconds after which an analysis is stopped. */
  get analysisTimeoutSeconds(): number {
    const v = this.section.get<number>("analysisTimeoutSeconds", 30);
    return Number.isFinite(v) && v > 0 ? v : 30;
  }

  /** The input shape set for a model file (matched by file name or workspace-relative path), if any. */
  inputShapeFor(uri: vscode.Uri): Dim[] | undefined {
    const shapes = this.section.get<Record<string, string>>("inputShapes", {});
    const rel = vscode.workspace.asRelativePath(uri, false);
    const base = uri.path.split("/").pop() ?? "";
    const text = shapes[rel] ?? shapes[base];
    if (!text) return undefined;
    const dims = text.split(/[x×,]/).map((p) => p.trim());
    if (dims.some((d) => d === "")) return undefined;
    return dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d));
  }
}
