/**
 * The functional forms of layers, with explicit weights, as a layer subclass's own forward calls
 * them on its parameters (timm's Conv2dSame: `F.conv2d(x, self.weight, self.bias, ...)`,
 * BatchNormAct2d: `F.batch_norm(x, self.running_mean, self.running_var, self.weight, ...)`):
 * F.conv1d / conv2d / conv3d, F.batch_norm, F.group_norm. The weight's shape gives the sizes;
 * an argument that is not a constant makes the call unknown. Same calling convention as torchOps.ts.
 */
import type { AttrValue } from "../../ir/types";
import { arg, present, type OpCall, type TorchOp } from "./torchOpKit";
import { iterate, num, unknown, type PyTensor, type PyValue } from "./values";

function emit(c: OpCall, opType: string, inputs: string[], attrs: Record<string, AttrValue>): PyValue {
  const out = c.b.op(opType, inputs, attrs, { scope: c.scope, source: { call: c.span } })[0];
  return out ?? unknown(`${opType} gave no output`);
}

/** An int or a sequence of `rank` ints (stride=2, stride=(2, 1)); undefined when not constant. */
function ints(v: PyValue | undefined, rank: number, dflt: number): number[] | undefined {
  if (v === undefined) return new Array<number>(rank).fill(dflt);
  if (v.t === "int") return new Array<number>(rank).fill(v.v);
  const items = v.t === "tuple" || v.t === "list" ? iterate(v)?.map((x) => (x.t === "int" ? x.v : NaN)) : [];
  return items?.length === rank && items.every(Number.isInteger) ? items : undefined;
}

/** F.conv{rank}d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1). */
function conv(rank: number): TorchOp {
  return (c) => {
    const x = arg(c, 0, "input"),
      weight = arg(c, 1, "weight"),
      bias = arg(c, 2, "bias");
    const what = `F.conv${rank}d`;
    if (x?.t === "unknown") return x;
    if (x?.t !== "tensor") return unknown(`${what} of a non-tensor`);
    const wd = weight?.t === "tensor" ? weight.state.shape : undefined;
    const kernel = wd?.slice(2);
    if (weight?.t !== "tensor" || wd?.length !== rank + 2 || !kernel?.every((d) => typeof d === "number"))
      return unknown(`${what} with a weight whose size is not known`);
    const strides = ints(arg(c, 3, "stride"), rank, 1),
      dilations = ints(arg(c, 5, "dilation"), rank, 1);
    const groupArg = arg(c, 6, "groups");
    const group = groupArg ? num(groupArg) : 1;
    const padArg = arg(c, 4, "padding");
    const attrs: Record<string, AttrValue> = { kernel_shape: kernel as number[] };
    if (padArg?.t === "str" && (padArg.v === "same" || padArg.v === "valid"))
      attrs["auto_pad"] = padArg.v === "same" ? "SAME_UPPER" : "VALID";
    else {
      const p = ints(padArg, rank, 0);
      if (!p) return unknown(`${what} with a padding that is not constant`);
      attrs["pads"] = [...p, ...p];
    }
    if (!strides || !dilations || group === undefined || !Number.isInteger(group))
      return unknown(`${what} with a stride, dilation or groups that is not constant`);
    Object.assign(attrs, { strides, dilations, group });
    const inputs = [x.value, weight.value];
    if (present(bias)) {
      if (bias.t !== "tensor") return unknown(`${what} with a bias that is not a tensor`);
      inputs.push(bias.value);
    }
    return emit(c, "Conv", inputs, attrs);
  };
}

/** The tensors among `values`, in order; undefined when one is present but not a tensor. */
function tensors(values: readonly (PyValue | undefined)[]): PyTensor[] | undefined {
  const out: PyTensor[] = [];
  for (const v of values) {
    if (!present(v)) continue;
    if (v.t !== "tensor") return undefined;
    out.push(v);
  }
  return out;
}

/**
 * F.batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum,
 * eps): same shape as its input; ONNX's input order (scale, bias, mean, var) as nn.BatchNorm's rule.
 */
function batchNorm(c: OpCall): PyValue {
  const x = arg(c, 0, "input");
  if (x?.t === "unknown") return x;
  const rest = tensors([
    arg(c, 3, "weight"),
    arg(c, 4, "bias"),
    arg(c, 1, "running_mean"),
    arg(c, 2, "running_var"),
  ]);
  if (x?.t !== "tensor" || !rest) return unknown("F.batch_norm of values that are not tensors");
  const eps = num(arg(c, 7, "eps") ?? { t: "float", v: 1e-5 });
  if (eps === undefined) return unknown("F.batch_norm with an eps that is not constant");
  return emit(c, "BatchNormalization", [x.value, ...rest.map((t) => t.value)], { epsilon: eps });
}

/** F.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5): same shape as its input. */
function groupNorm(c: OpCall): PyValue {
  const x = arg(c, 0, "input");
  if (x?.t === "unknown") return x;
  const groups = num(arg(c, 1, "num_groups") ?? { t: "none" });
  const rest = tensors([arg(c, 2, "weight"), arg(c, 3, "bias")]);
  const eps = num(arg(c, 4, "eps") ?? { t: "float", v: 1e-5 });
  if (x?.t !== "tensor" || !rest || groups === undefined || eps === undefined)
    return unknown("F.group_norm with arguments that are not followed");
  const ch = x.state.shape?.[1];
  if (typeof ch === "number" && ch % groups !== 0)
    return unknown(`F.group_norm: ${ch} channels do not divide into ${groups} groups`);
  return emit(c, "GroupNormalization", [x.value, ...rest.map((t) => t.value)], {
    epsilon: eps,
    num_groups: groups,
  });
}

export const LAYER_FUNCTIONS: Readonly<Record<string, TorchOp>> = {
  conv1d: conv(1),
  conv2d: conv(2),
  conv3d: conv(3),
  batch_norm: batchNorm,
  group_norm: groupNorm,
};
