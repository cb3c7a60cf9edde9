/**
 * The extension host's engine (onnxruntime-node) as the Run engine sees it: inputs travel
 * as bytes of fresh typed arrays, outputs come back as Float32Arrays (never JSON number lists).
 */
import { INPUT_NOT_KEPT, type NativeTensor, type SentTensor } from "../../src/protocol/messages";
import { HostError, type RequestClient } from "../../src/protocol/requests";

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

/**
 * runNative on the host engine, through the one request helper. An input this runner sent before
 * (a later run on the same picture) is sent by the SHA-1 of its bytes alone: the bytes crossing the
 * webview messaging were most of a later run's time. A host that no longer keeps them says so
 * (INPUT_NOT_KEPT) and the bytes are sent again; without Web Crypto every run sends the bytes.
 */
export function hostNativeRunner(client: RequestClient): NativeRunner {
  /** Keys of the inputs the host was sent (and so may keep), most recent last. */
  const sent = new Set<string>();
  return {
    async run(modelUri, feeds, fetches, signal) {
      const start = performance.now();
      const tensors = Object.entries(feeds).map(([name, f]) => ({
        name,
        dtype: f.dtype,
        dims: [...f.dims],
        // A copy with its own buffer: a view into a larger buffer would send all of it.
        bytes: new Uint8Array(f.data.buffer.slice(f.data.byteOffset, f.data.byteOffset + f.data.byteLength)),
      }));
      const keys = await Promise.all(tensors.map((t) => sha1Hex(t.bytes)));
      const request = (resend: boolean) =>
        client.request(
          "runNative",
          {
            modelUri,
            feeds: tensors.map((t, i): SentTensor => {
              const key = keys[i];
              if (key === undefined) return t;
              return resend || !sent.has(key)
                ? { ...t, key }
                : { name: t.name, dtype: t.dtype, dims: t.dims, key };
            }),
            fetches: [...fetches],
          },
          { signal },
        );
      const r = await request(false).catch((e: unknown) => {
        if (e instanceof HostError && e.message === INPUT_NOT_KEPT) return request(true);
        throw e;
      });
      for (const key of keys) {
        if (key === undefined) continue;
        sent.delete(key);
        sent.add(key);
      }
      while (sent.size > 16) sent.delete(sent.values().next().value as string);
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

/** SHA-1 of `bytes` in hex, as node:crypto writes it; undefined where Web Crypto is not available. */
async function sha1Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return undefined;
  const digest = new Uint8Array(await subtle.digest("SHA-1", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A Float32Array as sent, or one made from a plain list (a host that serialised it). */
export function float32(data: ArrayLike<number>): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
