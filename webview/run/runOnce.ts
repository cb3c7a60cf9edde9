/**
 * One run of the Run tab, apart from showing it: the host's runnable model exposing the selected
 * layer, the feeds from the input, the engine's forward pass, and the layer's feature maps picked
 * from the outputs; each step recorded as a "run: …" measure. Split from RunPanel.
 */
import { measureSince } from "../../src/runtime/shared/timing";
import type { LayerRow } from "../../src/core/analysis/result";
import type { RunnableInfo } from "../../src/protocol/messages";
import type { FeedData, RunEngine, RunResult } from "./engine";
import { InputView } from "./inputView";
import { checkCancelled, type CancelToken } from "./jobQueue";
import { outputValue, type MapsOutput } from "./runOutputs";
import type { RunRequests } from "./runRequests";

export interface RunJob {
  readonly engine: RunEngine;
  readonly input: InputView;
  readonly host: RunRequests;
  /** The layer whose feature maps to fetch besides the outputs; null: the outputs only. */
  readonly layer: LayerRow | null;
  readonly token: CancelToken;
  setStatus(text: string): void;
}

export interface RunOutcome {
  readonly runnable: RunnableInfo;
  readonly result: RunResult;
  /** The layer's feature maps, or why there are none; null when no layer was asked for. */
  readonly maps: MapsOutput;
}

/** Runs the model once; throws CancelledError when `token` is cancelled on the way. */
export async function runOnce(job: RunJob): Promise<RunOutcome> {
  const { engine, input, layer, token } = job;
  const start = performance.now();
  job.setStatus("Preparing the model…");
  const runnable = await job.host.runnable(layer === null ? [] : [layer.index]);
  checkCancelled(token);
  measureSince("run: model ready", start);
  job.setStatus("Preparing the input…");
  const inputStart = performance.now();
  const feeds: Record<string, FeedData> = {};
  for (const [i, decl] of runnable.inputs.entries())
    feeds[decl.name] = i === 0 ? await input.feed(decl) : InputView.zeros(decl);
  measureSince("run: input", inputStart);
  checkCancelled(token);
  const layerEntry = layer === null ? undefined : runnable.layers.find((l) => l.index === layer.index);
  const layerValue = layerEntry?.notDrawn === undefined ? layerEntry?.value : undefined;
  const outputValues = runnable.outputs.map((name) => outputValue(runnable, name));
  const fetches = [...new Set([...outputValues, ...(layerValue === undefined ? [] : [layerValue])])];
  const engineStart = performance.now();
  const result = await engine.run(runnable, feeds, fetches, token);
  measureSince(`run: engine (${result.backend}${result.firstRun ? ", first" : ""})`, engineStart);
  checkCancelled(token);
  const maps: MapsOutput =
    layer === null
      ? null
      : layerEntry?.notDrawn !== undefined
        ? { notDrawn: layerEntry.notDrawn }
        : layerValue === undefined
          ? "missing"
          : (result.outputs.get(layerValue) ?? "missing");
  return { runnable, result, maps };
}
