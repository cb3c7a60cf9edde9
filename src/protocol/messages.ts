/**
 * The one protocol between the extension host and the inspector webview.
 * Both sides import these types; nothing else crosses the boundary.
 */
import type { ModelAnalysis } from "../core/analysis/result";
import type { TorchColumn } from "../core/analysis/torchColumn";
import type { GraphMethod } from "../core/explain/methods";
import type { SeedInput } from "../core/onnx/backward";
import type { OutputView } from "../core/onnx/channelsFirst";

/** One step of the host's work, stamped with Date.now() (the webview's clock is the same machine's). */
export interface HostStamp {
  readonly step: string;
  readonly at: number;
}

export type HostToWebview =
  /** Sent while the host reads and analyses the file. */
  | { readonly type: "loading"; readonly file: string }
  /** The finished analysis; `pytorch`: what Check with PyTorch traced for it (the PyTorch column). */
  | {
      readonly type: "analysis";
      readonly file: string;
      readonly analysis: ModelAnalysis;
      readonly pytorch?: TorchColumn;
    }
  /** Bad input or a failure: one line for the user. */
  | { readonly type: "error"; readonly file: string; readonly message: string }
  /** When the host did each step of opening the inspector: where the wait goes (the product bench). */
  | { readonly type: "hostTimes"; readonly stamps: readonly HostStamp[] }
  /** Select (and scroll to) a layer, e.g. from a command. */
  | { readonly type: "selectLayer"; readonly index: number }
  /** What the Run panel needs: where onnxruntime-web's files are, the backend setting, samples, labels. */
  | { readonly type: "runtime"; readonly runtime: RuntimeInfo }
  /** The model to run, built for a prepareRun request. */
  | { readonly type: "runnable"; readonly requestId: number; readonly runnable: RunnableInfo }
  /** An image the user picked from the workspace (pickImage). */
  | { readonly type: "image"; readonly requestId: number; readonly name: string; readonly uri: string }
  /** A convolution's weights for the filter view (getFilters). */
  | {
      readonly type: "filters";
      readonly requestId: number;
      readonly layerIndex: number;
      readonly dims: readonly number[];
      readonly data: Float32Array;
    }
  /**
   * The backward graph built for a prepareExplain request; `map` names the output holding the map,
   * `seed` the input the runner feeds with the class or channel (seedValues), when it has one.
   */
  | {
      readonly type: "explainRunnable";
      readonly requestId: number;
      readonly runnable: RunnableInfo;
      readonly map: string;
      readonly seed?: SeedInput;
      /** The output with the layer's activations, when the graph gives them (deconvnet). */
      readonly layer?: string;
    }
  /**
   * Outputs of a runNative request (float32 each, own buffers); `ms` is session.run alone, `hostMs`
   * the host's whole handling (feeds in, run, outputs out): the rest of a round trip is transfer.
   */
  | {
      readonly type: "nativeResult";
      readonly requestId: number;
      readonly ms: number;
      readonly hostMs: number;
      readonly firstRun: boolean;
      /** Where the host engine ran it: its CPU, or its GPU (convlens.hostGpu, checked against the CPU). */
      readonly provider: "cpu" | "webgpu";
      /** For the user, e.g. why the host GPU was not used for this model. */
      readonly note?: string;
      readonly outputs: readonly {
        readonly name: string;
        readonly dims: readonly number[];
        readonly data: Float32Array;
      }[];
    }
  /** The labels file the user chose (pickLabels). */
  | { readonly type: "labels"; readonly requestId: number; readonly labels: LabelsFile }
  /** A runtime request failed: one line for the user. */
  | { readonly type: "requestFailed"; readonly requestId: number; readonly message: string }
  /** Open the Run tab (palette commands Show Feature Maps / Show Filters / Run Model on Image…). */
  | { readonly type: "showRun"; readonly view: "predictions" | "featureMaps" | "filters" };

/** "native": onnxruntime-node in the extension host; the others are onnxruntime-web in the webview. */
export type Backend = "webgpu" | "native" | "wasm" | "webgl";

/** One input tensor sent to the host engine: the bytes of a typed array of `dtype`. */
export interface NativeTensor {
  readonly name: string;
  readonly dtype: "float32" | "int64" | "int32";
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/**
 * An input as a runNative request carries it: `key` is the SHA-1 (hex) of its bytes, and the bytes
 * are left out when the webview sent that input before (a later run on the same picture). A host that
 * no longer keeps them fails with INPUT_NOT_KEPT, and the webview sends them again.
 */
export interface SentTensor extends Omit<NativeTensor, "bytes"> {
  readonly key?: string;
  readonly bytes?: Uint8Array;
}

/** A runNative request named an input by its key alone, and the host does not keep it (any more). */
export const INPUT_NOT_KEPT = "the host engine no longer keeps this input";

export interface RuntimeInfo {
  /** Folder URL holding onnxruntime-web's .wasm/.mjs files (for ort.env.wasm.wasmPaths). */
  readonly ortBase: string;
  /**
   * convlens.backend: "auto" = WebGPU on a real GPU, else the host engine, else wasm; WebGL only when forced
   * and self-checked.
   */
  readonly backend: "auto" | Backend;
  /** Whether the host engine (onnxruntime-node) loads here; `why` when it does not. */
  readonly native: { readonly available: boolean; readonly why?: string };
  readonly samples: readonly { readonly name: string; readonly uri: string }[];
  /**
   * Class names from a labels file (one per line): the one the user chose, else labels.txt beside the model.
   */
  readonly labels: LabelsFile | null;
  /** The 1,000 ImageNet-1k class names shipped with the extension (media/imagenet1k-labels.txt). */
  readonly imagenetLabels: readonly string[] | null;
  /** False when this model cannot be run (e.g. it cannot be written back as ONNX); `whyNot` says why. */
  readonly canRun: boolean;
  readonly whyNot?: string;
  /** Why the Explain view explains nothing of this model (core/explain explainWhyNot), where it does not. */
  readonly explainWhyNot?: string;
  /** Restricted Mode (an untrusted folder): running is off until the user trusts the folder. */
  readonly restricted?: boolean;
  /**
   * The first input as the Run tab feeds it, where it differs from the file's: a channels-last
   * model's image input channels first (the runnable transposes it back).
   */
  readonly fedInput?: {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (number | string)[];
  };
}

/** Class names read from a file, and the file's name (shown as their source). */
export interface LabelsFile {
  readonly name: string;
  readonly names: readonly string[];
}

export interface RunnableInfo {
  /** Webview URL of the ONNX bytes to run (fetched, never posted). */
  readonly modelUri: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (number | string)[];
  }[];
  /** The model's own outputs. */
  readonly outputs: readonly string[];
  /**
   * How a channels-last model's image-like outputs are drawn: output name → its channels-first copy (a
   * value to fetch), or why it is not drawn (no known channel axis). Absent: drawn as they are.
   */
  readonly outputViews?: Readonly<Record<string, OutputView>>;
  /** Extra outputs exposing layers' first outputs: layer index → value name. */
  readonly layers: readonly {
    readonly index: number;
    readonly value: string;
    /** Why this layer's output is not drawn (a channels-last value with no known channel axis). */
    readonly notDrawn?: string;
  }[];
  /** Some weights were generated (He init, fixed seed): show a "random weights" banner. */
  readonly randomWeights: boolean;
  /** What this run does differently from the model's own framework (a quantized TFLite model's QDQ form). */
  readonly notes?: readonly string[];
  /**
   * Files the model's weights are in (ONNX external data: a backward graph refers to its model's
   * weights file): the name the model gives each, and the webview URL to fetch it from.
   */
  readonly externalData?: readonly { readonly path: string; readonly uri: string }[];
}

export type WebviewToHost =
  /** The webview has loaded its script and can receive messages. */
  | { readonly type: "ready" }
  /**
   * The analysis's table is painted and the page went idle: background work (preparing the Run tab's
   * model) may start without delaying what the user opened.
   */
  | { readonly type: "shown" }
  /** The user selected a layer (table row or graph node). */
  | { readonly type: "layerSelected"; readonly index: number }
  /** Ask the host to save the analysis as JSON next to the model. */
  | { readonly type: "exportJson" }
  /** An error inside the webview, for the host's log. */
  | { readonly type: "webviewError"; readonly message: string }
  /** Build the runnable model exposing these layers' outputs (indexes into analysis.layers). */
  | { readonly type: "prepareRun"; readonly requestId: number; readonly layers: readonly number[] }
  /**
   * Build a method's backward graph (runs forward + backward in one session); what each
   * method differentiates is its entry in core/explain/methods.ts. The class defaults to 0:
   * the webview sends the predicted one.
   */
  | {
      readonly type: "prepareExplain";
      readonly requestId: number;
      readonly method: GraphMethod;
      readonly layerIndex?: number;
      readonly channel?: number;
      readonly classIndex?: number;
    }
  /** Let the user pick a PNG/JPEG from the workspace. */
  | { readonly type: "pickImage"; readonly requestId: number }
  /** Let the user pick a labels file (one class name per line) for this model. */
  | { readonly type: "pickLabels"; readonly requestId: number }
  /** The weights of a convolution layer, for the filter grid. */
  | { readonly type: "getFilters"; readonly requestId: number; readonly layerIndex: number }
  /** Run a model the host built (by its modelUri) on the host engine. */
  | {
      readonly type: "runNative";
      readonly requestId: number;
      readonly modelUri: string;
      readonly feeds: readonly SentTensor[];
      readonly fetches: readonly string[];
    }
  /** Save a picture (data: URL of a PNG) where the user chooses. */
  | { readonly type: "savePng"; readonly name: string; readonly dataUrl: string }
  /**
   * Which backend ran and how long the forward pass took (for the log); on the host engine also its
   * whole handling and the round trip the webview waited (the difference is the transfer).
   */
  | {
      readonly type: "runStats";
      readonly backend: string;
      readonly ms: number;
      readonly hostMs?: number;
      readonly roundTripMs?: number;
    }
  /** Open VS Code's workspace trust editor (the Run tab's link in Restricted Mode). */
  | { readonly type: "manageTrust" }
  /** The webview no longer waits for request `cancels` (its Cancel): the host stops or drops its work. */
  | { readonly type: "cancelRequest"; readonly cancels: number };

/**
 * Every message type, as the keys of a record typed by the unions: a type added to a union
 * and not here (or left here after it was removed) does not compile, so the guards below
 * never drop a message the other side sends.
 */
const WEBVIEW_TO_HOST_TYPES: Record<WebviewToHost["type"], true> = {
  ready: true,
  shown: true,
  layerSelected: true,
  exportJson: true,
  webviewError: true,
  prepareRun: true,
  prepareExplain: true,
  pickImage: true,
  pickLabels: true,
  getFilters: true,
  runNative: true,
  savePng: true,
  runStats: true,
  manageTrust: true,
  cancelRequest: true,
};

const HOST_TO_WEBVIEW_TYPES: Record<HostToWebview["type"], true> = {
  loading: true,
  analysis: true,
  error: true,
  hostTimes: true,
  selectLayer: true,
  runtime: true,
  runnable: true,
  image: true,
  labels: true,
  filters: true,
  explainRunnable: true,
  nativeResult: true,
  requestFailed: true,
  showRun: true,
};

export const MESSAGE_TYPES = {
  webviewToHost: Object.keys(WEBVIEW_TO_HOST_TYPES) as WebviewToHost["type"][],
  hostToWebview: Object.keys(HOST_TO_WEBVIEW_TYPES) as HostToWebview["type"][],
};

function typeOf(m: unknown): string | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const t = (m as { type?: unknown }).type;
  return typeof t === "string" ? t : undefined;
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  const t = typeOf(m);
  return t !== undefined && Object.hasOwn(WEBVIEW_TO_HOST_TYPES, t);
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  const t = typeOf(m);
  return t !== undefined && Object.hasOwn(HOST_TO_WEBVIEW_TYPES, t);
}
