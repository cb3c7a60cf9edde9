/**
 * The Keras layers that slide a kernel or pool a window — Conv, ConvTranspose, DepthwiseConv,
 * SeparableConv, Dense, the poolings — as ONNX ops between channels-last transposes, with Keras's
 * parameter counts and output sizes.
 */
import type { AttrValue } from "../../ir/types";
import type { PyTensor } from "../python/values";
import {
  activate,
  activationName,
  channels,
  channelsLast,
  first,
  known,
  padAttrs,
  paddingMode,
  rankOf,
  spatial,
  useBias,
  type LayerOps,
  type LayerRule,
} from "./kerasLayerOps";

function conv(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const filters = o.c.int("filters");
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const groups = o.c.int("groups", 1);
  const cin = channels(o, x);
  const inputs = (z: PyTensor) => [
    z.value,
    o.weight("kernel", [filters, cin / groups, ...k]),
    ...(useBias(o) ? [o.weight("bias", [filters])] : []),
  ];
  const attrs = {
    kernel_shape: k,
    strides: s,
    dilations: d,
    ...(groups !== 1 ? { group: groups } : {}),
    ...padAttrs(o, k, d),
  };
  return activate(
    o,
    spatial(o, x, (z) => o.one("Conv", inputs(z), attrs)),
    activationName(o, "activation"),
  );
}

/** Conv{1,2,3}DTranspose with Keras's output sizes (deconv_output_length). */
function convTranspose(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const filters = o.c.int("filters");
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const pad = paddingMode(o);
  const cin = channels(o, x);
  const ext = k.map((ki, i) => (ki - 1) * (d[i] ?? 1) + 1);
  let attrs: Record<string, AttrValue>;
  if (o.c.has("output_padding")) {
    const op = o.c.ints("output_padding", rank);
    const p = ext.map((e) => (pad === "same" ? Math.floor(e / 2) : 0));
    attrs = { pads: [...p, ...p], output_padding: op };
  } else if (pad === "same") attrs = { auto_pad: "SAME_UPPER" };
  // "valid": length · stride + max(kernel − stride, 0), i.e. padded at the end when the kernel is smaller
  // than the stride.
  else attrs = { output_padding: ext.map((e, i) => Math.max((s[i] ?? 1) - e, 0)) };
  const inputs = (z: PyTensor) => [
    z.value,
    o.weight("kernel", [cin, filters, ...k]),
    ...(useBias(o) ? [o.weight("bias", [filters])] : []),
  ];
  const y = spatial(o, x, (z) =>
    o.one("ConvTranspose", inputs(z), { kernel_shape: k, strides: s, dilations: d, ...attrs }),
  );
  return activate(o, y, activationName(o, "activation"));
}

/** DepthwiseConv{1,2}D and SeparableConv{1,2}D (depthwise, then a 1×1 pointwise conv). */
function depthwise(o: LayerOps, xs: readonly PyTensor[], separable: boolean): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const k = o.c.ints("kernel_size", rank);
  const s = o.c.ints("strides", rank, 1);
  const d = o.c.ints("dilation_rate", rank, 1);
  const m = o.c.int("depth_multiplier", 1);
  const cin = channels(o, x);
  const dwAttrs = { kernel_shape: k, strides: s, dilations: d, group: cin, ...padAttrs(o, k, d) };
  const y = spatial(o, x, (z) => {
    if (!separable)
      return o.one(
        "Conv",
        [
          z.value,
          o.weight("depthwise_kernel", [cin * m, 1, ...k]),
          ...(useBias(o) ? [o.weight("bias", [cin * m])] : []),
        ],
        dwAttrs,
      );
    const dw = o.one("Conv", [z.value, o.weight("depthwise_kernel", [cin * m, 1, ...k])], dwAttrs);
    const filters = o.c.int("filters");
    const ones = new Array<number>(rank).fill(1);
    return o.one(
      "Conv",
      [
        dw.value,
        o.weight("pointwise_kernel", [filters, cin * m, ...ones]),
        ...(useBias(o) ? [o.weight("bias", [filters])] : []),
      ],
      { kernel_shape: ones },
    );
  });
  return activate(o, y, activationName(o, "activation"));
}

function dense(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const units = o.c.int("units");
  const s = o.shape(x);
  const fin = known(o, s[s.length - 1], "its input size");
  let y = o.one("MatMul", [x.value, o.weight("kernel", [fin, units])]);
  if (useBias(o)) y = o.one("Add", [y.value, o.weight("bias", [units])]);
  return activate(o, y, activationName(o, "activation"));
}

function pool(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const rank = rankOf(o.c.layer.type);
  const k = o.c.ints("pool_size", rank, 2);
  const s = o.c.has("strides") ? o.c.ints("strides", rank) : k;
  const op = o.c.layer.type.startsWith("Max") ? "MaxPool" : "AveragePool";
  return spatial(o, x, (z) => o.one(op, [z.value], { kernel_shape: k, strides: s, ...padAttrs(o, k, []) }));
}

function globalPool(o: LayerOps, xs: readonly PyTensor[]): PyTensor {
  const x = first(o, xs);
  const r = o.shape(x).length;
  const axes = channelsLast(o)
    ? Array.from({ length: r - 2 }, (_, i) => i + 1)
    : Array.from({ length: r - 2 }, (_, i) => i + 2);
  return o.one(o.c.layer.type.includes("Max") ? "ReduceMax" : "ReduceMean", [x.value], {
    axes,
    keepdims: o.c.bool("keepdims", false) ? 1 : 0,
  });
}

/** The rules of these layers, by Keras class name. */
export const CONV_RULES: Readonly<Record<string, LayerRule>> = {
  Conv1D: conv,
  Conv2D: conv,
  Conv3D: conv,
  Conv1DTranspose: convTranspose,
  Conv2DTranspose: convTranspose,
  Conv3DTranspose: convTranspose,
  DepthwiseConv1D: (o, xs) => depthwise(o, xs, false),
  DepthwiseConv2D: (o, xs) => depthwise(o, xs, false),
  SeparableConv1D: (o, xs) => depthwise(o, xs, true),
  SeparableConv2D: (o, xs) => depthwise(o, xs, true),
  Dense: dense,
  MaxPooling1D: pool,
  MaxPooling2D: pool,
  MaxPooling3D: pool,
  AveragePooling1D: pool,
  AveragePooling2D: pool,
  AveragePooling3D: pool,
  GlobalAveragePooling1D: globalPool,
  GlobalAveragePooling2D: globalPool,
  GlobalAveragePooling3D: globalPool,
  GlobalMaxPooling1D: globalPool,
  GlobalMaxPooling2D: globalPool,
  GlobalMaxPooling3D: globalPool,
};
