/**
 * What the Run tab shows besides the predictions: the feature-maps body for the selected layer, a
 * convolution's filters, and an output looked up by name. Split from RunPanel.
 */
import type { LayerRow } from "../../src/core/analysis/result";
import type { RunnableInfo } from "../../src/protocol/messages";
import { h } from "../dom";
import { shortError, type OutputData } from "./engine";
import type { TensorView } from "./featureMapsView";
import type { FiltersView } from "./filtersView";
import { hasFilters, type RunView } from "./runModel";
import type { RunRequests } from "./runRequests";

/** A layer's feature maps from a run: the output, not returned, not drawn (why), or none yet. */
export type MapsOutput = OutputData | "missing" | { readonly notDrawn: string } | null;

export interface MapsState {
  /** The layer selected now. */
  readonly layer: LayerRow | null;
  /** The feature maps of the last run, and whose they are. */
  readonly mapsOutput: MapsOutput;
  readonly mapsLayer: LayerRow | null;
  readonly hasRun: boolean;
}

/** The feature-maps view's body: the maps of the selected layer, or why there are none to show. */
export function mapsElement(maps: TensorView, s: MapsState): HTMLElement {
  const layer = s.layer;
  if (layer === null)
    return h(
      "p",
      { class: "placeholder", "data-testid": "select-layer" },
      "Choose a layer above (or in the table, graph or charts) to see its feature maps.",
    );
  if (s.mapsLayer?.index !== layer.index || s.mapsOutput === null)
    return h("p", { class: "placeholder" }, s.hasRun ? "Running…" : "Press Run to see this layer's output.");
  if (s.mapsOutput === "missing")
    return h("p", { class: "warning-text" }, "The runtime did not return this layer's output.");
  if ("notDrawn" in s.mapsOutput)
    return h(
      "p",
      { class: "placeholder", "data-testid": "maps-not-drawn" },
      `Not drawn: ${s.mapsOutput.notDrawn}.`,
    );
  maps.show(s.mapsOutput);
  return maps.element;
}

export function outputOf(
  outputs: ReadonlyMap<string, OutputData>,
  key: string,
  name: string,
): { name: string; out: OutputData }[] {
  const out = outputs.get(key);
  return out === undefined ? [] : [{ name, out }];
}

/** The value fetched for the model's output `name`: a channels-last image output's channels-first copy. */
export function outputValue(runnable: RunnableInfo, name: string): string {
  const view = runnable.outputViews?.[name];
  return view !== undefined && "value" in view ? view.value : name;
}

/**
 * The filters view for `layer`: its weights from the host (once they come, if the layer is still
 * selected and the view still shown, as `now` says), or why there are none.
 */
export async function showFilters(
  view: FiltersView,
  layer: LayerRow | null,
  host: RunRequests,
  now: () => { readonly layer: LayerRow | null; readonly view: RunView },
): Promise<void> {
  if (layer === null)
    return view.message("Choose a convolution above (or in the table, graph or charts) to see its filters.");
  if (!hasFilters(layer))
    return view.message(
      `${layer.name} is a ${layer.layerType ?? layer.opType}: only convolutions have filters to show.`,
    );
  const p = host.filterWeights(layer.index, () => view.message("Loading the weights…"));
  try {
    const w = await p;
    const shown = now();
    if (shown.layer?.index === layer.index && shown.view === "filters") view.show(w);
  } catch (err) {
    if (now().layer?.index === layer.index)
      view.message(`Could not read the filters: ${shortError(err)}`, true);
  }
}
