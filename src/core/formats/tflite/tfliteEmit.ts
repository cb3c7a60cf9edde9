/**
 * Writes TFLite operators as IR nodes (ONNX ops from src/core/ops), one operator at a time, all its
 * nodes under one layer named after its output tensor. Quantized tensors go through the QDQ form the
 * ONNX path already reads: an int8 input is DequantizeLinear(q, scale, zero_point) before the float
 * op, a quantized output QuantizeLinear(…) after it, so each quantized value keeps its dtype, scale
 * and zero point, and int8 weights are counted (elements and bytes) by DequantizeLinear.
 */
import type { AttrValue, DType, Node, Tensor, ValueInfo } from "../../ir/types";
import type { TflOperator, TflTensor } from "./tfliteFile";

/** An operator, or one of its options, that the reader does not turn into IR ops: the op stays, unknown. */
export class TfliteUnsupported extends Error {}

const INT_VIEWS: Readonly<
  Partial<Record<DType, (b: ArrayBuffer, o: number, n: number) => ArrayLike<number>>>
> = {
  int32: (b, o, n) => new Int32Array(b, o, n),
  int64: (b, o, n) => Array.from(new BigInt64Array(b, o, n), Number),
  int16: (b, o, n) => new Int16Array(b, o, n),
  int8: (b, o, n) => new Int8Array(b, o, n),
  uint8: (b, o, n) => new Uint8Array(b, o, n),
  float32: (b, o, n) => new Float32Array(b, o, n),
};

/** The values of a small constant tensor (shape, axes, paddings, sizes), or undefined. */
export function constantValues(t: TflTensor | undefined): number[] | undefined {
  if (!t?.data) return undefined;
  const view = INT_VIEWS[t.dtype];
  const size = t.dtype === "int64" ? 8 : t.dtype === "int16" ? 2 : t.dtype.endsWith("8") ? 1 : 4;
  if (!view || t.data.length % size !== 0) return undefined;
  // Copy: typed views need an aligned offset, and the file's buffer need not be aligned.
  const copy = t.data.slice();
  return Array.from(view(copy.buffer, 0, copy.length / size));
}

export class Emitter {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly valueInfo = new Map<string, ValueInfo>();
  private readonly dequantized = new Map<number, string>();
  private counter = 0;
  private layer = "";
  private layerType = "";
  private firstNode = 0;

  constructor(readonly tensors: readonly TflTensor[]) {}

  begin(op: TflOperator): void {
    const out = this.tensors[op.outputs[0] ?? -1];
    // Converters name a tensor "a/b/Relu;a/b/BiasAdd;…" (every fused op): the first names the layer.
    this.layer = (out?.name ?? `op_${this.nodes.length}`).split(";")[0] ?? "";
    this.layerType = op.custom ? `CUSTOM ${op.code}` : op.code;
    this.firstNode = this.nodes.length;
  }

  /** Forget this operator's nodes (it turned out unsupported). */
  rollback(): void {
    this.nodes.length = this.firstNode;
  }

  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    domain = "",
  ): string {
    return this.nodeOutputs(opType, inputs, attrs, 1, domain)[0] ?? "";
  }

  /** One node with `count` outputs (Split). */
  nodeOutputs(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue>,
    count: number,
    domain = "",
  ): string[] {
    const name = `${this.layer}/${opType}_${this.counter++}`;
    const outputs = Array.from({ length: count }, (_, k) => `${name}:${k}`);
    this.nodes.push({
      name,
      opType,
      domain,
      inputs,
      outputs,
      attrs,
      layer: this.layer,
      layerType: this.layerType,
    });
    return outputs;
  }

  /** A node with the file's own output tensors (an op the reader keeps as unknown). */
  opaque(op: TflOperator, reason: string): void {
    this.nodes.push({
      name: `${this.layer}/${op.code}`,
      opType: op.code,
      domain: "tflite",
      inputs: op.inputs
        .map((i) => this.tensors[i])
        .filter((t) => t && !t.data && !t.sparse)
        .map((t) => t?.name ?? ""),
      outputs: op.outputs.map((i) => this.tensors[i]?.name ?? ""),
      attrs: { reason },
      layer: this.layer,
      layerType: this.layerType,
    });
  }

  private init(t: Tensor): string {
    this.initializers.set(t.name, t);
    return t.name;
  }

  ints(values: readonly number[]): string {
    return this.init({
      name: `${this.layer}/ints_${this.counter++}`,
      dtype: "int64",
      dims: [values.length],
      storage: { kind: "typed", values: [...values] },
    });
  }

  floats(
    values: readonly number[],
    dims: readonly number[] = [values.length],
    dtype: DType = "float32",
  ): string {
    return this.init({
      name: `${this.layer}/consts_${this.counter++}`,
      dtype,
      dims,
      storage: { kind: "typed", values: [...values] },
      role: "buffer",
    });
  }

  /** A tensor as the float op sees it: constants as initializers, quantized values dequantized. */
  value(t: TflTensor): string {
    const cached = this.dequantized.get(t.index);
    if (cached) return cached;
    const dims = (t.shape ?? []).map((d) => (typeof d === "number" ? d : 1));
    // A sparse weight that could not be densified stays a weight of the file's dense shape, its data
    // missing (the reader lists it among the unknown parameters with the reason).
    const raw =
      t.data || t.sparse
        ? this.init({
            name: t.name,
            dtype: t.dtype,
            dims,
            storage: t.data ? { kind: "inline", bytes: t.data } : { kind: "none" },
            role: "parameter",
          })
        : t.name;
    if (!t.quant || t.dtype === "float32" || t.dtype === "float16") return raw;
    const perChannel = t.quant.scale.length > 1;
    const qdims = perChannel ? [t.quant.scale.length] : [];
    const out = this.node(
      "DequantizeLinear",
      [raw, this.floats(t.quant.scale, qdims), this.floats(t.quant.zeroPoint, qdims, t.dtype)],
      perChannel ? { axis: t.quant.axis } : {},
    );
    // An activation is dequantized once for all its consumers; a weight belongs to its one layer.
    if (!t.data) this.dequantized.set(t.index, out);
    return out;
  }

  /** Make `result` the file's output tensor: quantized when the file quantizes it, under the file's name. */
  land(result: string, out: TflTensor): void {
    if (out.quant && out.dtype !== "float32" && out.dtype !== "float16") {
      const q = this.node("QuantizeLinear", [
        result,
        this.floats(out.quant.scale.slice(0, 1), []),
        this.floats(out.quant.zeroPoint.slice(0, 1), [], out.dtype),
      ]);
      return this.rename(q, out.name);
    }
    if (this.renamable(result)) return this.rename(result, out.name);
    this.rename(this.node("Identity", [result]), out.name);
  }

  /** Made by this operator's nodes and read by none of them, nor shared as a dequantized activation. */
  private renamable(value: string): boolean {
    const mine = this.nodes.slice(this.firstNode);
    return (
      mine.some((n) => n.outputs.includes(value)) &&
      !mine.some((n) => n.inputs.includes(value)) &&
      ![...this.dequantized.values()].includes(value)
    );
  }

  private rename(from: string, to: string): void {
    for (let i = this.nodes.length - 1; i >= this.firstNode; i--) {
      const n = this.nodes[i];
      if (!n?.outputs.includes(from)) continue;
      this.nodes[i] = { ...n, outputs: n.outputs.map((o) => (o === from ? to : o)) };
      return;
    }
    throw new Error(`internal: ${from} is not made by this operator`);
  }

  /** Run an NCHW op (Conv, pools, LRN) on an NHWC value: transpose in, op, transpose back. */
  nchw(x: string, body: (y: string) => string): string {
    const inside = body(this.node("Transpose", [x], { perm: [0, 3, 1, 2] }));
    return this.node("Transpose", [inside], { perm: [0, 2, 3, 1] });
  }
}
