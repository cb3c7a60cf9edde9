/**
 * What an op's table entry holds: its shape rule, its cost rule and its
 * receptive-field rule, side by side. The analysis walks the graph and asks
 * the entry of each node; nothing about an op lives anywhere else.
 */
import type { AxisField, ValueField } from "../fields/receptiveField";
import type { AttrValue, Dim, DType, Graph, Node, Shape, Tensor } from "../ir/types";
import type { AttrSpec } from "./attrSchemas";

/** A constant's values (flattened); symbols appear where a Shape op read a symbolic dim. */
export type ConstValues = readonly (number | string)[];

/** A sequence's tensors: each one's state when their number is known, else one state all of them fit. */
export interface SequenceState {
  readonly items?: readonly ValueState[];
  readonly item?: ValueState;
}

/** What the analysis knows about one value. */
export interface ValueState {
  readonly dtype: DType;
  /** undefined = unknown. */
  readonly shape: Shape | undefined;
  /** Small constant contents (shape arithmetic), when known. */
  readonly value?: ConstValues;
  /** The initializer it is (or aliases through Identity), for weights. */
  readonly tensor?: Tensor;
  /** Set when the value is a sequence of tensors (its shape is then undefined). */
  readonly sequence?: SequenceState;
  /** Why some dims are named symbols (or the shape unknown): the run-time value they depend on. */
  readonly reason?: string;
}

/** One node of a nested graph: where it is, its outputs, its MACs for one run of that graph. */
export interface BodyRow {
  /** The graph attribute it is in ("body", "then_branch"), nested ones joined by "/". */
  readonly graph: string;
  readonly id: string;
  readonly opType: string;
  /** As the analysis's ValueSummary: null shape = unknown. */
  readonly outputs: readonly {
    readonly name: string;
    readonly dtype: DType;
    readonly shape: readonly Dim[] | null;
  }[];
  readonly macs: number | null;
}

/** What analysing a nested graph (an If branch, a Loop or Scan body) once gives. */
export interface SubgraphResult {
  /** One per graph output. */
  readonly outputs: readonly ValueState[];
  /** MACs of one run of the graph; null when some node's are unknown. */
  readonly macs: number | null;
  /** Its nodes' "unknown: …" / "symbolic: …" / "shape error: …" notes, each prefixed with the node's name. */
  readonly notes: readonly string[];
  /** Parameters its nodes read (its own initializers or the outer graph's), as a layer would count them. */
  readonly weights: readonly { readonly name: string; readonly tensor: Tensor }[];
  /** Its nodes (nested graphs' ones after their node, their graph prefixed), for the details. */
  readonly rows: readonly BodyRow[];
}

/** One quantized value of a quantized op: `value` is an input position, or "output" (the first). */
export interface QuantSlot {
  readonly role: "input" | "weight" | "output";
  readonly value: number | "output";
  /** Input positions of its scale and zero point (a zero point may be omitted: uint8 0). */
  readonly scale?: number;
  readonly zeroPoint?: number;
}

export interface OpContext {
  readonly node: Node;
  /** One per node input; undefined for omitted or unknown inputs. */
  readonly inputs: readonly (ValueState | undefined)[];
  readonly opset: number;
  /**
   * Analyses a nested graph of this node with these states for its inputs; outer values it reads
   * come from the enclosing graphs. Absent where the caller cannot (then control flow is unknown).
   */
  readonly subgraph?: (graph: Graph, inputs: readonly (ValueState | undefined)[]) => SubgraphResult;
}

/** Thrown by a shape rule when the node is inconsistent; becomes a node warning. */
export class ShapeError extends Error {
  /**
   * @param sizes the two numbers that disagree (what arrives, what the node needs), when the error is
   * one number against another: an assumed input size can then be solved for (PyTorch source).
   */
  constructor(
    message: string,
    readonly sizes?: readonly [number, number],
  ) {
    super(message);
  }
}

export interface RfContext extends OpContext {
  readonly fields: readonly (ValueField | undefined)[];
  readonly outputs: readonly ValueState[];
}

/** What a lowering rule builds with; each returns the name of the value it makes. */
export interface LoweringBuilder {
  /** A standard (default-domain) node with this op, inputs and attributes; its output. */
  readonly emit: (opType: string, inputs: string[], attrs?: Node["attrs"]) => string;
  /** A float32 scalar constant. */
  readonly scalar: (v: number) => string;
  /** An int64 vector constant. */
  readonly ints: (v: number[]) => string;
}

export interface OpRule {
  /** Output states, one per node output. Throw ShapeError for inconsistent inputs. */
  readonly infer: (ctx: OpContext) => ValueState[];
  /** Multiply-accumulates of one run; absent = 0. null when a needed dim is unknown. */
  readonly macs?: (ctx: OpContext, outputs: readonly ValueState[]) => number | null;
  /**
   * Receptive field of the first output. "elementwise" = union of the inputs, broadcast
   * from the right; "global" = any spatial input makes it global; "none" = not a data path.
   */
  readonly rf: "elementwise" | "global" | "none" | ((ctx: RfContext) => ValueField | undefined);
  /** Fields of every output where they differ from the first's (a channel split); absent = all alike. */
  readonly rfOutputs?: (ctx: RfContext) => (ValueField | undefined)[];
  /** Inputs (by position) that are weights of the layer, counted as its parameters. */
  readonly weightInputs?: readonly number[];
  /** Notes for the node's details beyond its outputs' reasons (why MACs are unknown, a body's problems). */
  readonly notes?: (ctx: OpContext, outputs: readonly ValueState[]) => readonly string[];
  /** The nodes of its nested graphs, for the details (If / Loop / Scan). */
  readonly bodyRows?: (ctx: OpContext) => readonly BodyRow[];
  /** Parameters the node reads beyond its inputs (a Loop body's weights). */
  readonly innerWeights?: (ctx: OpContext) => SubgraphResult["weights"];
  /** The op reads sequence values (Sequence* ops); any other op with a sequence input is unknown. */
  readonly takesSequences?: true;
  /** The outputs' shapes do not depend on the inputs' (OptionalHasElement): unknown inputs do not stop it. */
  readonly shapeFreeInputs?: true;
  /** Quantized values of a quantized op: which input (or output) with which scale and zero-point inputs. */
  readonly quantSlots?: readonly QuantSlot[];
  /**
   * How onnxruntime (opset 17) runs an op it does not have: the node rewritten as standard ops, built
   * with the builder; returns the value that replaces the node's first output. Throws with the reason
   * where this node cannot be run. Absent: the node runs as it is (or, in a framework domain, not at all).
   */
  readonly lower?: (node: Node, b: LoweringBuilder) => string;
  /**
   * The ONNX opset that added this op, where it is newer than the opset 17 the source readers declare:
   * such a model is refused for running in one line (onnxruntime would not find an implementation).
   */
  readonly sinceOpset?: number;
  /** The op's attributes (name, type, default); absent: the registry fills in ATTR_SCHEMAS's entry. */
  readonly attrs?: readonly AttrSpec[];
}

export type { AttrValue, AxisField };
