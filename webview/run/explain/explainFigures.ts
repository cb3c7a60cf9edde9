/**
 * The pictures of the Explain view: an RGBA image enlarged without smoothing
 * (so boxes and small maps stay crisp, and the saved PNG is usable), an
 * optional receptive-field box drawn on top, a caption, a hover read-out and
 * its own Save PNG button.
 */
import { h, themeColor } from "../../dom";
import { hoverReadout, rgbaCanvas, saveButton, saveScale, upscaled } from "../canvasKit";
import type { Box } from "./receptiveField";

export interface FigureOptions {
  readonly caption: string;
  readonly rgba: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  /** Rectangle in picture pixels to outline (a receptive field). */
  readonly box?: Box;
  /** Attributes of the canvas (test ids, data-shape…). */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Value read-out under the pointer, in picture pixels. */
  readonly readout?: (x: number, y: number) => string | null;
  /** Longest side on screen, in CSS pixels. */
  readonly cssMax?: number;
  readonly fileName: string;
  readonly save: (name: string, dataUrl: string) => void;
}

export function figure(o: FigureOptions): HTMLElement {
  const scale = saveScale(o.width, o.height, 256);
  const canvas = upscaled(rgbaCanvas(o.rgba, o.width, o.height, 1), scale);
  canvas.classList.add("px", "explain-canvas");
  for (const [k, v] of Object.entries(o.attrs ?? {})) canvas.setAttribute(k, v);
  if (o.box !== undefined && o.box.width > 0 && o.box.height > 0) {
    const ctx = canvas.getContext("2d");
    if (ctx !== null) {
      ctx.lineWidth = Math.max(1, Math.round(scale / 2));
      ctx.strokeStyle = themeColor("--vscode-charts-yellow", "#ffd700");
      const inset = ctx.lineWidth / 2;
      ctx.strokeRect(
        o.box.x * scale + inset,
        o.box.y * scale + inset,
        o.box.width * scale - 2 * inset,
        o.box.height * scale - 2 * inset,
      );
    }
  }
  const max = o.cssMax ?? 256;
  const side = Math.max(o.width, o.height) * scale;
  const css = Math.min(max, side) / side;
  canvas.style.width = `${Math.round(o.width * scale * css)}px`;
  canvas.style.height = `${Math.round(o.height * scale * css)}px`;
  const readout = o.readout;
  if (readout !== undefined)
    hoverReadout(canvas, (x, y) => readout(Math.floor(x / scale), Math.floor(y / scale)));
  return h(
    "figure",
    { class: "explain-figure" },
    canvas,
    h(
      "figcaption",
      {},
      h("span", {}, o.caption),
      saveButton(
        () => o.fileName,
        () => canvas,
        o.save,
      ),
    ),
  );
}

/** A colour bar for the map's scale: low…high labels around a gradient strip. */
export function colourBar(rgba: Uint8ClampedArray, low: string, high: string): HTMLElement {
  const strip = rgbaCanvas(rgba, rgba.length / 4, 1, 1, { class: "explain-colourbar" });
  strip.style.width = "";
  strip.style.height = "";
  return h(
    "div",
    { class: "explain-scale" },
    h("span", { class: "note" }, low),
    strip,
    h("span", { class: "note" }, high),
  );
}
