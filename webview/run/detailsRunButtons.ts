/**
 * The Run buttons in a layer's details pane: "Feature maps" for every layer and "Filters" for
 * convolutions, each opening the Run tab on that view. The Run panel owns what they open; the
 * details pane only shows them.
 */
import type { LayerRow } from "../../src/core/analysis/result";
import { h } from "../dom";
import { hasFilters, type RunView } from "./runModel";

/** Buttons for the details pane of a layer: feature maps, and filters for convolutions. */
export function detailsRunButtons(layer: LayerRow, open: (view: RunView) => void): HTMLElement {
  const maps = h(
    "vscode-button",
    {
      secondary: "",
      "data-testid": "details-run-maps",
      title: "Run the model and show this layer's output",
    },
    "Feature maps",
  );
  maps.addEventListener("click", () => open("featureMaps"));
  const box = h("div", { class: "details-run" }, h("span", { class: "note" }, "Run ▸"), maps);
  if (hasFilters(layer)) {
    const filt = h(
      "vscode-button",
      { secondary: "", "data-testid": "details-run-filters", title: "Show this convolution's filters" },
      "Filters",
    );
    filt.addEventListener("click", () => open("filters"));
    box.append(filt);
  }
  return box;
}
