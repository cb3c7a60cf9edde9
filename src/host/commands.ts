/**
 * The command table: each command is a factory taking the typed context,
 * so extension.ts only wires and every command can be read on its own.
 */
import * as vscode from "vscode";
import { FORMATS } from "../core/formats/registry";
import { INSPECTOR_VIEW_TYPE, TEXT_INSPECTOR_VIEW_TYPE } from "./inspectorEditor";
import { InspectorPanel, type InspectorDeps } from "./inspectorPanel";
import { pickLayer } from "./layerQuickPick";
import type { KerasJsonFiles } from "./kerasJsonFiles";
import { inspectClass, setInputShape } from "./python/pythonCommands";
import type { PythonAnalyses } from "./python/pythonAnalyses";
import type { TorchChecks } from "./python/torchChecks";
import { exportWithPyTorch } from "./python/torchExport";

export interface CommandContext extends InspectorDeps {
  readonly python: PythonAnalyses;
  /** The workspace's .json files that are Keras models (a .json is a model only by its content). */
  readonly kerasJson: KerasJsonFiles;
  /** "Check with PyTorch": the user's interpreter runs a model on request. */
  readonly checks: TorchChecks;
}
type CommandFactory = (ctx: CommandContext) => (...args: unknown[]) => unknown;

// Darknet cfgs have no extension of their own: .cfg files are offered and checked by content when read.
const MODEL_GLOB = `**/*{${[...FORMATS.flatMap((f) => f.extensions), ".cfg"].join(",")}}`;

/**
 * Ask which model to inspect: the file the command was run on, the active one, or a pick from the workspace.
 */
async function pickModel(arg: unknown, kerasJson: KerasJsonFiles): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const exts = FORMATS.flatMap((f) => f.extensions);
  const activeUri =
    active instanceof vscode.TabInputCustom || active instanceof vscode.TabInputText ? active.uri : undefined;
  if (
    activeUri &&
    ([...exts, ".py", ".cfg"].some((e) => activeUri.path.toLowerCase().endsWith(e)) ||
      kerasJson.has(activeUri))
  )
    return activeUri;
  const files = [
    ...(await vscode.workspace.findFiles(MODEL_GLOB, "**/node_modules/**", 500)),
    ...kerasJson.uris(),
  ];
  const browse = "$(folder-opened) Browse…";
  const items = [
    ...files
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { label: browse, uri: undefined },
  ];
  const choice = await vscode.window.showQuickPick(items, {
    title: "ConvLens: Inspect Model",
    placeHolder: "Choose a model file",
  });
  if (!choice) return undefined;
  if (choice.uri) return choice.uri;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { Models: exts.map((e) => e.slice(1)) },
  });
  return picked?.[0];
}

/** The Python file a command was run on, else the active editor's; says so when there is none. */
async function pythonDocument(arg: unknown): Promise<vscode.TextDocument | undefined> {
  const doc =
    arg instanceof vscode.Uri
      ? await vscode.workspace.openTextDocument(arg)
      : vscode.window.activeTextEditor?.document;
  if (doc?.languageId === "python") return doc;
  void vscode.window.showInformationMessage("ConvLens: open a Python file with a PyTorch model first.");
  return undefined;
}

/** The Run panel of the focused inspector; with none open, first ask which model to inspect. */
async function showRun(view: "predictions" | "featureMaps" | "filters"): Promise<void> {
  if (!InspectorPanel.active) await vscode.commands.executeCommand("convlens.inspectModel");
  InspectorPanel.active?.showRun(view);
}

/** Show Feature Maps / Show Filters: ask for a layer, then show it in the Run tab (which runs if needed). */
async function showLayerInRun(view: "featureMaps" | "filters"): Promise<void> {
  if (!InspectorPanel.active) await vscode.commands.executeCommand("convlens.inspectModel");
  const panel = InspectorPanel.active;
  if (!panel) return;
  const analysis = await panel.analysis();
  // A failed analysis: the inspector already says why; the Run tab shows nothing to pick.
  if (!analysis) return panel.showRun(view);
  const index = await pickLayer(analysis, view);
  if (index === undefined) return;
  panel.selectLayer(index);
  panel.showRun(view);
}

export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  "convlens.inspectModel": (ctx) => async (arg) => {
    const uri = await pickModel(arg, ctx.kerasJson);
    if (!uri) return;
    if (uri.path.endsWith(".py")) return inspectClass(ctx, ctx.python, ctx.checks, uri, undefined);
    const binary = FORMATS.some(
      (f) => f.binary && f.extensions.some((e) => uri.path.toLowerCase().endsWith(e)),
    );
    await vscode.commands.executeCommand(
      "vscode.openWith",
      uri,
      binary ? INSPECTOR_VIEW_TYPE : TEXT_INSPECTOR_VIEW_TYPE,
    );
  },
  "convlens.showFeatureMaps": () => () => showLayerInRun("featureMaps"),
  "convlens.showFilters": () => () => showLayerInRun("filters"),
  "convlens.runOnImage": () => async () => {
    await showRun("predictions");
    await InspectorPanel.active?.pickImage();
  },
  "convlens.inspectClass": (ctx) => (uri, className) =>
    inspectClass(ctx, ctx.python, ctx.checks, uri, className),
  "convlens.setInputShape": (ctx) => (uri, className) => setInputShape(ctx.python, uri, className),
  "convlens.checkWithPyTorch": (ctx) => async (uri, name) => {
    const doc = await pythonDocument(uri);
    if (doc) await ctx.checks.check(doc, typeof name === "string" ? name : undefined);
  },
  "convlens.exportWithPyTorch": (ctx) => async (uri, name) => {
    const doc = await pythonDocument(uri);
    if (doc) await exportWithPyTorch(ctx.checks, doc, typeof name === "string" ? name : undefined);
  },
};

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => vscode.commands.registerCommand(id, factory(ctx)));
}
