/**
 * The summary header: model identity, inputs/outputs, totals and model-level
 * warnings. Totals carry their raw values in `data-value` for tests and tools.
 */
import type { HeaderView } from "./viewModel";
import { h } from "./dom";

export interface HeaderCallbacks {
  onExport(): void;
}

export function renderHeader(view: HeaderView, callbacks: HeaderCallbacks): HTMLElement {
  const exportButton = h(
    "vscode-button",
    { secondary: "", title: "Save this analysis as JSON next to the model" },
    "Export JSON",
  );
  exportButton.addEventListener("click", () => callbacks.onExport());

  const io = h(
    "div",
    { class: "io" },
    ...view.inputs.map((t) =>
      h("span", { class: "io-item", title: "Model input" }, h("span", { class: "io-kind" }, "in"), t),
    ),
    ...view.outputs.map((t) =>
      h("span", { class: "io-item", title: "Model output" }, h("span", { class: "io-kind" }, "out"), t),
    ),
  );

  const totals = h(
    "dl",
    { class: "totals" },
    ...view.totals.map((t) =>
      h(
        "div",
        { class: "total" },
        h("dt", {}, t.label),
        h("dd", { "data-testid": t.testId, "data-value": t.dataValue, title: t.title }, t.text),
      ),
    ),
  );

  return h(
    "header",
    { class: "summary" },
    h(
      "div",
      { class: "title-row" },
      h("h1", { "data-testid": "model-name" }, view.model),
      view.weightless
        ? h(
            "span",
            {
              class: "badge",
              "data-testid": "weightless",
              title: "The file has no weight data: shapes and counts come from the graph alone",
            },
            "weightless",
          )
        : null,
      view.perSample
        ? h(
            "span",
            { class: "badge", "data-testid": "per-sample", title: view.perSample.title },
            view.perSample.text,
          )
        : null,
      h("span", { class: "meta", "data-testid": "model-meta" }, view.meta),
      h("span", { class: "spacer" }),
      exportButton,
    ),
    io,
    totals,
    view.paramNotes.length === 0
      ? null
      : h(
          "p",
          { class: "param-notes", "data-testid": "param-notes" },
          ...view.paramNotes.map((n) => h("span", {}, n)),
        ),
    view.warnings.length === 0 ? null : warningsBlock(view.warnings),
  );
}

/** Collapsed when long so a model with hundreds of notes does not push the table off screen. */
function warningsBlock(warnings: readonly string[]): HTMLElement {
  const block = h(
    "details",
    { class: "model-warnings", "data-testid": "warnings" },
    h("summary", {}, `⚠ ${warnings.length} warning${warnings.length === 1 ? "" : "s"}`),
    h("ul", {}, ...warnings.map((w) => h("li", {}, w))),
  );
  if (warnings.length <= 3) block.open = true;
  return block;
}
