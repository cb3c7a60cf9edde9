/** Wires the extension together; no logic lives here. */
import * as vscode from "vscode";
import { AnalysisService } from "./host/analysisService";
import { registerCommands } from "./host/commands";
import { Config } from "./host/config";
import { InspectorEditorProvider } from "./host/inspectorEditor";

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("ConvLens", { log: true });
  const deps = { extensionUri: context.extensionUri, config: new Config(), analysis: new AnalysisService(context.extensionUri), log };
  context.subscriptions.push(log, InspectorEditorProvider.register(deps), ...registerCommands(deps));
}

export function deactivate(): void {}
