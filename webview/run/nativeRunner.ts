/**
 * The extension host's engine (onnxruntime-node) as the Run engine sees it: inputs travel
 * as bytes of fresh typed arrays, outputs come back as Float32Arrays (never JSON number lists).
 */
import type { NativeTensor } from "../../src/protocol/messages";
import type { RequestClient } from "../../src/protocol/requests";

export interface NativeFeedData {
  readonly dtype: NativeTensor["dtype"];
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array;
}

export interface NativeResult {
  /** session.run on the host. */
  readonly ms: number;
  /** How the round trip splits: the host's whole handling, and the wait seen here (both in ms). */
  readonly timing: RoundTrip;
  readonly firstRun: boolean;
  readonly provider: "cpu" | "webgpu";
  readonly note?: string;
  readonly outputs: ReadonlyMap<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;
}

export interface RoundTrip {
  readonly hostMs: number;
  readonly roundTripMs: number;
}

/** What the engine needs from the host: run a published model by its URL. */
export interface NativeRunner {
  run(
    modelUri: string,
    feeds: Readonly<Record<string, NativeFeedData>>,
    fetches: readonly string[],
    /** Cancels the request: the host does not start a run it has not started yet. */
    signal?: AbortSignal,
  ): Promise<NativeResult>;
}

/** runNative on the host engine, through the one request helper. */
export function hostNativeRunner(client: RequestClient): NativeRunner {
  return {
    async run(modelUri, feeds, fetches, signal) {
      const tensors: NativeTensor[] = Object.entries(feeds).map(([name, f]) => ({
        name,
        dtype: f.dtype,
        dims: [...f.dims],
        // A copy with its own buffer: a view into a larger buffer would send all of it.
        bytes: new Uint8Array(f.data.buffer.slice(f.data.byteOffset, f.data.byteOffset + f.data.byteLength)),
      }));
      const start = performance.now();
      const r = await client.request(
        "runNative",
        { modelUri, feeds: tensors, fetches: [...fetches] },
        { signal },
      );
      return {
        ms: r.ms,
        timing: { hostMs: r.hostMs, roundTripMs: performance.now() - start },
        firstRun: r.firstRun,
        provider: r.provider,
        ...(r.note !== undefined ? { note: r.note } : {}),
        outputs: new Map(r.outputs.map((o) => [o.name, { dims: o.dims, data: float32(o.data) }])),
      };
    },
  };
}

/** A Float32Array as sent, or one made from a plain list (a host that serialised it). */
export function float32(data: ArrayLike<number>): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
