/**
 * Messages between the host engine's worker thread (src/host/engineWorker.ts) and its client
 * (workerEngine.ts). Every tensor and model crosses as a transferred ArrayBuffer, never copied (or a
 * model as its file's path).
 */
import type { GraphLevel, ModelSource, NativeDtype } from "./nativeEngine";

export interface WireTensor {
  readonly name: string;
  readonly dtype: NativeDtype;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array;
}

export type EngineRequest =
  /** Run `key`; `model` is sent when the worker may not hold its session (first use, evicted). */
  | {
      readonly type: "run";
      readonly job: number;
      readonly key: string;
      readonly model?: ModelSource;
      /** The optimisation level of the session created from `model`. */
      readonly level?: GraphLevel;
      readonly feeds: readonly WireTensor[];
      readonly fetches: readonly string[];
    }
  /** Create the session of `key` ahead of its first run. */
  | { readonly type: "warm"; readonly key: string; readonly model: ModelSource; readonly level: GraphLevel }
  | { readonly type: "drop"; readonly key: string }
  /** Load onnxruntime now (a model is being prepared): its first session does not wait for it. */
  | { readonly type: "start" };

export type EngineResponse =
  | {
      readonly job: number;
      readonly ok: true;
      readonly ms: number;
      readonly firstRun: boolean;
      readonly outputs: readonly {
        readonly name: string;
        readonly dims: readonly number[];
        readonly data: Float32Array;
      }[];
    }
  | { readonly job: number; readonly ok: false; readonly message: string }
  /**
   * The worker holds no session of the run's key (evicted since): the run is asked again with its
   * model; the feeds come back (transferred) for it.
   */
  | {
      readonly job: number;
      readonly ok: false;
      readonly needModel: true;
      readonly feeds: readonly WireTensor[];
    };
