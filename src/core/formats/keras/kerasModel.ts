/**
 * A Keras model as both front ends describe it — Python source (keras.ts records the
 * layers while the module runs) and saved files (kerasFile.ts reads `model.to_json()`,
 * `.keras` archives and legacy `.h5`): layers with their `get_config()` values by name,
 * wired into a graph of symbolic tensors. kerasBuild.ts turns it into the IR.
 */
import type { Dim, SourceInfo } from "../../ir/types";

/** A config value as JSON holds it (tuples are lists). */
export type KValue =
  null | boolean | number | string | readonly KValue[] | { readonly [key: string]: KValue };
export type KObject = { readonly [key: string]: KValue };

export interface KerasLayer {
  /** The Keras class name ("Conv2D", "LSTM", "Bidirectional"). */
  readonly type: string;
  readonly name: string;
  /** Constructor arguments by their Keras names, as `get_config()` writes them. */
  readonly config: KObject;
  /** Arguments the source computes at run time (not constants), by name, with why each is not known. */
  readonly notConstant?: ReadonlyMap<string, string>;
  /** A model used as a layer (a Sequential inside a functional model). */
  readonly model?: KerasModel;
  readonly source?: SourceInfo;
  /** Why the layer cannot be followed (a value in a Sequential that is not a known layer). */
  readonly unknownReason?: string;
}

export type KerasDType = "float32" | "int64";

/** A symbolic tensor: a model input, or one output of a layer applied to tensors. */
export type KNode =
  | {
      readonly kind: "input";
      readonly name: string;
      readonly shape: readonly Dim[];
      readonly dtype: KerasDType;
    }
  | {
      readonly kind: "apply";
      readonly layer: KerasLayer;
      readonly inputs: readonly KRef[];
      /** The source's own layer whose call() made this node: shown as that layer. */
      readonly within?: KerasLayer;
    };

/** Output `index` of a node (layers with return_state give several). */
export interface KRef {
  readonly node: KNode;
  readonly index: number;
}

export interface KerasModel {
  readonly name: string;
  /**
   * A Sequential model: its layers in order (the input comes from `input`, the first layer, or
   * `buildInputShape`).
   */
  readonly layers?: readonly KerasLayer[];
  readonly input?: Extract<KNode, { kind: "input" }>;
  /** Sequential `build_input_shape` (Keras 3), batch included. */
  readonly buildInputShape?: readonly Dim[];
  /** A functional model: its inputs and outputs. */
  readonly inputs?: readonly Extract<KNode, { kind: "input" }>[];
  readonly outputs?: readonly KRef[];
  /** Why outputs given to Model(inputs, outputs) are not Keras tensors (their values became unknown). */
  readonly outputsUnknown?: readonly string[];
  /**
   * The order to build nodes in (layer creation order, as model.summary() lists them); else depth-first from
   * the outputs.
   */
  readonly order?: readonly KNode[];
}

export function isObject(v: KValue | undefined): v is KObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keras 3 writes some tuples as {"class_name": "__tuple__", "config": {"value": [...]}}. */
export function untuple(v: KValue | undefined): KValue | undefined {
  if (isObject(v) && v["class_name"] === "__tuple__" && isObject(v["config"])) return v["config"]["value"];
  return v;
}

/** Dims as Keras writes shapes: null (None) stays a symbol. */
export function shapeDims(v: KValue | undefined): Dim[] | undefined {
  const list = untuple(v);
  if (!Array.isArray(list)) return undefined;
  const dims = (list as readonly KValue[]).map((d): Dim | undefined =>
    d === null ? "None" : typeof d === "number" && Number.isInteger(d) && d >= 0 ? d : undefined,
  );
  return dims.every((d) => d !== undefined) ? (dims as Dim[]) : undefined;
}

/** Keras dtype names: integer inputs are indices (Embedding), everything else runs as float32. */
export function kerasDType(v: KValue | undefined): KerasDType {
  const name = isObject(v) && isObject(v["config"]) ? v["config"]["name"] : v;
  return typeof name === "string" && /^u?int/.test(name) ? "int64" : "float32";
}
