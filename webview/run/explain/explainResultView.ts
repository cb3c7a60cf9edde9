/**
 * Draws one ExplainResult: the input, the map (diverging or |value| colours,
 * channels combined by max |value|), the map over the input at the chosen
 * opacity, and per method the deconvnet patch and projection inside the unit's
 * receptive field, the ERF against the theoretical box, or the ascent's picture.
 */
import { h } from "../../dom";
import { formatValue } from "../tensorLayout";
import { figure, colourBar } from "./explainFigures";
import { methodInfo } from "../../../src/core/explain/methods";
import { classLabel, formatShare, mapDataAttrs } from "./explainModel";
import type { ExplainResult } from "./explainRunner";
import {
  blend,
  cropRgba,
  mapRgba,
  maxAbs,
  normalise,
  projectionRgba,
  tensorRgba,
  type MapColours,
} from "./mapMath";

export interface ResultOptions {
  readonly colours: MapColours;
  readonly opacity: number;
  readonly labels: readonly string[] | null;
  readonly save: (name: string, dataUrl: string) => void;
  readonly pngName: (part: string) => string;
}

/** Three pictures side by side fit the Run tab's output column. */
const FIGURE_CSS = 168;
const RAMP_SIGNED = Float32Array.from({ length: 128 }, (_, i) => (i / 127) * 2 - 1);
const RAMP_MAGNITUDE = Float32Array.from({ length: 128 }, (_, i) => i / 127);

/** The figures and the summary line of a result. */
export function renderResult(r: ExplainResult, o: ResultOptions): HTMLElement {
  const method = r.spec.method;
  const { plane, input } = r;
  const w = plane.width;
  const hgt = plane.height;
  const shown = tensorRgba(input.data, input.dims, input.lo, input.hi);
  const save = o.save;
  const testAttrs = {
    "data-testid": "explain-map",
    "data-method": method,
    ...mapDataAttrs(r.map.dims, r.map.data),
  };

  if (r.ascent !== undefined) {
    // The ascent's picture is the map: what the input became.
    const pic = tensorRgba(r.map.data, r.map.dims, input.lo, input.hi);
    return h(
      "div",
      { class: "explain-result" },
      h(
        "div",
        { class: "explain-figures" },
        figure({
          caption: `Step ${r.ascent.step} of ${r.ascent.steps}`,
          rgba: pic.rgba,
          width: pic.width,
          height: pic.height,
          attrs: { ...testAttrs, "data-step": String(r.ascent.step) },
          cssMax: 320,
          fileName: o.pngName(`${method}-step-${r.ascent.step}`),
          save,
        }),
        method === "deepDream"
          ? figure({
              caption: "Start (the input)",
              rgba: shown.rgba,
              width: w,
              height: hgt,
              fileName: o.pngName("input"),
              save,
            })
          : null,
      ),
      summary(
        r,
        o,
        `${formatValue(r.ascent.msPerStep)} ms per step; ‖g‖ (RMS) at the last step ${formatValue(r.ascent.gradNorm)}.`,
      ),
    );
  }

  const norm = normalise(plane.data, o.colours);
  const colours = mapRgba(norm, o.colours);
  const box = r.unit?.box ?? r.erf?.box;
  const m = maxAbs(plane.data);
  const readout = (x: number, y: number): string | null =>
    x < w && y < hgt ? `x ${x}, y ${y}: ${formatValue(plane.data[y * w + x] ?? NaN)}` : null;
  const mapFigure = figure({
    caption: r.erf ? "Mean |gradient| (yellow: theoretical field)" : methodInfo(method).label,
    rgba: colours,
    width: w,
    height: hgt,
    ...(box ? { box } : {}),
    attrs: testAttrs,
    readout,
    cssMax: r.erf ? 256 : FIGURE_CSS,
    fileName: o.pngName(method),
    save,
  });
  // The ERF is measured on random inputs: the current picture has nothing to do with it.
  const figures: HTMLElement[] = r.erf
    ? [mapFigure]
    : [
        figure({
          caption: "Input",
          rgba: shown.rgba,
          width: w,
          height: hgt,
          ...(box ? { box } : {}),
          cssMax: FIGURE_CSS,
          fileName: o.pngName("input"),
          save,
        }),
        mapFigure,
        figure({
          caption: "Overlay",
          rgba: blend(shown.rgba, colours, norm, o.opacity),
          width: w,
          height: hgt,
          ...(box ? { box } : {}),
          readout,
          cssMax: FIGURE_CSS,
          fileName: o.pngName(`${method}-overlay`),
          save,
        }),
      ];
  if (r.unit !== undefined && r.unit.box.width > 0 && r.unit.box.height > 0) {
    const b = r.unit.box;
    const proj = projectionRgba(r.map.data, r.map.dims);
    figures.push(
      figure({
        caption: "Image patch (receptive field)",
        rgba: cropRgba(shown.rgba, w, b),
        width: b.width,
        height: b.height,
        cssMax: 120,
        fileName: o.pngName("deconvnet-patch"),
        save,
      }),
      figure({
        caption: "Projection (receptive field)",
        rgba: cropRgba(proj, w, b),
        width: b.width,
        height: b.height,
        cssMax: 120,
        fileName: o.pngName("deconvnet-projection"),
        save,
      }),
    );
  }
  const ramp = mapRgba(o.colours === "signed" ? RAMP_SIGNED : RAMP_MAGNITUDE, o.colours);
  const scale = colourBar(ramp, o.colours === "signed" ? formatValue(-m) : "0", formatValue(m));
  return h(
    "div",
    { class: "explain-result" },
    h("div", { class: "explain-figures" }, ...figures),
    scale,
    summary(r, o),
  );
}

function summary(r: ExplainResult, o: ResultOptions, extra = ""): HTMLElement {
  const parts: string[] = [];
  const layer = r.spec.layer;
  if (layer !== null && methodInfo(r.spec.method).layer !== "none") parts.push(`Layer ${layer.name}`);
  if (r.classIndex !== null) {
    const chosen =
      r.spec.classIndex === null
        ? " (predicted)"
        : r.predicted !== null
          ? ` (predicted: ${classLabel(r.predicted, o.labels)})`
          : "";
    parts.push(`class ${classLabel(r.classIndex, o.labels).replace(/^class /, "")}${chosen}`);
  }
  if (r.unit !== undefined) {
    const pos = r.unit.position.join(", ");
    parts.push(`unit: channel ${r.unit.channel} at (${pos}), activation ${formatValue(r.unit.value)}`);
    parts.push(
      `receptive field ${r.unit.box.width}×${r.unit.box.height} at x ${r.unit.box.x}, y ${r.unit.box.y} (clipped to the image)`,
    );
  } else if (r.channel !== null) parts.push(`channel ${r.channel}`);
  const erf = r.erf;
  const erfText =
    erf === undefined
      ? null
      : h(
          "p",
          {
            class: "explain-erf",
            "data-testid": "explain-erf",
            "data-share": String(erf.mass.share),
            "data-pixels": String(erf.mass.pixels),
            "data-area": String(erf.mass.area),
          },
          `95 % of the gradient mass (mean |gradient| over ${erf.samples} random inputs) lies in ${erf.mass.pixels} pixels: `,
          h("strong", {}, formatShare(erf.mass.share)),
          ` of the theoretical receptive field (${erf.box.width}×${erf.box.height} = ${erf.mass.area} pixels in the image, the yellow box); ${formatShare(erf.mass.inside)} of the mass lies inside it.`,
        );
  return h(
    "div",
    { class: "explain-summary", "data-testid": "explain-summary" },
    h("p", { class: "note" }, `${parts.join(" · ")}${parts.length > 0 ? "." : ""} ${extra}`.trim()),
    erfText,
  );
}
