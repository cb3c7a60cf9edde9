/** What every backward rule shares: the methods, the emitter it writes to, and its contract. */
import type { AttrValue, Dim, Node } from "../ir/types";
import { numeric } from "../ops/dims";

/** How rectifying layers pass the gradient back (the methods of core/explain/methods.ts pick one). */
export type Rectification = "saliency" | "guided" | "deconvnet" | "guided_all_act" | "deconvnet_all_act";

/** Emits nodes into the backward graph. */
export interface GradEmitter {
  /** Add a node; returns its output value names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    outputs?: number,
  ): string[];
  /** int64 constant, 1-D unless dims says otherwise ([] for a scalar). */
  constInts(values: readonly number[], dims?: readonly number[]): string;
  constFloats(values: readonly number[], dims: readonly number[]): string;
  shapeOf(value: string): readonly Dim[] | undefined;
}

export interface GradContext {
  readonly node: Node;
  /** Gradient of the node's first output. */
  readonly dy: string;
  readonly method: Rectification;
  readonly e: GradEmitter;
  /** Whether a value is computed from the graph input (else a weight or a constant: no gradient). */
  readonly isData: (value: string) => boolean;
  /** The values of a constant input (an initializer: Pad's pads), else undefined. */
  readonly constant: (value: string) => readonly number[] | undefined;
}

/** Returns the gradient for each data input position (undefined = no gradient flows there). */
export type GradRule = (c: GradContext) => (string | undefined)[];

export class NoRule extends Error {}

/** A shape every dim of which is a number, else no rule applies. */
export function knownShape(shape: readonly Dim[] | undefined, what: string): number[] {
  const dims = numeric(shape);
  if (!dims) throw new NoRule(`the shape of ${what} is not known`);
  return [...dims];
}
