/**
 * Show Feature Maps / Show Filters: a quick pick of the layers that have maps (or filters), grouped
 * by module with their type and shape, built from the same sections as the Run tab's picker.
 */
import * as vscode from "vscode";
import type { ModelAnalysis } from "../core/analysis/result";
// Pure view models shared with the webview's picker, so both list the same layers the same way.
import { entryCount, pickerSections, type PickerPurpose } from "../../webview/model/layerPicker";
import { buildModuleTree } from "../../webview/model/moduleTree";
import { findConstantLayers } from "../../webview/model/plumbing";

type LayerItem = vscode.QuickPickItem & { readonly index?: number };

const TITLE: Readonly<Record<PickerPurpose, string>> = {
  featureMaps: "ConvLens: Show Feature Maps",
  filters: "ConvLens: Show Filters",
  explain: "ConvLens: Explain",
};

/** The layer index the user chose, or undefined (cancelled, or nothing to choose: said so). */
export async function pickLayer(
  analysis: ModelAnalysis,
  purpose: PickerPurpose,
): Promise<number | undefined> {
  const sections = pickerSections(buildModuleTree(analysis.layers), purpose, findConstantLayers(analysis));
  if (entryCount(sections) === 0) {
    void vscode.window.showInformationMessage(
      `ConvLens: ${analysis.model} has no ${purpose === "filters" ? "convolutions with filters" : "layers with feature maps"} to show.`,
    );
    return undefined;
  }
  const items: LayerItem[] = [];
  for (const s of sections) {
    items.push({ label: s.group ?? "(top level)", kind: vscode.QuickPickItemKind.Separator });
    for (const e of s.entries)
      items.push({
        label: e.name,
        description: `${e.type} · ${e.shape}`,
        index: e.index,
      });
  }
  const choice = await vscode.window.showQuickPick(items, {
    title: TITLE[purpose],
    placeHolder: "Choose a layer (type to search by name, type or shape)",
    matchOnDescription: true,
  });
  return choice?.index;
}
