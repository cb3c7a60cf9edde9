/**
 * The filters of a convolution: one tile per output filter, as RGB patches
 * (3 input channels), one input channel at a time, or the mean over input
 * channels; each filter normalised on its own. Weights come from the host (getFilters).
 */
import { h } from "../dom";
import { composeGrid, hoverReadout, hideReadout, rgbaCanvas, saveButton, saveScale } from "./canvasKit";
import type { MapOptions } from "./featureMapsView";
import {
  defaultFilterMode,
  filterLayout,
  filterPlanes,
  filterRgba,
  type FilterLayout,
  type FilterMode,
} from "./filterModel";
import type { FilterWeights } from "./runModel";
import { shapeText } from "./runModel";
import { formatValue, tileScale } from "./tensorLayout";

export interface FiltersCallbacks {
  save(name: string, dataUrl: string): void;
  pngName(part: string): string;
  /** The input is fed as BGR: swap the colour patches back to RGB. */
  bgr(): boolean;
}

const MAX_TILES = 512;
const MAX_CHANNEL_OPTIONS = 512;

function modeKey(mode: FilterMode): string {
  return mode.kind === "channel" ? `channel:${mode.channel}` : mode.kind;
}

export class FiltersView {
  readonly element: HTMLElement;
  private weights: FilterWeights | null = null;
  private layout: FilterLayout | null = null;
  private mode: FilterMode | null = null;
  private showAll = false;

  constructor(
    private readonly options: MapOptions,
    private readonly callbacks: FiltersCallbacks,
  ) {
    this.element = h("div", { class: "filters-view" });
  }

  /** A message instead of filters (loading, not a convolution, an error). */
  message(text: string, warning = false): void {
    this.weights = null;
    this.element.replaceChildren(h("p", { class: warning ? "warning-text" : "placeholder" }, text));
  }

  show(weights: FilterWeights): void {
    const layout = filterLayout(weights.dims);
    if (layout === null) {
      this.message(`These weights (${shapeText(weights.dims)}) are not convolution filters.`);
      return;
    }
    const sameLayer = this.weights?.layerIndex === weights.layerIndex;
    this.weights = weights;
    this.layout = layout;
    if (!sameLayer) this.showAll = false;
    if (!sameLayer || this.mode === null || !this.valid(this.mode, layout))
      this.mode = defaultFilterMode(layout, this.callbacks.bgr());
    this.render();
  }

  render(): void {
    hideReadout();
    const w = this.weights;
    const l = this.layout;
    const mode0 = this.mode;
    if (w === null || l === null || mode0 === null) return;
    const mode: FilterMode = mode0.kind === "rgb" ? { kind: "rgb", bgr: this.callbacks.bgr() } : mode0;
    const scale = tileScale(l.kw, l.kh, 64);
    const n = this.showAll ? l.filters : Math.min(l.filters, MAX_TILES);
    const tiles: HTMLCanvasElement[] = [];
    const grid = h("div", {
      class: "fm-grid filters-grid",
      "data-testid": "filters",
      "data-filters": String(l.filters),
      "data-mode": modeKey(mode),
    });
    grid.style.setProperty("--tile", `${Math.min(96, Math.max(l.kw, l.kh) * scale)}px`);
    for (let f = 0; f < n; f++) {
      const canvas = rgbaCanvas(filterRgba(w.data, l, f, mode, this.options.cmap), l.kw, l.kh, scale, {
        "data-filter": String(f),
      });
      canvas.style.width = canvas.style.height = "";
      const planes = filterPlanes(w.data, l, f, mode);
      hoverReadout(canvas, (x, y) => {
        const i = y * l.kw + x;
        const v =
          planes.length === 3
            ? planes.map((p, k) => `${"RGB"[k]} ${formatValue(p[i] ?? NaN)}`).join(", ")
            : formatValue(planes[0]?.[i] ?? NaN);
        return `filter ${f}, x ${x}, y ${y}: ${v}`;
      });
      tiles.push(canvas);
      grid.append(
        h(
          "div",
          { class: "fm-tile", title: `filter ${f}` },
          canvas,
          h("span", { class: "fm-index" }, String(f)),
        ),
      );
    }
    const more =
      n < l.filters
        ? (() => {
            const b = h("vscode-button", { secondary: "" }, `Show all ${l.filters} filters`);
            b.addEventListener("click", () => {
              this.showAll = true;
              this.render();
            });
            return h("p", { class: "note" }, `Showing ${n} of ${l.filters} filters. `, b);
          })()
        : null;
    const save = saveButton(
      () => this.callbacks.pngName(`filters-${modeKey(mode).replace(":", "")}`),
      () => composeGrid(tiles, saveScale(l.kw, l.kh, 48)),
      this.callbacks.save,
      "save-filters",
    );
    this.element.replaceChildren(
      h(
        "div",
        { class: "run-toolbar-row" },
        this.modeSelect(l, mode),
        this.cmapSelect(mode),
        h(
          "span",
          { class: "note" },
          `${l.filters} filters of ${l.inChannels} × ${l.kh}×${l.kw}${l.note === null ? "" : ` (${l.note})`}; each scaled to its own max |w|, 0 = middle`,
        ),
        save,
      ),
      grid,
      ...(more === null ? [] : [more]),
    );
  }

  private valid(mode: FilterMode, l: FilterLayout): boolean {
    if (mode.kind === "rgb") return l.inChannels === 3;
    if (mode.kind === "channel") return mode.channel < l.inChannels;
    return true;
  }

  private modeSelect(l: FilterLayout, mode: FilterMode): HTMLElement {
    const sel = h("select", {
      class: "run-select",
      "aria-label": "Which input channels",
      "data-testid": "filter-mode",
    });
    if (l.inChannels === 3) sel.append(h("option", { value: "rgb" }, "colour (3 inputs → RGB)"));
    if (l.inChannels > 1) sel.append(h("option", { value: "mean" }, "mean over input channels"));
    for (let c = 0; c < Math.min(l.inChannels, MAX_CHANNEL_OPTIONS); c++)
      sel.append(h("option", { value: `channel:${c}` }, `input channel ${c}`));
    sel.value = modeKey(mode);
    sel.addEventListener("change", () => {
      const v = sel.value;
      this.mode =
        v === "rgb"
          ? { kind: "rgb", bgr: this.callbacks.bgr() }
          : v === "mean"
            ? { kind: "mean" }
            : { kind: "channel", channel: Number(v.slice(8)) };
      this.render();
    });
    return h("label", { class: "run-field" }, h("span", { class: "run-field-label" }, "Show"), sel);
  }

  private cmapSelect(mode: FilterMode): HTMLElement | null {
    if (mode.kind === "rgb") return null;
    const sel = h(
      "select",
      { class: "run-select", "aria-label": "Colours" },
      h("option", { value: "grey" }, "grey"),
      h("option", { value: "viridis" }, "viridis"),
    );
    sel.value = this.options.cmap;
    sel.addEventListener("change", () => {
      this.options.cmap = sel.value === "viridis" ? "viridis" : "grey";
      this.render();
    });
    return h("label", { class: "run-field" }, h("span", { class: "run-field-label" }, "Colours"), sel);
  }
}
