/**
 * Keras SimpleRNN / GRU / LSTM (and Bidirectional around them) as the ONNX RNN / GRU / LSTM
 * ops of the op table, so shapes and MACs come from the one place that counts them:
 * gates · (input + units) · units per step and direction. Keras inputs are [batch, time,
 * features]; the ops run sequence-first (as exporters write them), between transposes.
 *
 * Parameters are Keras's: one bias per gate (LSTM 4·(units·(in+units)+units)); the ONNX
 * op's second (recurrent) bias half is a zero constant that is not counted. GRU with
 * reset_after=True (the default since Keras 2.3) has both biases, as ONNX's
 * linear_before_reset=1 GRU: 3·(units·(in+units)+2·units).
 */
import type { AttrValue } from "../../ir/types";
import type { PyTensor } from "../python/values";
import type { LayerOps } from "./kerasLayerOps";

const SPECS: Readonly<
  Record<string, { op: string; gates: number; states: number; acts: readonly [string, string][] }>
> = {
  // [config key, Keras default] per ONNX activation slot (f, g, h).
  LSTM: {
    op: "LSTM",
    gates: 4,
    states: 2,
    acts: [
      ["recurrent_activation", "sigmoid"],
      ["activation", "tanh"],
      ["activation", "tanh"],
    ],
  },
  GRU: {
    op: "GRU",
    gates: 3,
    states: 1,
    acts: [
      ["recurrent_activation", "sigmoid"],
      ["activation", "tanh"],
    ],
  },
  SimpleRNN: { op: "RNN", gates: 1, states: 1, acts: [["activation", "tanh"]] },
};

const ONNX_ACTIVATIONS: Readonly<Record<string, string>> = {
  tanh: "Tanh",
  sigmoid: "Sigmoid",
  relu: "Relu",
  hard_sigmoid: "HardSigmoid",
  elu: "Elu",
  softsign: "Softsign",
  softplus: "Softplus",
};

/**
 * A recurrent layer on xs[0] = [batch, time, features]; xs[1…] are initial states
 * ([batch, units] each: h, then c for LSTM; forward states then backward ones when
 * bidirectional). Returns [output, …states when return_state].
 */
export function recurrent(
  o: LayerOps,
  xs: readonly PyTensor[],
  bidirectional?: { merge: string },
): PyTensor[] {
  const c = o.c;
  const spec = SPECS[c.layer.type] ?? c.fail("is not a recurrent layer");
  const x = xs[0] ?? c.fail("it has no input");
  const shape = o.shape(x);
  if (c.bool("time_major", false))
    c.fail("time_major=True (inputs [time, batch, features]) is not supported");
  if (shape.length !== 3)
    c.fail(`expects an input [batch, time, features], got rank ${shape.length} [${shape.join(", ")}]`);
  const f = shape[2];
  const features = typeof f === "number" ? f : c.fail(`the number of input features is not known (${f})`);
  const h = c.int("units");
  const g = spec.gates;
  const dirs = bidirectional ? 2 : 1;
  const resetAfter = spec.op === "GRU" && c.bool("reset_after", true);

  const seqFirst = o.one("Transpose", [x.value], { perm: [1, 0, 2] });
  const inputs = [
    seqFirst.value,
    o.weight("kernel", [dirs, g * h, features]),
    o.weight("recurrent_kernel", [dirs, g * h, h]),
  ];
  if (c.bool("use_bias", true)) {
    if (resetAfter) inputs.push(o.weight("bias", [dirs, 2 * g * h]));
    else
      inputs.push(
        o.one(
          "Concat",
          [
            o.weight("bias", [dirs, g * h]),
            o.b.constFloats(new Array<number>(dirs * g * h).fill(0), [dirs, g * h]),
          ],
          { axis: 1 },
        ).value,
      );
  } else inputs.push("");

  const states = xs.slice(1);
  if (states.length > 0) {
    if (states.length !== spec.states * dirs)
      c.fail(`expects ${spec.states * dirs} initial state tensor(s), got ${states.length}`);
    // ONNX wants each state as [directions, batch, units].
    const stack = (k: number) => {
      const per = Array.from(
        { length: dirs },
        (_, d) =>
          o.one("Unsqueeze", [(states[d * spec.states + k] as PyTensor).value, o.b.constInts([0])]).value,
      );
      return per.length === 1 ? (per[0] as string) : o.one("Concat", per, { axis: 0 }).value;
    };
    inputs.push("", stack(0));
    if (spec.states === 2) inputs.push(stack(1));
  }
  while (inputs[inputs.length - 1] === "") inputs.pop();

  const acts = spec.acts.map(([key, dflt]) => {
    const v = c.raw(key);
    const name =
      v === undefined || v === null
        ? dflt
        : typeof v === "string"
          ? v
          : c.fail(`${key} ${JSON.stringify(v)} is not a built-in activation`);
    return ONNX_ACTIVATIONS[name] ?? c.fail(`${key} "${name}" is not supported in a recurrent layer`);
  });
  const defaults = spec.acts.map(([, dflt]) => ONNX_ACTIVATIONS[dflt]);
  const attrs: Record<string, AttrValue> = {
    hidden_size: h,
    direction: dirs === 2 ? "bidirectional" : c.bool("go_backwards", false) ? "reverse" : "forward",
    ...(spec.op === "GRU" ? { linear_before_reset: resetAfter ? 1 : 0 } : {}),
    ...(acts.some((a, i) => a !== defaults[i])
      ? { activations: Array.from({ length: dirs }, () => acts).flat() }
      : {}),
  };
  const [y, yh, yc] = o.op(spec.op, inputs, attrs, spec.op === "LSTM" ? 3 : 2);
  if (!y || !yh) return c.fail("the recurrent op gave no output");

  // Final states first, so that the layer's last node is its output (what tables show).
  const returned: PyTensor[] = [];
  if (c.bool("return_state", false)) {
    const last = (t: PyTensor, d: number) =>
      o.one("Squeeze", [
        o.one("Gather", [t.value, o.b.constInts([d])], { axis: 0 }).value,
        o.b.constInts([0]),
      ]);
    for (let d = 0; d < dirs; d++) {
      returned.push(last(yh, d));
      if (yc) returned.push(last(yc, d));
    }
  }
  // Y is [time, dirs, batch, units]; Y_h is [dirs, batch, units].
  const sequences = c.bool("return_sequences", false);
  const batched = sequences
    ? o.one("Transpose", [y.value], { perm: [2, 0, 1, 3] })
    : o.one("Transpose", [yh.value], { perm: [1, 0, 2] });
  const dirAxis = sequences ? 2 : 1;
  const mode = bidirectional?.merge ?? "concat";
  let out: PyTensor;
  if (dirs === 1 || mode === "concat")
    out = o.one("Reshape", [batched.value, o.b.constInts(sequences ? [0, 0, dirs * h] : [0, dirs * h])]);
  else if (mode === "sum")
    out = o.one("ReduceSum", [batched.value, o.b.constInts([dirAxis])], { keepdims: 0 });
  else if (mode === "ave") out = o.one("ReduceMean", [batched.value], { axes: [dirAxis], keepdims: 0 });
  else if (mode === "mul") out = o.one("ReduceProd", [batched.value], { axes: [dirAxis], keepdims: 0 });
  else return c.fail(`merge_mode "${mode}" is not supported`);
  // Keras's state order with return_state: [output, h, c] (forward states, then backward ones).
  return [out, ...returned];
}

/** How many tensors calling the layer gives: 1, or 1 + its final states with return_state. */
export function outputCount(type: string, config: { readonly [key: string]: unknown }): number {
  const inner =
    type === "Bidirectional"
      ? (config["layer"] as { class_name?: unknown; config?: Record<string, unknown> } | undefined)
      : { class_name: type, config };
  const spec = typeof inner?.class_name === "string" ? SPECS[inner.class_name] : undefined;
  if (!spec || inner?.config?.["return_state"] !== true) return 1;
  return 1 + spec.states * (type === "Bidirectional" ? 2 : 1);
}
