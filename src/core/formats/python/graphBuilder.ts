/**
 * Builds the IR graph while the interpreter traces `forward`, inferring each
 * node's output shape at once with the same op table the ONNX path uses, so
 * that `x.size(0)` or `x.view(x.size(0), -1)` see real numbers during the trace.
 */
import type { DType, Dim, Graph, Node, SourceInfo, Tensor, ValueInfo, AttrValue } from "../../ir/types";
import { opRule } from "../../ops/registry";
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

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly states = new Map<string, ValueState>();
  readonly initializers = new Map<string, Tensor>();
  readonly inputs: ValueInfo[] = [];
  readonly diagnostics: PyDiagnostic[] = [];
  /** Every shape error met while building, with the layer it came from (files have no spans to hang diagnostics on). */
  readonly shapeErrors: ShapeErrorAt[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;
  /** Traced values the source names (`x`, `out`): value → the first variable it was bound to. */
  readonly sourceNames = new Map<string, string>();
  /** Nodes a function or operator emitted (not a layer): node name → how the source spells it. */
  readonly spellings = new Map<string, string>();
  private spelling: string | undefined;

  constructor(readonly opset = 17) {}

  input(name: string, dtype: DType, shape: Dim[]): PyTensor {
    const state: ValueState = { dtype, shape };
    this.inputs.push({ name, dtype, shape });
    this.states.set(name, state);
    return { t: "tensor", value: name, state };
  }

  /** A layer parameter (or buffer); the same name again reuses it (a module called twice shares weights). */
  weight(
    name: string,
    dims: number[],
    role: "parameter" | "buffer" = "parameter",
    dtype: DType = "float32",
  ): string {
    if (!this.initializers.has(name)) {
      this.initializers.set(name, { name, dtype, dims, storage: { kind: "none" }, role });
      this.states.set(name, { dtype, shape: dims, tensor: this.initializers.get(name) as Tensor });
    }
    return name;
  }

  /** A small integer constant (shape, axes), not a parameter. */
  constInts(values: readonly (number | string)[]): string {
    const name = `const_${this.counter++}`;
    const numeric = values.every((v) => typeof v === "number");
    const t: Tensor = {
      name,
      dtype: "int64",
      dims: [values.length],
      storage: numeric ? { kind: "typed", values: values as number[] } : { kind: "none" },
    };
    this.initializers.set(name, t);
    this.states.set(name, { dtype: "int64", shape: [values.length], value: values });
    return name;
  }

  /** A float constant tensor that is part of the definition, not a learned weight (Resize scales, a zero bias half). */
  constFloats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `floats_${this.counter++}`;
    const t: Tensor = {
      name,
      dtype: "float32",
      dims,
      storage: { kind: "typed", values: [...values] },
      role: "buffer",
    };
    this.initializers.set(name, t);
    this.states.set(name, {
      dtype: "float32",
      shape: dims,
      tensor: t,
      ...(values.length <= 64 ? { value: [...values] } : {}),
    });
    return name;
  }

  /** A float scalar constant, e.g. the 2 in `x * 2`. */
  constScalar(v: number, dtype: DType = "float32"): string {
    const name = `scalar_${this.counter++}`;
    const t: Tensor = { name, dtype, dims: [], storage: { kind: "typed", values: [v] }, role: "buffer" };
    this.initializers.set(name, t);
    this.states.set(name, { dtype, shape: [], value: [v], tensor: t });
    return name;
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
    const count = opts.outputs ?? 1;
    const name = this.nodeName(opts.scope, opType);
    const outputs = Array.from({ length: count }, (_, i) => `${name}_output_${i}`);
    const node: Node = {
      name,
      opType,
      domain: "",
      inputs,
      outputs,
      attrs,
      ...(opts.layerType ? { layerType: opts.layerType } : {}),
      ...(opts.layerName ? { layer: opts.layerName } : {}),
      ...(opts.source ? { source: opts.source } : {}),
    };
    this.nodes.push(node);
    if (this.spelling !== undefined && !opts.layerType) this.spellings.set(name, this.spelling);
    const inStates = inputs.map((i) => (i === "" ? undefined : this.states.get(i)));
    let outStates: ValueState[] = [];
    const unknownInput = inStates.some((s, i) => inputs[i] !== "" && !s?.shape);
    const rule = opRule(opType, "");
    if (!unknownInput && rule) {
      try {
        outStates = rule.infer({ node, inputs: inStates, opset: this.opset });
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        this.shapeErrors.push({
          layer: opts.layerName ?? opts.scope,
          node: name,
          message: e.message,
          ...(e.sizes ? { sizes: e.sizes } : {}),
        });
        const span = opts.source?.call ?? opts.source?.def;
        const explained = opts.explain?.(e.message);
        if (span)
          this.diagnostics.push({
            span,
            message: explained?.message ?? e.message,
            severity: "error",
            ...(explained?.fixes ? { fixes: explained.fixes } : {}),
          });
      }
    }
    return outputs.map((o, i) => {
      const state: ValueState = outStates[i] ?? { dtype: inStates[0]?.dtype ?? "float32", shape: undefined };
      this.states.set(o, state);
      return { t: "tensor", value: o, state };
    });
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
