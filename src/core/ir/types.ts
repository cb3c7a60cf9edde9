/**
 * The graph IR every format reader produces and every analysis consumes.
 * Kept deliberately small: values carry a dtype and a shape whose dims are
 * numbers or symbols; weights are referenced, never copied.
 */

/** A dimension: a known size, or a symbol such as "N" or "batch". */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type DType =
  | "float32"
  | "float16"
  | "bfloat16"
  | "float64"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "bool"
  | "string"
  | "complex64"
  | "complex128"
  | "float8"
  | "int4"
  | "uint4"
  | "unknown";

/** Where a tensor's bytes are: a view into the model file, a file beside it, or nowhere (weightless). */
export type TensorStorage =
  | { kind: "inline"; bytes: Uint8Array }
  | { kind: "typed"; values: ArrayLike<number> }
  | { kind: "external"; location: string; offset: number; length: number }
  | { kind: "none" };

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly storage: TensorStorage;
  /** "buffer" = state that is not a trainable parameter (BatchNorm running statistics in source models). */
  readonly role?: "parameter" | "buffer";
}

/** Where a node comes from in a source-defined model (character offsets). */
export interface SourceInfo {
  /** The call that ran it (a forward line). */
  readonly call?: { readonly from: number; readonly to: number };
  /** The layer's definition (e.g. `self.conv1 = nn.Conv2d(...)` in __init__). */
  readonly def?: { readonly from: number; readonly to: number };
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /** undefined when the file gives no shape. */
  readonly shape: Shape | undefined;
}

/** Attribute values as the analysis needs them; a nested graph (If / Loop / Scan body) is read in full. */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | Tensor
  | { readonly kind: "graph"; readonly nodeCount: number; readonly graph: Graph }
  | { readonly kind: "other" };

export interface Node {
  /** Name as written in the file (may be empty in the file; readers fill a unique one). */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** Input value names; "" marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** ONNX attribute type codes as read, so that re-writing keeps 1.0 a FLOAT (numbers lose that). */
  readonly attrTypes?: Readonly<Record<string, number>>;
  /**
   * The layer this node belongs to, when the format names layers itself (Caffe "inception_3a/1x1", Darknet
   * "12").
   */
  readonly layer?: string;
  /** The framework's own name for the layer type (e.g. "Conv2d"), when it differs from opType. */
  readonly layerType?: string;
  readonly source?: SourceInfo;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  /** Inputs that must be fed (initializers excluded). */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Shapes the file states for intermediate values: a cross-check, never a source. */
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
}

/** Where a tensor keeps its channels: NCHW or NHWC (and the like for other ranks). */
export type Layout = "channels_first" | "channels_last";

export interface Model {
  readonly format: string;
  readonly graph: Graph;
  /** Opset per domain; "" is the default ONNX domain. */
  readonly opsets: Readonly<Record<string, number>>;
  readonly producer: string;
  readonly irVersion: number;
  /** True when weights are referenced but not present (external data missing). */
  readonly weightless: boolean;
  /**
   * Where graph inputs keep their channels (TFLite: last; Keras: as its layers' data_format say); absent =
   * channels first (NCHW). "mixed": a Keras model whose layers disagree, each input's layout in inputLayouts.
   */
  readonly layout?: Layout | "mixed";
  /** A mixed model's inputs by their layout; one not here is read both ways or by no layout (unknown). */
  readonly inputLayouts?: ReadonlyMap<string, Layout>;
  /**
   * What the reader wants the user to know about the file (parts it did not read), shown with the model's
   * warnings.
   */
  readonly notes?: readonly string[];
  /**
   * What running the converted graph on onnxruntime does differently from the framework that wrote the file.
   */
  readonly runNotes?: readonly string[];
  /** Layers the reader kept in place but could not follow: their parameters are not known (path and why). */
  readonly paramsUnknown?: readonly { readonly path: string; readonly reason: string }[];
}

/** Errors a reader or analysis reports to the user: one line, no stack. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelError";
  }
}
