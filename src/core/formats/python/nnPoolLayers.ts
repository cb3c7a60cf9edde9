/** torch.nn's pooling layers: max, average, adaptive and power-average (LPPool) pooling. */
import type { AttrValue } from "../../ir/types";
import { F, I0, I1, one, op, type LayerCall, type LayerSpec } from "./nnLayerKit";
import { getBool, getInt, getTuple, isNoneOrMissing } from "./pyArgs";
import { NONE, tuple, unknown, type PyValue } from "./values";

function lpPool(c: LayerCall, rank: number): PyValue {
  const k = getTuple(c.args, "kernel_size", rank);
  const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
  return one(op(c, "LpPool", [c.x.value], { kernel_shape: k, strides: s, p: getInt(c.args, "norm_type") }));
}

function pool(rank: number, kind: "Max" | "Avg"): LayerSpec {
  const params =
    kind === "Max"
      ? ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]
      : ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"];
  return {
    params,
    defaults: { stride: NONE, padding: I0, dilation: I1, ceil_mode: F },
    forward(c) {
      const k = getTuple(c.args, "kernel_size", rank);
      const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
      const p = getTuple(c.args, "padding", rank);
      const attrs: Record<string, AttrValue> = {
        kernel_shape: k,
        strides: s,
        pads: [...p, ...p],
        ceil_mode: getBool(c.args, "ceil_mode", false) ? 1 : 0,
      };
      if (kind === "Max") attrs["dilations"] = getTuple(c.args, "dilation", rank);
      // return_indices=True: (values, indices), what MaxUnpool takes.
      const indices = kind === "Max" && getBool(c.args, "return_indices", false);
      const outs = op(c, kind === "Max" ? "MaxPool" : "AveragePool", [c.x.value], attrs, {
        outputs: indices ? 2 : 1,
      });
      return indices ? tuple(outs) : one(outs);
    },
  };
}

/** Adaptive pooling: global when the output is 1, else the kernel/stride PyTorch's exporter derives. */
function adaptive(rank: number, kind: "Max" | "Avg"): LayerSpec {
  return {
    params: ["output_size", "return_indices"],
    defaults: {},
    forward(c) {
      const shape = c.x.state.shape;
      const outV = c.args.get("output_size");
      const outs =
        outV && (outV.t === "tuple" || outV.t === "list")
          ? outV.items
          : new Array<PyValue>(rank).fill(outV ?? NONE);
      const sizes = outs.map((v, i) => {
        const d = v.t === "int" ? v.v : shape?.[shape.length - rank + i];
        return typeof d === "number" ? d : NaN;
      });
      const indices = kind === "Max" && getBool(c.args, "return_indices", false);
      if (sizes.every((x) => x === 1) && !indices)
        return one(op(c, kind === "Max" ? "GlobalMaxPool" : "GlobalAveragePool", [c.x.value], {}));
      const ins = shape?.slice(-rank);
      if (!ins || !ins.every((d): d is number => typeof d === "number"))
        return unknown("adaptive pooling of an unknown size");
      const strides = ins.map((d, i) => Math.floor(d / (sizes[i] ?? 1)));
      const kernel = ins.map((d, i) => d - ((sizes[i] ?? 1) - 1) * (strides[i] ?? 1));
      const pooled = op(
        c,
        kind === "Max" ? "MaxPool" : "AveragePool",
        [c.x.value],
        { kernel_shape: kernel, strides, pads: new Array<number>(2 * rank).fill(0) },
        { outputs: indices ? 2 : 1 },
      );
      return indices ? tuple(pooled) : one(pooled);
    },
  };
}

export const POOL_LAYERS: Readonly<Record<string, LayerSpec>> = {
  MaxPool1d: pool(1, "Max"),
  MaxPool2d: pool(2, "Max"),
  MaxPool3d: pool(3, "Max"),
  AvgPool1d: pool(1, "Avg"),
  AvgPool2d: pool(2, "Avg"),
  AvgPool3d: pool(3, "Avg"),
  AdaptiveAvgPool1d: adaptive(1, "Avg"),
  AdaptiveAvgPool2d: adaptive(2, "Avg"),
  AdaptiveAvgPool3d: adaptive(3, "Avg"),
  AdaptiveMaxPool1d: adaptive(1, "Max"),
  AdaptiveMaxPool2d: adaptive(2, "Max"),
  AdaptiveMaxPool3d: adaptive(3, "Max"),
  LPPool1d: {
    params: ["norm_type", "kernel_size", "stride", "ceil_mode"],
    defaults: { stride: NONE },
    forward: (c) => lpPool(c, 1),
  },
  LPPool2d: {
    params: ["norm_type", "kernel_size", "stride", "ceil_mode"],
    defaults: { stride: NONE },
    forward: (c) => lpPool(c, 2),
  },
};
