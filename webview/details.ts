/**
 * The details pane: everything about the selected layer. Neighbouring layers
 * are links, so the pane doubles as a way to walk the graph.
 */
import type { DetailsView, LinkView, RfAxisView } from "./viewModel";
import { h, keyValueList } from "./dom";

export interface DetailsCallbacks {
  onSelect(index: number): void;
}

export class DetailsPane {
  readonly element: HTMLElement;

  constructor(private readonly callbacks: DetailsCallbacks) {
    this.element = h("aside", { class: "details", "data-testid": "details", "aria-label": "Layer details" });
    this.show(null);
  }

  show(view: DetailsView | null): void {
    if (view === null) {
      this.element.replaceChildren(
        h(
          "p",
          { class: "placeholder" },
          "Select a layer in the table, a chart or the graph to see its details.",
        ),
      );
      return;
    }
    const sections: (HTMLElement | false)[] = [
      h(
        "header",
        { class: "details-header" },
        h("h2", { title: view.name }, view.name),
        h(
          "div",
          { class: "details-sub" },
          h(
            "span",
            {
              class: "op-badge",
              "data-testid": "details-op",
              title: view.graphOp === undefined ? view.opType : `graph op ${view.graphOp}`,
            },
            view.opType,
          ),
          ` #${view.index}`,
        ),
        view.id === view.name ? null : h("div", { class: "details-id", title: view.idOrigin }, view.id),
      ),
      section("Cost", keyValueList(view.metrics)),
      section("Receptive field", rfBlock(view.rf, view.rfMisaligned, view.rfGlobalContext)),
      view.inputs.length > 0 && section("Inputs", keyValueList(view.inputs)),
      view.outputs.length > 0 && section("Outputs", keyValueList(view.outputs)),
      view.weights.length > 0 && section("Weights", keyValueList(view.weights)),
      view.quantization.length > 0 &&
        section("Quantization", keyValueList(view.quantization), "quantization"),
      view.body.length > 0 && section("Nested graphs (one run)", keyValueList(view.body), "body"),
      view.attributes.length > 0 && section("Attributes", keyValueList(view.attributes)),
      view.predecessors.length > 0 && section("Inputs from", this.links(view.predecessors)),
      view.successors.length > 0 && section("Feeds", this.links(view.successors)),
      view.warnings.length > 0 &&
        section("Warnings", h("ul", { class: "warnings" }, ...view.warnings.map((w) => h("li", {}, w)))),
    ];
    this.element.replaceChildren(...sections.filter((s): s is HTMLElement => s !== false));
  }

  private links(links: readonly LinkView[]): HTMLElement {
    const list = h("ul", { class: "links" });
    for (const link of links) {
      const a = h(
        "a",
        { href: "#", "data-index": String(link.index), title: `Select layer #${link.index}` },
        link.label,
      );
      a.addEventListener("click", (e) => {
        e.preventDefault();
        this.callbacks.onSelect(link.index);
      });
      list.append(h("li", {}, a));
    }
    return list;
  }
}

function section(title: string, body: HTMLElement, testId?: string): HTMLElement {
  return h(
    "section",
    { class: "details-section", ...(testId ? { "data-testid": `details-${testId}` } : {}) },
    h("h3", {}, title),
    body,
  );
}

function rfBlock(
  rf: string | readonly RfAxisView[],
  misaligned: boolean,
  globalContext: boolean,
): HTMLElement {
  if (typeof rf === "string") {
    const explain = rf === "global" ? "global: every output sees the whole input" : "none: no spatial input";
    return h("p", { class: "rf-none" }, explain);
  }
  const table = h(
    "table",
    { class: "rf-table" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "axis"), h("th", {}, "size"), h("th", {}, "stride"), h("th", {}, "start")),
    ),
    h(
      "tbody",
      {},
      ...rf.map((a) =>
        h("tr", {}, h("th", {}, a.axis), h("td", {}, a.size), h("td", {}, a.stride), h("td", {}, a.start)),
      ),
    ),
  );
  return h(
    "div",
    {},
    table,
    misaligned
      ? h(
          "p",
          { class: "warning-text" },
          "⚠ Misaligned: branches merged here see input grids offset from each other.",
        )
      : null,
    globalContext
      ? h(
          "p",
          { class: "rf-context" },
          "+ global context: a channel gate (squeeze-and-excitation) that sees the whole input rescales this unit. The numbers are the local field of the main path.",
        )
      : null,
  );
}
