/**
 * Python operators on Keras tensors (`x + 3.0`, `x * y`, `-x`): Keras 3 records each as an operation
 * of keras.ops (Add, Subtract, Multiply, TrueDivide, Negative) in the functional graph: it keeps the
 * broadcast shape, has no weights and is no layer of model.summary(). keras.ts records them as nodes
 * of type `ops.<Class>`; a number operand is in the config as `left` or `right`.
 */
import { isObject, type KValue } from "./kerasModel";
import type { LayerOps, LayerRule } from "./kerasLayerOps";

/** Python operator → the keras.ops operation class Keras records and the ONNX op that computes it. */
export const KERAS_OPERATORS: Readonly<Record<string, { cls: string; onnx: string }>> = {
  "+": { cls: "Add", onnx: "Add" },
  "-": { cls: "Subtract", onnx: "Sub" },
  "*": { cls: "Multiply", onnx: "Mul" },
  "/": { cls: "TrueDivide", onnx: "Div" },
  neg: { cls: "Negative", onnx: "Neg" },
  // Not a Python operator: the node that closes a custom layer's call() (kerasCustomLayers.ts).
  identity: { cls: "Identity", onnx: "Identity" },
};

function rule(onnx: string): LayerRule {
  return (o: LayerOps, xs) => {
    // A number, or a weight of a custom layer ({name, dims}).
    const operand = (v: KValue | undefined): string | undefined => {
      if (typeof v === "number") return o.b.constScalar(v);
      const w = isObject(v) ? v : undefined;
      const dims = w && Array.isArray(w["dims"]) ? (w["dims"] as number[]) : undefined;
      return w && typeof w["name"] === "string" && dims ? o.weight(w["name"], dims) : undefined;
    };
    const left = operand(o.c.raw("left"));
    const right = operand(o.c.raw("right"));
    const names = xs.map((x) => x.value);
    const inputs = [...(left ? [left] : []), ...names, ...(right ? [right] : [])];
    if (inputs.length !== (onnx === "Neg" || onnx === "Identity" ? 1 : 2))
      o.c.fail(`${inputs.length} operands`);
    return o.one(onnx, inputs);
  };
}

/** The builder's rules for the operator nodes, by their type. */
export const OPERATOR_RULES: Readonly<Record<string, LayerRule>> = Object.fromEntries(
  Object.values(KERAS_OPERATORS).map(({ cls, onnx }) => [`ops.${cls}`, rule(onnx)]),
);
