/** The CLI's side of weights files: `<model>.safetensors`, `.pth` or `.pt` next to the model file. */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { applyWeights } from "../core/formats/weights/safetensors";
import { readWeightsFile, weightFileNames } from "../core/formats/weights/weightsFile";
import type { Model } from "../core/ir/types";

/** The model with the first weights file beside it applied (matched by parameter name), else unchanged. */
export function withWeightsBeside(file: string, model: Model): Model {
  const stem = basename(file).replace(/\.[^.]+$/, "");
  const found = weightFileNames([stem])
    .map((name) => join(dirname(file), name))
    .find((path) => existsSync(path));
  return found ? applyWeights(model, readWeightsFile(found, readFileSync(found))).model : model;
}
