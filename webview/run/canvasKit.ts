/**
 * Canvas helpers for the Run tab: RGBA pixels into a (pixelated, scaled)
 * canvas, a tiled composite for saving a whole grid, a hover read-out, the
 * "Save PNG" button, and decoding an image URI into RGBA bytes.
 */
import { h } from "../dom";
import type { RgbaImage } from "./preprocess";
import { gridLayout } from "./tensorLayout";

/** A canvas holding the pixels at their own size, shown `scale` times bigger (or `cssMax` at most). */
export function rgbaCanvas(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
  scale: number,
  attrs: Readonly<Record<string, string>> = {},
): HTMLCanvasElement {
  const canvas = h("canvas", { class: "px", ...attrs });
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  return canvas;
}

/** Tiles same-sized canvases into one at `upscale`× (nearest neighbour), `gap` px apart, for saving. */
export function composeGrid(
  tiles: readonly HTMLCanvasElement[],
  upscale: number,
  gap = 2,
): HTMLCanvasElement {
  const first = tiles[0];
  const tw = (first?.width ?? 1) * upscale;
  const th = (first?.height ?? 1) * upscale;
  const grid = gridLayout(tiles.length, tw, th, gap);
  const out = h("canvas");
  out.width = Math.max(1, grid.width);
  out.height = Math.max(1, grid.height);
  const ctx = out.getContext("2d");
  if (ctx === null) return out;
  ctx.imageSmoothingEnabled = false;
  tiles.forEach((t, i) => {
    const p = grid.position(i);
    ctx.drawImage(t, p.x, p.y, tw, th);
  });
  return out;
}

/**
 * A copy of a canvas enlarged `upscale`× without smoothing (small maps saved as 1-pixel-per-value are
 * unusable).
 */
export function upscaled(canvas: HTMLCanvasElement, upscale: number): HTMLCanvasElement {
  return composeGrid([canvas], upscale, 0);
}

/** Nearest integer upscale so the saved picture is at least `min` pixels on its longer side. */
export function saveScale(width: number, height: number, min = 256): number {
  return Math.max(1, Math.ceil(min / Math.max(1, width, height)));
}

/** A "Save PNG" button: `render()` gives the canvas to save at click time. */
export function saveButton(
  name: () => string,
  render: () => HTMLCanvasElement | null,
  save: (name: string, dataUrl: string) => void,
  testId?: string,
): HTMLElement {
  const button = h(
    "vscode-button",
    { secondary: "", class: "save-png", title: "Save this picture as a PNG file", "data-testid": testId },
    "Save PNG",
  );
  button.addEventListener("click", () => {
    const canvas = render();
    if (canvas !== null) save(name(), canvas.toDataURL("image/png"));
  });
  return button;
}

let tooltip: HTMLElement | null = null;

/** Hides the hover read-out (call when re-rendering: a removed canvas gets no pointerleave). */
export function hideReadout(): void {
  if (tooltip !== null) tooltip.hidden = true;
}

/** Shows `text(x, y)` next to the pointer while it is over `canvas` (x, y in canvas pixels). */
export function hoverReadout(canvas: HTMLCanvasElement, text: (x: number, y: number) => string | null): void {
  canvas.addEventListener("pointermove", (e) => {
    const r = canvas.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const x = Math.floor(((e.clientX - r.left) / r.width) * canvas.width);
    const y = Math.floor(((e.clientY - r.top) / r.height) * canvas.height);
    const t = x >= 0 && y >= 0 && x < canvas.width && y < canvas.height ? text(x, y) : null;
    if (tooltip === null) {
      tooltip = h("div", { class: "px-tooltip", role: "tooltip", "data-testid": "pixel-tooltip" });
      document.body.append(tooltip);
    }
    tooltip.hidden = t === null;
    if (t === null) return;
    tooltip.textContent = t;
    tooltip.style.left = `${e.clientX + 14}px`;
    tooltip.style.top = `${e.clientY + 14}px`;
  });
  canvas.addEventListener("pointerleave", hideReadout);
}

/**
 * Decodes an image from a webview URI into RGBA bytes. fetch + createImageBitmap keeps
 * the canvas untainted (the resource server sends CORS headers) and skips colour management.
 */
export async function decodeImage(uri: string): Promise<RgbaImage> {
  const res = await fetch(uri);
  if (!res.ok) throw new Error(`could not load the image (${res.status})`);
  // Say what would work, not just the browser's "could not be decoded".
  const bitmap = await createImageBitmap(await res.blob(), {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  }).catch(() => {
    throw new Error("the image cannot be decoded: it is not a PNG, JPEG, GIF, BMP or WebP file");
  });
  const canvas = h("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (ctx === null) throw new Error("no 2-D canvas");
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { width: canvas.width, height: canvas.height, data };
}

/** The pixels of a canvas (e.g. the drawing pad). */
export function canvasPixels(canvas: HTMLCanvasElement): RgbaImage {
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const data =
    ctx?.getImageData(0, 0, canvas.width, canvas.height).data ??
    new Uint8ClampedArray(canvas.width * canvas.height * 4);
  return { width: canvas.width, height: canvas.height, data };
}
