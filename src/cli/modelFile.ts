/**
 * A model file read for running from the CLI, with the weights beside it loaded the way the
 * Run panel loads them (core/formats/weights/beside: Darknet .weights, Caffe .caffemodel,
 * .safetensors).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readerFor } from "../core/formats/registry";
import { loadWeightsBeside, weightsMessage } from "../core/formats/weights/beside";
import type { Model } from "../core/ir/types";

export interface ModelForRun {
  readonly model: Model;
  /** What was loaded from a weight file beside the model, as one line; absent when there was none. */
  readonly weights?: { readonly warning: boolean; readonly text: string };
}

export async function readModelForRun(file: string): Promise<ModelForRun> {
  const dir = dirname(file);
  const bytes = readFileSync(file);
  const reader = readerFor(file, bytes);
  const model = reader.read(bytes, { siblingExists: (rel) => existsSync(join(dir, rel)) });
  const r = await loadWeightsBeside(
    model,
    reader.id,
    file,
    (name) => {
      const path = join(dir, name);
      return Promise.resolve(existsSync(path) ? readFileSync(path) : undefined);
    },
    () => Promise.resolve(readdirSync(dir)),
  );
  return { model: r.model, ...(r.file && r.report ? { weights: weightsMessage(r.file, r.report) } : {}) };
}
