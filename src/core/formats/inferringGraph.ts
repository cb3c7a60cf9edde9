/**
 * What every reader that builds its IR graph layer by layer shares: initializers registered with
 * their value states, and nodes whose outputs are inferred as they are added, with the one op table
 * (a later layer sizes its weights from earlier outputs; Python's `x.size(0)` needs real numbers
 * while the forward is traced). The shared analysis still runs on the finished graph.
 */
import type { DType, Node, Tensor } from "../ir/types";
import { constantTensor, weightTensor } from "../ir/tensorData";
import { opRule } from "../ops/registry";
import type { ValueState } from "../ops/types";

/** Constant values up to this many elements are visible to shape rules (folding) while building. */
const KNOWN_VALUES_UP_TO = 64;

export class InferringGraph {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly states = new Map<string, ValueState>();

  constructor(readonly opset = 17) {}

  /** A layer parameter (or buffer); the same name again reuses it (a module called twice shares weights). */
  weight(
    name: string,
    dims: number[],
    role: "parameter" | "buffer" = "parameter",
    dtype: DType = "float32",
  ): string {
    if (!this.initializers.has(name)) {
      const t = weightTensor(name, dims, role, dtype);
      this.initializers.set(name, t);
      this.states.set(name, { dtype, shape: dims, tensor: t });
    }
    return name;
  }

  /**
   * A constant of the definition. Its values reach the shape rules when `always` (shape and axis
   * vectors) or when small (scales, bounds); a per-channel constant stays a tensor only.
   */
  constant(
    name: string,
    dtype: DType,
    dims: readonly number[],
    values: readonly (number | string)[],
    opts: { role?: "buffer"; always?: boolean } = {},
  ): string {
    const t = constantTensor(name, dtype, dims, values, opts.role);
    this.initializers.set(name, t);
    const known = opts.always || values.length <= KNOWN_VALUES_UP_TO;
    this.states.set(name, { dtype, shape: [...dims], tensor: t, ...(known ? { value: [...values] } : {}) });
    return name;
  }

  /**
   * Add a node and infer its outputs now. They are unknown where an input is unknown, the op has no
   * rule, or the rule rejects the inputs — that error is returned for the reader to report its way.
   */
  protected addNode(node: Node): { states: ValueState[]; error?: unknown } {
    this.nodes.push(node);
    const inStates = node.inputs.map((i) => (i === "" ? undefined : this.states.get(i)));
    const unknownInput = inStates.some((s, i) => node.inputs[i] !== "" && !s?.shape);
    const rule = opRule(node.opType, node.domain);
    let states: ValueState[] = [];
    let error: unknown;
    if (!unknownInput && rule) {
      try {
        states = rule.infer({ node, inputs: inStates, opset: this.opset });
      } catch (e) {
        error = e;
      }
    }
    const fallback: ValueState = { dtype: inStates[0]?.dtype ?? "float32", shape: undefined };
    const outStates = node.outputs.map((o, i) => {
      const s = states[i] ?? fallback;
      this.states.set(o, s);
      return s;
    });
    return { states: outStates, ...(error !== undefined ? { error } : {}) };
  }
}
