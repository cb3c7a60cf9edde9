/** Where a model's graph input keeps its channels: one definition for the analysis and the Run tab. */
import type { Layout, Model } from "./types";

/**
 * The layout of input `name`: the model's, or a mixed model's own for that input (undefined: its layers
 * read it both ways or by no layout, so its channel axis is not known).
 */
export function inputLayout(model: Pick<Model, "layout" | "inputLayouts">, name: string): Layout | undefined {
  const l = model.layout ?? "channels_first";
  return l === "mixed" ? model.inputLayouts?.get(name) : l;
}
