/**
 * The Run tab's layer picker: a search box and a drop-down of the layers that have feature maps
 * (or filters), grouped by module (model/layerPicker.ts), so a layer is chosen without going back
 * to the table, and a line naming the chosen layer. Picking one selects it everywhere (table,
 * graph, details).
 */
import type { LayerRow } from "../../src/core/analysis/result";
import type { ModuleTree } from "../model/moduleTree";
import { shapeText } from "./runModel";
import { entryCount, pickerSections, type PickerPurpose } from "../model/layerPicker";
import { h } from "../dom";

const NOUN: Readonly<Record<PickerPurpose, string>> = {
  featureMaps: "layers with feature maps",
  filters: "convolutions",
  explain: "layers with feature maps",
};

export class LayerPickerView {
  readonly element: HTMLElement;
  private readonly search = h("input", {
    type: "search",
    class: "run-layer-search",
    "data-testid": "run-layer-search",
    placeholder: "Search layers: name, type, shape, module",
    "aria-label": "Search layers",
    spellcheck: "false",
  });
  private readonly select = h("select", {
    class: "run-select run-layer-select",
    "data-testid": "run-layer-select",
    "aria-label": "Layer",
  });
  private readonly count = h("span", { class: "note", "data-testid": "run-layer-count" });
  private readonly info = h("div", { class: "run-layer-info", "data-testid": "run-layer" });
  private purpose: PickerPurpose = "featureMaps";
  private selected: number | null = null;

  constructor(
    private readonly tree: ModuleTree,
    private readonly constants: ReadonlySet<number>,
    onPick: (index: number) => void,
  ) {
    this.search.addEventListener("input", () => this.render());
    this.select.addEventListener("change", () => {
      const index = Number(this.select.value);
      if (this.select.value !== "" && Number.isInteger(index)) onPick(index);
    });
    this.element = h(
      "div",
      { class: "run-layer-header" },
      h(
        "div",
        { class: "run-layer-picker", "data-testid": "run-layer-picker" },
        h("span", { class: "run-field-label" }, "Layer"),
        this.search,
        this.select,
        this.count,
      ),
      this.info,
    );
  }

  /** Show the layers for this purpose, with `layer` chosen when it is among them, and name it. */
  update(purpose: PickerPurpose, layer: LayerRow | null): void {
    this.purpose = purpose;
    this.selected = layer?.index ?? null;
    this.render();
    this.info.replaceChildren(
      ...(layer === null
        ? []
        : [
            h("strong", {}, layer.name),
            h("span", { class: "op-badge" }, layer.layerType ?? layer.opType),
            h(
              "span",
              { class: "note" },
              ` #${layer.index} · output ${shapeText(layer.outputs[0]?.shape ?? [])}`,
            ),
          ]),
    );
  }

  private render(): void {
    const query = this.search.value;
    const sections = pickerSections(this.tree, this.purpose, this.constants, query);
    const n = entryCount(sections);
    const listed = sections.some((s) => s.entries.some((e) => e.index === this.selected));
    const options: HTMLElement[] = [];
    if (!listed)
      options.push(
        h(
          "option",
          { value: "", disabled: "" },
          n === 0 ? `No ${NOUN[this.purpose]} match` : `Choose one of ${n} ${NOUN[this.purpose]}…`,
        ),
      );
    for (const s of sections)
      options.push(
        h(
          "optgroup",
          { label: s.group ?? "(top level)" },
          ...s.entries.map((e) =>
            h(
              "option",
              { value: String(e.index), "data-layer-name": e.name },
              `${e.name} · ${e.type} · ${e.shape}`,
            ),
          ),
        ),
      );
    this.select.replaceChildren(...options);
    this.select.value = listed ? String(this.selected) : "";
    this.count.textContent = query.trim() === "" ? `${n} ${NOUN[this.purpose]}` : `${n} match`;
  }
}
