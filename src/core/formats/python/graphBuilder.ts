/**
 * Builds the IR graph while the interpreter traces `forward`, inferring each
 * node's output shape at once with the same op table the ONNX path uses, so
 * that `x.size(0)` or `x.view(x.size(0), -1)` see real numbers during the trace.
 */
import type { DType, Dim, Graph, Node, SourceInfo, ValueInfo, AttrValue } from "../../ir/types";
import { InferringGraph } from "../inferringGraph";
import { ShapeError, type ValueState } from "../../ops/types";
import type { Span } from "./ast";
import type { PyTensor } from "./values";

export interface QuickFix {
  readonly span: Span;
  readonly replacement: string;
  readonly title: string;
}

export interface PyDiagnostic {
  readonly span: Span;
  readonly message: string;
  readonly severity: "error" | "warning" | "info";
  readonly fixes?: readonly QuickFix[];
}

export interface OpOptions {
  /** Module path the node runs in ("" = the root model). */
  readonly scope: string;
  readonly layerType?: string;
  /** The layer name when the framework names layers itself (Keras "conv2d_1"), used as-is. */
  readonly layerName?: string;
  readonly source?: SourceInfo;
  readonly outputs?: number;
  /** The op's domain: "" (ONNX) unless the op is one of ConvLens's own (ops/kerasOps.ts). */
  readonly domain?: string;
  /** Turns a shape error into a diagnostic with a fix (e.g. the Linear in_features constant). */
  readonly explain?: (message: string) => { message: string; fixes?: QuickFix[] } | undefined;
}

/** A shape error met while building: where, why, and the two numbers that disagree when there are two. */
export interface ShapeErrorAt {
  readonly layer: string;
  readonly node: string;
  readonly message: string;
  readonly sizes?: readonly [number, number];
}

export class GraphBuilder extends InferringGraph {
  readonly inputs: ValueInfo[] = [];
  readonly diagnostics: PyDiagnostic[] = [];
  /**
   * Every shape error met while building, with the layer it came from (files have no spans to hang
   * diagnostics on).
   */
  readonly shapeErrors: ShapeErrorAt[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;
  /** Traced values the source names (`x`, `out`): value → the first variable it was bound to. */
  readonly sourceNames = new Map<string, string>();
  /** Nodes a function or operator emitted (not a layer): node name → how the source spells it. */
  readonly spellings = new Map<string, string>();
  private spelling: string | undefined;
  /** A layer subclass's own forward being run: nodes in its scope are that layer's (asLayer). */
  private layer: { scope: string; type: string; source: SourceInfo } | undefined;

  input(name: string, dtype: DType, shape: Dim[]): PyTensor {
    const state: ValueState = { dtype, shape };
    this.inputs.push({ name, dtype, shape });
    this.states.set(name, state);
    return { t: "tensor", value: name, state };
  }

  /** A small integer constant (shape, axes), not a parameter. */
  constInts(values: readonly (number | string)[]): string {
    return this.constant(`const_${this.counter++}`, "int64", [values.length], values, { always: true });
  }

  /**
   * A float constant tensor that is part of the definition, not a learned weight (Resize scales, a zero bias
   * half).
   */
  constFloats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(`floats_${this.counter++}`, "float32", dims, values, { role: "buffer" });
  }

  /** A float scalar constant, e.g. the 2 in `x * 2`. */
  constScalar(v: number, dtype: DType = "float32"): string {
    return this.constant(`scalar_${this.counter++}`, dtype, [], [v], { role: "buffer" });
  }

  /** Run `emit` as the call the source spells `spelling` (`F.relu`, `view`, `+`): its nodes carry it. */
  spelled<T>(spelling: string, emit: () => T): T {
    const outer = this.spelling;
    this.spelling = spelling;
    try {
      return emit();
    } finally {
      this.spelling = outer;
    }
  }

  /**
   * Run `emit` as the forward of a layer subclass (timm's Conv2dSame, BatchNormAct2d): the nodes it
   * emits in the layer's own scope are rows of that layer, of its type, at the module's call, as
   * PyTorch counts the module as one layer; its submodules' nodes stay theirs.
   */
  asLayer<T>(scope: string, type: string, source: SourceInfo, emit: () => T): T {
    const outer = this.layer;
    this.layer = { scope, type, source };
    try {
      return emit();
    } finally {
      this.layer = outer;
    }
  }

  /** The source binds a traced value to a variable; the first name it gets is the one it is shown by. */
  nameValue(value: string, name: string): void {
    if (this.states.has(value) && !this.initializers.has(value) && !this.sourceNames.has(value))
      this.sourceNames.set(value, name);
  }

  private nodeName(scope: string, opType: string): string {
    const parts = scope ? scope.split(".") : [];
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("."));
    const base = `/${[...prefixes, opType].join("/")}`;
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** Add a node and infer its outputs now. Unknown inputs give unknown outputs without a new diagnostic. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue>,
    opts: OpOptions,
  ): PyTensor[] {
    if (this.layer && opts.scope === this.layer.scope && !opts.layerName)
      opts = { ...opts, layerType: this.layer.type, source: this.layer.source };
    const count = opts.outputs ?? 1;
    const name = this.nodeName(opts.scope, opType);
    const outputs = Array.from({ length: count }, (_, i) => `${name}_output_${i}`);
    const node: Node = {
      name,
      opType,
      domain: opts.domain ?? "",
      inputs,
      outputs,
      attrs,
      ...(opts.layerType ? { layerType: opts.layerType } : {}),
      ...(opts.layerName ? { layer: opts.layerName } : {}),
      ...(opts.source ? { source: opts.source } : {}),
    };
    if (this.spelling !== undefined && !opts.layerType) this.spellings.set(name, this.spelling);
    const { states, error } = this.addNode(node);
    if (error !== undefined) {
      if (!(error instanceof ShapeError)) throw error;
      this.shapeErrors.push({
        layer: opts.layerName ?? opts.scope,
        node: name,
        message: error.message,
        ...(error.sizes ? { sizes: error.sizes } : {}),
      });
      const span = opts.source?.call ?? opts.source?.def;
      const explained = opts.explain?.(error.message);
      if (span)
        this.diagnostics.push({
          span,
          message: explained?.message ?? error.message,
          severity: "error",
          ...(explained?.fixes ? { fixes: explained.fixes } : {}),
        });
    }
    return outputs.map((o, i) => ({ t: "tensor", value: o, state: states[i]! }));
  }

  tensor(name: string): PyTensor {
    return {
      t: "tensor",
      value: name,
      state: this.states.get(name) ?? { dtype: "float32", shape: undefined },
    };
  }

  graph(outputs: readonly string[]): Graph {
    return {
      name: "traced",
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: outputs.map((o) => ({
        name: o,
        dtype: this.states.get(o)?.dtype ?? "float32",
        shape: undefined,
      })),
      initializers: this.initializers,
      valueInfo: new Map(),
    };
  }
}
