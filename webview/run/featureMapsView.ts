/**
 * One tensor drawn for people: a grid of channel maps (click one to zoom, with
 * the value under the pointer), rows for 1-D signals, bars for vectors; with
 * per-channel or per-layer normalisation, grey or viridis, statistics, a
 * histogram and Save PNG. Used for a layer's feature maps and for map-shaped model outputs.
 */
import { h } from "../dom";
import {
  composeGrid,
  hideReadout,
  hoverReadout,
  rgbaCanvas,
  saveButton,
  saveScale,
  upscaled,
} from "./canvasKit";
import { planeToRgba, type ColormapName } from "./colormap";
import type { OutputData } from "./engine";
import { ChartSet } from "./histogram";
import { shapeText } from "./runModel";
import {
  displayRange,
  formatValue,
  histogram,
  layoutOf,
  mapStats,
  stats,
  tileScale,
  type Layout,
  type NormMode,
  type Stats,
} from "./tensorLayout";

export interface MapOptions {
  norm: NormMode;
  cmap: ColormapName;
}

export interface MapsCallbacks {
  save(name: string, dataUrl: string): void;
  /** File name for a saved picture of this tensor (`part` e.g. "feature-maps", "channel-3"). */
  pngName(part: string): string;
}

/** Tiles drawn before "Show all" (a layer can have thousands of channels). */
const MAX_TILES = 256;
const HIST_BINS = 40;

type Maps = Extract<Layout, { kind: "maps" }>;

export class TensorView {
  readonly element: HTMLElement;
  private readonly charts = new ChartSet();
  private out: OutputData | null = null;
  private layout: Layout | null = null;
  private zoomed: number | null = null;
  private showAll = false;

  constructor(
    private readonly options: MapOptions,
    private readonly callbacks: MapsCallbacks,
    private readonly testId = "feature-maps",
  ) {
    this.element = h("div", { class: "tensor-view" });
  }

  /** Draws `out` (null clears). Keeps the zoomed channel when the shape is unchanged. */
  show(out: OutputData | null): void {
    const layout = out === null ? null : layoutOf(out.dims);
    const sameShape = this.out !== null && out !== null && shapeText(this.out.dims) === shapeText(out.dims);
    if (!sameShape) {
      this.zoomed = null;
      this.showAll = false;
    }
    this.out = out;
    this.layout = layout;
    this.render();
  }

  dispose(): void {
    this.charts.destroy();
  }

  /** Re-draws with changed options (normalisation, colours). */
  render(): void {
    this.charts.destroy();
    hideReadout();
    const out = this.out;
    const layout = this.layout;
    if (out === null || layout === null) {
      this.element.replaceChildren();
      return;
    }
    if (layout.kind === "none") {
      this.element.replaceChildren(
        h("p", { class: "placeholder" }, `Not drawn: ${layout.reason} (shape ${shapeText(out.dims)}).`),
      );
      return;
    }
    if (layout.kind === "vector") {
      const s = stats(out.data);
      this.element.replaceChildren(
        h(
          "div",
          {
            class: "tensor-main",
            "data-testid": this.testId,
            "data-kind": "vector",
            "data-channels": String(layout.length),
          },
          this.charts.values(out.data, `${layout.length} values`),
        ),
        this.summary(s, histogram(out.data, HIST_BINS), "all values"),
      );
      return;
    }
    const controls = this.controls(layout);
    if (layout.kind === "rows") {
      this.element.replaceChildren(
        controls,
        this.rows(layout, out),
        this.summary(stats(out.data), histogram(out.data, HIST_BINS), "all values"),
      );
      return;
    }
    const layerStats = mapStats(out.data, layout);
    const main =
      this.zoomed === null
        ? this.grid(layout, out, layerStats)
        : this.zoom(layout, out, this.zoomed, layerStats);
    const side =
      this.zoomed === null
        ? this.summary(layerStats, this.mapHistogram(layout, out), "all channels")
        : this.summary(
            mapStats(out.data, layout, this.zoomed),
            this.mapHistogram(layout, out, this.zoomed),
            `channel ${this.zoomed}`,
          );
    this.element.replaceChildren(controls, h("div", { class: "tensor-body" }, main, side));
  }

  private controls(layout: Layout): HTMLElement {
    const norm = h(
      "select",
      {
        class: "run-select",
        "aria-label": "Normalisation",
        title: "Colour range: each channel's own min–max, or the whole layer's",
        "data-testid": "fm-norm",
      },
      h("option", { value: "channel" }, "per channel"),
      h("option", { value: "layer" }, "per layer"),
    );
    norm.value = this.options.norm;
    norm.addEventListener("change", () => {
      this.options.norm = norm.value === "layer" ? "layer" : "channel";
      this.render();
    });
    const cmap = h(
      "select",
      { class: "run-select", "aria-label": "Colours", "data-testid": "fm-cmap" },
      h("option", { value: "grey" }, "grey"),
      h("option", { value: "viridis" }, "viridis"),
    );
    cmap.value = this.options.cmap;
    cmap.addEventListener("change", () => {
      this.options.cmap = cmap.value === "viridis" ? "viridis" : "grey";
      this.render();
    });
    const note =
      layout.kind === "maps" && layout.note !== null ? h("span", { class: "note" }, layout.note) : null;
    return h(
      "div",
      { class: "run-toolbar-row" },
      h("label", { class: "run-field" }, h("span", { class: "run-field-label" }, "Range"), norm),
      h("label", { class: "run-field" }, h("span", { class: "run-field-label" }, "Colours"), cmap),
      note,
    );
  }

  private range(layout: Maps, out: OutputData, c: number, layerStats: Stats): [number, number] {
    return this.options.norm === "layer"
      ? [layerStats.min, layerStats.max]
      : displayRange("channel", mapStats(out.data, layout, c), layerStats);
  }

  private tile(
    layout: Maps,
    out: OutputData,
    c: number,
    layerStats: Stats,
    scale: number,
  ): HTMLCanvasElement {
    const [lo, hi] = this.range(layout, out, c, layerStats);
    const offset = c * layout.channelStride + layout.frameOffset;
    const rgba = planeToRgba(out.data, offset, layout.width, layout.height, lo, hi, this.options.cmap);
    return rgbaCanvas(rgba, layout.width, layout.height, scale, { "data-channel": String(c) });
  }

  private grid(layout: Maps, out: OutputData, layerStats: Stats): HTMLElement {
    const scale = tileScale(layout.width, layout.height);
    const n = this.showAll ? layout.channels : Math.min(layout.channels, MAX_TILES);
    const tiles: HTMLCanvasElement[] = [];
    const grid = h("div", {
      class: "fm-grid",
      "data-testid": this.testId,
      "data-kind": "maps",
      "data-channels": String(layout.channels),
    });
    const cssSide = Math.min(128, Math.max(layout.width, layout.height) * scale);
    grid.style.setProperty("--tile", `${cssSide}px`);
    for (let c = 0; c < n; c++) {
      const canvas = this.tile(layout, out, c, layerStats, scale);
      canvas.style.width = canvas.style.height = "";
      tiles.push(canvas);
      const s = mapStats(out.data, layout, c);
      const tile = h(
        "button",
        {
          class: "fm-tile",
          type: "button",
          title: `channel ${c}: min ${formatValue(s.min)}, max ${formatValue(s.max)}, mean ${formatValue(s.mean)} — click to zoom`,
        },
        canvas,
        h("span", { class: "fm-index" }, String(c)),
      );
      tile.addEventListener("click", () => {
        this.zoomed = c;
        this.render();
      });
      grid.append(tile);
    }
    const more =
      n < layout.channels
        ? (() => {
            const b = h("vscode-button", { secondary: "" }, `Show all ${layout.channels} channels`);
            b.addEventListener("click", () => {
              this.showAll = true;
              this.render();
            });
            return h("p", { class: "note" }, `Showing ${n} of ${layout.channels} channels. `, b);
          })()
        : null;
    const save = saveButton(
      () => this.callbacks.pngName("feature-maps"),
      () => composeGrid(tiles, saveScale(layout.width, layout.height, 64)),
      this.callbacks.save,
      "save-feature-maps",
    );
    return h(
      "div",
      { class: "tensor-main" },
      h(
        "div",
        { class: "run-row" },
        h("span", { class: "note" }, `${layout.channels} channels of ${layout.height}×${layout.width}`),
        save,
      ),
      grid,
      more,
    );
  }

  private zoom(layout: Maps, out: OutputData, c: number, layerStats: Stats): HTMLElement {
    const side = Math.max(layout.width, layout.height);
    const scale = Math.max(1, Math.floor(384 / side));
    const canvas = this.tile(layout, out, c, layerStats, scale);
    if (side * scale < 192) canvas.style.width = canvas.style.height = "";
    canvas.classList.add("fm-zoom-canvas");
    canvas.dataset["testid"] = "fm-zoom";
    const offset = c * layout.channelStride + layout.frameOffset;
    hoverReadout(
      canvas,
      (x, y) => `x ${x}, y ${y}: ${formatValue(out.data[offset + y * layout.width + x] ?? NaN)}`,
    );
    const back = h("vscode-button", { secondary: "", "data-testid": "fm-back" }, "All channels");
    back.addEventListener("click", () => {
      this.zoomed = null;
      this.render();
    });
    const step = (d: number): HTMLElement => {
      const b = h(
        "vscode-button",
        { secondary: "", title: d < 0 ? "Previous channel" : "Next channel" },
        d < 0 ? "‹" : "›",
      );
      b.addEventListener("click", () => {
        this.zoomed = (c + d + layout.channels) % layout.channels;
        this.render();
      });
      return b;
    };
    const save = saveButton(
      () => this.callbacks.pngName(`channel-${c}`),
      () => upscaled(canvas, saveScale(layout.width, layout.height)),
      this.callbacks.save,
    );
    return h(
      "div",
      { class: "tensor-main fm-zoom" },
      h(
        "div",
        { class: "run-row" },
        back,
        step(-1),
        h("strong", {}, `channel ${c} of ${layout.channels}`),
        step(1),
        save,
      ),
      canvas,
      h("p", { class: "note" }, "Hover for values."),
    );
  }

  private rows(layout: Extract<Layout, { kind: "rows" }>, out: OutputData): HTMLElement {
    const s = stats(out.data, 0, layout.channels * layout.length);
    const rgba = planeToRgba(out.data, 0, layout.length, layout.channels, s.min, s.max, this.options.cmap);
    const canvas = rgbaCanvas(rgba, layout.length, layout.channels, 1, { "data-channel": "all" });
    const sx = Math.max(1, Math.floor(512 / layout.length));
    const sy = Math.max(1, Math.floor(256 / layout.channels));
    canvas.style.width = `${Math.min(768, layout.length * sx)}px`;
    canvas.style.height = `${Math.min(512, layout.channels * Math.max(sy, 2))}px`;
    hoverReadout(
      canvas,
      (x, y) => `channel ${y}, position ${x}: ${formatValue(out.data[y * layout.length + x] ?? NaN)}`,
    );
    const save = saveButton(
      () => this.callbacks.pngName("rows"),
      () => upscaled(canvas, Math.max(1, Math.min(sx, sy))),
      this.callbacks.save,
    );
    return h(
      "div",
      {
        class: "tensor-main",
        "data-testid": this.testId,
        "data-kind": "rows",
        "data-channels": String(layout.channels),
      },
      h(
        "div",
        { class: "run-row" },
        h("span", { class: "note" }, `${layout.channels} rows (channels) of length ${layout.length}`),
        save,
      ),
      canvas,
    );
  }

  private mapHistogram(layout: Maps, out: OutputData, channel?: number): ReturnType<typeof histogram> {
    const plane = layout.height * layout.width;
    if (channel !== undefined)
      return histogram(out.data, HIST_BINS, channel * layout.channelStride + layout.frameOffset, plane);
    if (layout.frameOffset === 0 && layout.channelStride === plane)
      return histogram(out.data, HIST_BINS, 0, plane * layout.channels);
    const flat = new Float32Array(plane * layout.channels);
    for (let c = 0; c < layout.channels; c++)
      flat.set(
        out.data.subarray(
          c * layout.channelStride + layout.frameOffset,
          c * layout.channelStride + layout.frameOffset + plane,
        ),
        c * plane,
      );
    return histogram(flat, HIST_BINS);
  }

  private summary(s: Stats, hist: ReturnType<typeof histogram>, what: string): HTMLElement {
    const row = (k: string, v: string, id: string): HTMLElement[] => [
      h("dt", {}, k),
      h("dd", { "data-stat": id }, v),
    ];
    return h(
      "aside",
      { class: "tensor-side", "data-testid": "activation-stats" },
      h("h4", {}, `Statistics, ${what}`),
      h(
        "dl",
        { class: "kv" },
        ...row("min", formatValue(s.min), "min"),
        ...row("max", formatValue(s.max), "max"),
        ...row("mean", formatValue(s.mean), "mean"),
        ...row("std", formatValue(s.std), "std"),
        ...row("zeros", `${(s.zeros * 100).toFixed(1)} %`, "zeros"),
        ...row("values", s.count.toLocaleString("en-US"), "count"),
      ),
      this.charts.histogram(hist, "Histogram"),
    );
  }
}
