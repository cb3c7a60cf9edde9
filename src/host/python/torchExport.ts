/**
 * "Export Model to ONNX with PyTorch": the user's own torch.onnx.export of a model of the file,
 * with the weights of a checkpoint they pick (any file PyTorch can load), opened in the inspector
 * so that the Run and Explain tabs work on the trained model.
 */
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import * as vscode from "vscode";
import { exportSourceMap, exportSourceMapPath } from "../../core/analysis/exportSourceMap";
import type { TracedClass } from "../../core/formats/python/pythonModel";
import type { BridgeRequest } from "../../core/formats/python/torchCheck";
import { INSPECTOR_VIEW_TYPE } from "../inspectorEditor";
import type { TorchChecks } from "./torchChecks";

const NO_CHECKPOINT = "No checkpoint: the model's freshly initialised weights";
const PICK_CHECKPOINT = "$(file) Pick a checkpoint (.pth, .pt, .safetensors)…";

/** Where to write the ONNX file and which weights to put in it; undefined when the user cancels. */
async function askExport(
  doc: vscode.TextDocument,
  c: TracedClass,
): Promise<BridgeRequest["export"] | undefined> {
  const choice = await vscode.window.showQuickPick([PICK_CHECKPOINT, NO_CHECKPOINT], {
    title: `ConvLens: weights for ${c.name}'s ONNX export`,
  });
  if (!choice) return undefined;
  let checkpoint: string | undefined;
  if (choice === PICK_CHECKPOINT) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: vscode.Uri.file(dirname(doc.fileName)),
      filters: { Checkpoints: ["pth", "pt", "bin", "ckpt", "safetensors"] },
      title: "Checkpoint PyTorch loads into the model",
    });
    checkpoint = picked?.[0]?.fsPath;
    if (!checkpoint) return undefined;
  }
  const stem = basename(doc.fileName).replace(/\.py$/, "");
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(dirname(doc.fileName), `${stem}_${c.name.replace(/\W/g, "_")}.onnx`)),
    filters: { ONNX: ["onnx"] },
    title: "Save the exported ONNX model",
  });
  if (!target) return undefined;
  return { path: target.fsPath, ...(checkpoint ? { checkpoint } : {}) };
}

export async function exportWithPyTorch(
  checks: TorchChecks,
  doc: vscode.TextDocument,
  name: string | undefined,
): Promise<void> {
  const check = await checks.check(doc, name, (c) => askExport(doc, c));
  const exported = check?.trace?.export;
  if (!exported) return;
  // Beside the ONNX file: the line that built each module, so its inspector rows lead back to the source.
  const folder = dirname(exported.path);
  const rel = relative(folder, doc.fileName);
  const map = exportSourceMap(check.model, isAbsolute(rel) ? doc.fileName : rel, exported.modules);
  await vscode.workspace.fs.writeFile(
    vscode.Uri.file(exportSourceMapPath(exported.path)),
    new TextEncoder().encode(`${JSON.stringify(map, null, 1)}\n`),
  );
  await vscode.commands.executeCommand(
    "vscode.openWith",
    vscode.Uri.file(exported.path),
    INSPECTOR_VIEW_TYPE,
  );
}
