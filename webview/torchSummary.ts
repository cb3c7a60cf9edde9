/**
 * The line under the header after Check with PyTorch: which PyTorch traced the model, how many
 * layers disagree with the static reading, and the disagreements, each selecting its row.
 */
import type { TorchSummaryView } from "./model/torchColumnModel";
import { h } from "./dom";

export function renderTorchSummary(view: TorchSummaryView, onSelect: (layer: number) => void): HTMLElement {
  const items = view.disagreements.map((d) => {
    if (d.layer === null) return h("li", {}, d.text);
    const layer = d.layer;
    const link = h(
      "a",
      { href: "#", "data-layer-index": String(layer), title: "Show this layer in the table" },
      d.text,
    );
    link.addEventListener("click", (e) => {
      e.preventDefault();
      onSelect(layer);
    });
    return h("li", {}, link);
  });
  const list =
    items.length === 0
      ? null
      : h(
          "details",
          { class: "torch-disagreements", "data-testid": "pytorch-disagreements" },
          h("summary", {}, `${items.length} disagreement${items.length === 1 ? "" : "s"}`),
          h("ul", {}, ...items),
        );
  // A few are shown at once; a long list stays folded so the table keeps its room.
  if (list && items.length <= 5) list.open = true;
  return h(
    "section",
    { class: "torch-summary", "data-testid": "pytorch-summary" },
    h("p", { class: "torch-line", "data-testid": "pytorch-line" }, view.line),
    list,
  );
}
