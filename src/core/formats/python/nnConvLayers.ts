/** torch.nn's convolutions: Conv1d–3d and ConvTranspose1d–3d (their Lazy forms are in nnLayers.ts). */
import type { AttrValue } from "../../ir/types";
import { I0, I1, T, channelFix, one, op, w, type LayerSpec } from "./nnLayerKit";
import { getBool, getInt, getTuple } from "./pyArgs";

export function conv(rank: number, transposed: boolean): LayerSpec {
  const params = transposed
    ? [
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "output_padding",
        "groups",
        "bias",
        "dilation",
        "padding_mode",
      ]
    : [
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
        "padding_mode",
      ];
  return {
    params,
    defaults: { stride: I1, padding: I0, output_padding: I0, dilation: I1, groups: I1, bias: T },
    forward(c) {
      const cin = getInt(c.args, "in_channels"),
        cout = getInt(c.args, "out_channels"),
        g = getInt(c.args, "groups");
      const k = getTuple(c.args, "kernel_size", rank);
      const attrs: Record<string, AttrValue> = {
        kernel_shape: k,
        strides: getTuple(c.args, "stride", rank),
        dilations: getTuple(c.args, "dilation", rank),
        group: g,
      };
      const pad = c.args.get("padding");
      if (pad?.t === "str") attrs["auto_pad"] = pad.v === "same" ? "SAME_UPPER" : "VALID";
      else {
        const p = getTuple(c.args, "padding", rank);
        attrs["pads"] = [...p, ...p];
      }
      if (transposed) attrs["output_padding"] = getTuple(c.args, "output_padding", rank);
      const weight = w(c, "weight", transposed ? [cin, cout / g, ...k] : [cout, cin / g, ...k]);
      const inputs = [c.x.value, weight];
      if (getBool(c.args, "bias", true)) inputs.push(w(c, "bias", [cout]));
      const label = transposed ? "ConvTranspose" : "Conv";
      return one(
        op(c, label, inputs, attrs, {
          explain: (m) =>
            /input channels/.test(m)
              ? channelFix(c, "in_channels", m.replace(/^Conv(Transpose)? /, `${c.type} `))
              : undefined,
        }),
      );
    },
    defaultInput: (a) => {
      const cin = a.get("in_channels");
      const ch = cin?.t === "int" ? cin.v : 3;
      return {
        dtype: "float32",
        shape: rank === 1 ? [1, ch, 128] : rank === 2 ? [1, ch, 224, 224] : [1, ch, 16, 112, 112],
      };
    },
  };
}

export const CONV_LAYERS: Readonly<Record<string, LayerSpec>> = {
  Conv1d: conv(1, false),
  Conv2d: conv(2, false),
  Conv3d: conv(3, false),
  ConvTranspose1d: conv(1, true),
  ConvTranspose2d: conv(2, true),
  ConvTranspose3d: conv(3, true),
};
