/**
 * deconvnet's strongest unit and map: after a forward pass that gave the layer's activations, or
 * from one graph that gives them itself (the host's GraphRequest.exposeLayer). No DOM.
 */
import type { OutputData } from "../engine";
import type { ExplainParams } from "./explainModel";
import { maxOnlyIn, strongestUnit } from "./mapMath";

/** Runs deconvnet's graph for these parameters: the map, and the layer's activations if it gives them. */
export type DeconvnetRun = (
  p: ExplainParams,
) => Promise<{ out: OutputData; randomWeights: boolean; layerMap?: OutputData }>;
type Unit = ReturnType<typeof strongestUnit>;

/** deconvnet after a forward pass gave the layer's activations: the strongest unit's channel is fed. */
export async function deconvnetAfterForward(
  layerMap: OutputData | undefined,
  channel: number | null,
  run: DeconvnetRun,
  withLayer: ExplainParams,
): Promise<{ unit: Unit; out: OutputData; randomWeights: boolean }> {
  if (layerMap === undefined) throw new Error("the runtime did not return the layer's output");
  const unit = strongestUnit(layerMap.data, layerMap.dims, channel ?? undefined);
  return { unit, ...(await run({ ...withLayer, channel: unit.channel })) };
}

/**
 * deconvnet in one graph that also gives the layer's activations: run with the chosen channel, or
 * with any channel (the graph then projects the largest units of the whole map). Unless those all
 * lie in the strongest unit's channel (a tie across channels, another frame), the graph is run
 * again for that channel alone: the map is always the one of the strongest unit's channel.
 */
export async function deconvnetInOneGraph(
  channel: number | null,
  run: DeconvnetRun,
  withLayer: ExplainParams,
): Promise<{ unit: Unit; out: OutputData; randomWeights: boolean }> {
  const r = await run(channel === null ? withLayer : { ...withLayer, channel });
  if (r.layerMap === undefined) throw new Error("the runtime did not return the layer's output");
  const unit = strongestUnit(r.layerMap.data, r.layerMap.dims, channel ?? undefined);
  if (channel !== null || maxOnlyIn(r.layerMap.data, r.layerMap.dims, unit.channel, unit.value))
    return { unit, out: r.out, randomWeights: r.randomWeights };
  return { unit, ...(await run({ ...withLayer, channel: unit.channel })) };
}
