/** Wires the extension together; no logic lives here. */
import * as vscode from "vscode";
import { AnalysisService } from "./host/analysisService";
import { registerCommands } from "./host/commands";
import { Config } from "./host/config";
import { InspectorEditorProvider } from "./host/inspectorEditor";
import { KerasJsonFiles } from "./host/kerasJsonFiles";
import { PythonAnalyses } from "./host/python/pythonAnalyses";
import { registerPythonFeatures } from "./host/python/pythonFeatures";
import { TorchChecks } from "./host/python/torchChecks";
import { HostEngine } from "./host/runtime/hostEngine";
import { RuntimeService } from "./host/runtime/runtimeService";
import { registerModelTextFeatures } from "./host/text/modelTextFeatures";
import { stampStartup } from "./host/hostTimes";

stampStartup("extension: bundle evaluated");

export function activate(context: vscode.ExtensionContext): void {
  stampStartup("extension: activate begun");
  const log = vscode.window.createOutputChannel("ConvLens", { log: true });
  const config = new Config();
  const python = new PythonAnalyses(
    config,
    log,
    vscode.Uri.joinPath(context.extensionUri, "dist", "pythonWorker.js").fsPath,
  );
  const hostEngine = new HostEngine(
    () => config.hostGpu,
    vscode.Uri.joinPath(context.extensionUri, "dist", "engineWorker.js").fsPath,
  );
  const runtime = new RuntimeService(context.extensionUri, context.globalStorageUri, hostEngine, config, log);
  const kerasJson = new KerasJsonFiles();
  const checks = new TorchChecks(
    config,
    python,
    vscode.Uri.joinPath(context.extensionUri, "media", "python", "convlens_bridge.py").fsPath,
    log,
  );
  const analysis = new AnalysisService(context.extensionUri);
  const deps = {
    extensionUri: context.extensionUri,
    config,
    analysis,
    runtime,
    log,
    python,
    kerasJson,
    checks,
  };
  context.subscriptions.push(
    analysis,
    log,
    python,
    hostEngine,
    kerasJson,
    checks,
    InspectorEditorProvider.register(deps),
    ...registerCommands(deps),
    ...registerPythonFeatures(python, checks),
    ...registerModelTextFeatures(),
  );
  stampStartup("extension: activate done");
}

export function deactivate(): void {}
