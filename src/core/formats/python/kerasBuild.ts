/** Builds a recorded Keras model into the shared IR, channels-last as Keras reports shapes. */
import type { AttrValue, Dim } from "../../ir/types";
import type { GraphBuilder } from "./graphBuilder";
import type { KNode, KerasLayer, KerasModel } from "./keras";
import { iterate, num, type PyTensor, type PyValue } from "./values";

class KerasBuildError extends Error {}

function arg(l: KerasLayer, i: number, name: string): PyValue | undefined {
  return l.args.kwargs.get(name) ?? l.args.args[i];
}
function intArg(l: KerasLayer, i: number, name: string, dflt?: number): number {
  const v = arg(l, i, name);
  const n = v ? num(v) : dflt;
  if (n === undefined) throw new KerasBuildError(`${l.type} "${l.name}": ${name} is not a constant`);
  return n;
}
function tupleArg(l: KerasLayer, i: number, name: string, rank: number, dflt?: number): number[] {
  const v = arg(l, i, name);
  if (!v || v.t === "none") {
    if (dflt === undefined) throw new KerasBuildError(`${l.type} "${l.name}": ${name} is missing`);
    return new Array<number>(rank).fill(dflt);
  }
  const n = num(v);
  if (n !== undefined) return new Array<number>(rank).fill(n);
  const xs = (iterate(v) ?? []).map(num);
  if (xs.length !== rank || xs.some((x) => x === undefined)) throw new KerasBuildError(`${l.type} "${l.name}": ${name} is not constant`);
  return xs as number[];
}
function strArg(l: KerasLayer, i: number, name: string, dflt: string): string {
  const v = arg(l, i, name);
  return v?.t === "str" ? v.v : v?.t === "none" || !v ? dflt : dflt;
}

const ACTIVATIONS: Readonly<Record<string, string>> = { relu: "Relu", sigmoid: "Sigmoid", tanh: "Tanh", softmax: "Softmax", elu: "Elu", selu: "Selu", gelu: "Gelu", swish: "Silu", silu: "Silu", softplus: "Softplus", leaky_relu: "LeakyRelu" };

export function buildKeras(m: KerasModel, b: GraphBuilder): string[] {
  const emit = (l: KerasLayer, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): PyTensor =>
    b.op(opType, inputs, attrs, { scope: l.name, layerName: l.name, layerType: l.type, source: { call: l.span, def: l.span } })[0] as PyTensor;
  const channelsLast = (l: KerasLayer) => strArg(l, 99, "data_format", "channels_last") !== "channels_first";
  /** Run an NCHW op on a channels-last tensor: transpose in, op, transpose back. */
  const spatial = (l: KerasLayer, x: PyTensor, body: (y: PyTensor) => PyTensor): PyTensor => {
    if (!channelsLast(l)) return body(x);
    const r = x.state.shape?.length ?? 4;
    const toFirst = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
    const toLast = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
    return emit(l, "Transpose", [body(emit(l, "Transpose", [x.value], { perm: toFirst })).value], { perm: toLast });
  };
  const activation = (l: KerasLayer, x: PyTensor, name = "activation", index = 99): PyTensor => {
    const a = arg(l, index, name);
    const fn = a?.t === "str" ? a.v : undefined;
    if (!fn || fn === "linear") return x;
    const op = ACTIVATIONS[fn];
    if (!op) throw new KerasBuildError(`${l.type} "${l.name}": activation "${fn}" is not known`);
    return emit(l, op, [x.value], op === "Softmax" ? { axis: -1 } : {});
  };
  const channels = (x: PyTensor, l: KerasLayer) => {
    const c = x.state.shape?.[channelsLast(l) ? (x.state.shape.length - 1) : 1];
    if (typeof c !== "number") throw new KerasBuildError(`${l.type} "${l.name}": the channels of its input are unknown`);
    return c;
  };
  const apply = (l: KerasLayer, xs: PyTensor[]): PyTensor => {
    const x = xs[0] as PyTensor;
    const w = (suffix: string, dims: number[], role: "parameter" | "buffer" = "parameter") => b.weight(`${l.name}/${suffix}`, dims, role);
    switch (l.type) {
      case "InputLayer":
        return x;
      case "Conv1D":
      case "Conv2D": {
        const rank = l.type === "Conv1D" ? 1 : 2;
        const filters = intArg(l, 0, "filters");
        const k = tupleArg(l, 1, "kernel_size", rank);
        const s = tupleArg(l, 2, "strides", rank, 1);
        const pad = strArg(l, 3, "padding", "valid");
        const d = tupleArg(l, 5, "dilation_rate", rank, 1);
        const c = channels(x, l);
        const inputs = (y: PyTensor) => [y.value, w("kernel", [filters, c, ...k]), ...(arg(l, 99, "use_bias")?.t === "bool" && !(arg(l, 99, "use_bias") as { v: boolean }).v ? [] : [w("bias", [filters])])];
        const y = spatial(l, x, (z) => emit(l, "Conv", inputs(z), { kernel_shape: k, strides: s, dilations: d, auto_pad: pad === "same" ? "SAME_UPPER" : "VALID" }));
        return activation(l, y, "activation", 6);
      }
      case "Dense": {
        const units = intArg(l, 0, "units");
        const shape = x.state.shape;
        const fin = shape?.[shape.length - 1];
        if (typeof fin !== "number") throw new KerasBuildError(`Dense "${l.name}": its input size is unknown`);
        let y = emit(l, "MatMul", [x.value, w("kernel", [fin, units])]);
        if (!(arg(l, 99, "use_bias")?.t === "bool" && !(arg(l, 99, "use_bias") as { v: boolean }).v)) y = emit(l, "Add", [y.value, w("bias", [units])]);
        return activation(l, y, "activation", 1);
      }
      case "MaxPooling1D":
      case "MaxPooling2D":
      case "AveragePooling2D": {
        const rank = l.type.endsWith("1D") ? 1 : 2;
        const k = tupleArg(l, 0, "pool_size", rank, 2);
        const s = arg(l, 1, "strides") && arg(l, 1, "strides")?.t !== "none" ? tupleArg(l, 1, "strides", rank) : k;
        const pad = strArg(l, 2, "padding", "valid");
        return spatial(l, x, (z) => emit(l, l.type.startsWith("Max") ? "MaxPool" : "AveragePool", [z.value], { kernel_shape: k, strides: s, auto_pad: pad === "same" ? "SAME_UPPER" : "VALID" }));
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D":
      case "GlobalAveragePooling1D": {
        const r = x.state.shape?.length ?? 4;
        const axes = channelsLast(l) ? Array.from({ length: r - 2 }, (_, i) => i + 1) : Array.from({ length: r - 2 }, (_, i) => i + 2);
        return emit(l, l.type.includes("Max") ? "ReduceMax" : "ReduceMean", [x.value], { axes, keepdims: 0 });
      }
      case "Flatten":
        return emit(l, "Flatten", [x.value], { axis: 1 });
      case "Dropout":
        return emit(l, "Dropout", [x.value]);
      case "Activation":
        return activation(l, x, "activation", 0);
      case "ReLU":
        return emit(l, "Relu", [x.value]);
      case "Softmax":
        return emit(l, "Softmax", [x.value], { axis: -1 });
      case "BatchNormalization": {
        const c = channels(x, l);
        return spatial(l, x, (z) => emit(l, "BatchNormalization", [z.value, w("gamma", [c]), w("beta", [c]), w("moving_mean", [c]), w("moving_variance", [c])]));
      }
      case "Embedding":
        return emit(l, "Gather", [w("embeddings", [intArg(l, 0, "input_dim"), intArg(l, 1, "output_dim")]), x.value], { axis: 0 });
      case "Reshape": {
        const target = (iterate(arg(l, 0, "target_shape") ?? { t: "list", items: [] }) ?? []).map((v) => num(v) ?? -1);
        return emit(l, "Reshape", [x.value, b.constInts([0, ...target])]);
      }
      case "ZeroPadding2D": {
        const p = tupleArg(l, 0, "padding", 2, 1);
        return emit(l, "Pad", [x.value, b.constInts([0, p[0] ?? 0, p[1] ?? 0, 0, 0, p[0] ?? 0, p[1] ?? 0, 0])]);
      }
      case "UpSampling2D": {
        const s = tupleArg(l, 0, "size", 2, 2);
        return emit(l, "Resize", [x.value, "", b.constInts([1, s[0] ?? 2, s[1] ?? 2, 1])], { mode: "nearest" });
      }
      case "Concatenate":
        return emit(l, "Concat", xs.map((t) => t.value), { axis: intArg(l, 0, "axis", -1) });
      case "Add":
        return emit(l, "Sum", xs.map((t) => t.value));
      default:
        throw new KerasBuildError(`layer type ${l.type} is not supported`);
    }
  };
  const inputOf = (shape: Dim[], dtype: "float32" | "int64") => b.input("input", dtype, shape.map((d, i) => (i === 0 && d === "None" ? "None" : d)));
  if (m.layers) {
    const first = m.layers[0];
    if (!first) throw new KerasBuildError("the Sequential model has no layers");
    let x: PyTensor;
    if (m.input?.kind === "input") x = inputOf(m.input.shape, m.input.dtype);
    else {
      const shapeArg = first.args.kwargs.get("input_shape") ?? first.args.kwargs.get("batch_input_shape");
      if (!shapeArg) throw new KerasBuildError(`no input shape: give the first layer input_shape=(…) or start the model with keras.Input(shape=(…))`);
      const dims = (iterate(shapeArg) ?? []).map((v) => (v.t === "none" ? "None" : (num(v) ?? "?")));
      x = inputOf(["None", ...dims], first.type === "Embedding" ? "int64" : "float32");
    }
    for (const l of m.layers) x = apply(l, [x]);
    return [x.value];
  }
  const memo = new Map<KNode, PyTensor>();
  const visit = (n: KNode): PyTensor => {
    const hit = memo.get(n);
    if (hit) return hit;
    const t = n.kind === "input" ? inputOf(n.shape, n.dtype) : apply(n.layer, n.inputs.map(visit));
    memo.set(n, t);
    return t;
  };
  if (!m.output) throw new KerasBuildError("keras.Model needs inputs and outputs");
  return [visit(m.output).value];
}

export { KerasBuildError };
