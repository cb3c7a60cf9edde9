/**
 * The Run tab's requests to the host, over the protocol's RequestClient: the runnable ONNX for a
 * set of layers (prepareRun) and a convolution's filters (getFilters), each asked once and kept (a
 * failed one is asked again next time). Split from RunPanel.
 */
import type { RunnableInfo, WebviewToHost } from "../../src/protocol/messages";
import { RequestClient } from "../../src/protocol/requests";
import { float32 } from "./nativeRunner";
import { layersKey, type FilterWeights } from "./runModel";

export class RunRequests {
  readonly client: RequestClient;
  private readonly runnables = new Map<string, Promise<RunnableInfo>>();
  private readonly filters = new Map<number, Promise<FilterWeights>>();

  constructor(post: (message: WebviewToHost) => void) {
    this.client = new RequestClient(post);
  }

  /** The host builds the runnable model exposing `layers` (and loads it into the host engine). */
  runnable(layers: readonly number[]): Promise<RunnableInfo> {
    const key = layersKey(layers);
    let p = this.runnables.get(key);
    if (p === undefined) {
      p = this.client.request("prepareRun", { layers: [...layers] }).then((r) => r.runnable);
      this.runnables.set(key, p);
      p.catch(() => this.runnables.delete(key));
    }
    return p;
  }

  /** The weights of convolution `layerIndex`; `asking` is called when they are asked for now (not kept). */
  filterWeights(layerIndex: number, asking: () => void): Promise<FilterWeights> {
    let p = this.filters.get(layerIndex);
    if (p === undefined) {
      asking();
      p = this.client
        .request("getFilters", { layerIndex })
        .then(({ layerIndex, dims, data }) => ({ layerIndex, dims, data: float32(data) }));
      this.filters.set(layerIndex, p);
      p.catch(() => this.filters.delete(layerIndex));
    }
    return p;
  }
}
