/** torch.nn's normalisation layers: batch, instance, group, layer and local response norms. */
import type { AttrValue } from "../../ir/types";
import {
  T,
  one,
  op,
  unary,
  w,
  normalizedInput,
  normalizedShape,
  type LayerCall,
  type LayerSpec,
} from "./nnLayerKit";
import { getBool, getFloat, getInt } from "./pyArgs";
import { unknown } from "./values";

export function norm(
  opType: string,
  channelsArg: string,
  affineArg: string,
  affineDefault: boolean,
  buffers: boolean,
  /** The spatial dims assumed when the layer is the whole model (those of the conv of that rank). */
  spatial?: readonly number[],
): LayerSpec {
  return {
    ...(spatial
      ? {
          aloneInput: (a) => {
            const ch = a.get(channelsArg);
            return ch?.t === "int" ? { dtype: "float32", shape: [1, ch.v, ...spatial] } : undefined;
          },
        }
      : {}),
    params:
      opType === "GroupNormalization"
        ? ["num_groups", "num_channels", "eps", "affine"]
        : [channelsArg, "eps", "momentum", affineArg, "track_running_stats"],
    defaults: {},
    forward(c) {
      const ch = getInt(c.args, channelsArg);
      const xc = c.x.state.shape?.[1];
      if (typeof xc === "number" && xc !== ch) {
        const span = c.argSpans.get(channelsArg) ?? c.callSpan;
        c.b.diagnostics.push({
          span: c.callSpan,
          message: `${c.type} expects ${ch} channels but receives ${xc} (input ${c.x.state.shape?.join("×")})`,
          severity: "error",
          fixes: [{ span, replacement: String(xc), title: `Change ${channelsArg} to ${xc}` }],
        });
        return unknown(`${c.type} channel mismatch`);
      }
      const inputs = [c.x.value];
      if (getBool(c.args, affineArg, affineDefault)) inputs.push(w(c, "weight", [ch]), w(c, "bias", [ch]));
      if (buffers && getBool(c.args, "track_running_stats", true))
        inputs.push(w(c, "running_mean", [ch], "buffer"), w(c, "running_var", [ch], "buffer"));
      return one(op(c, opType, inputs, { epsilon: getFloat(c.args, "eps", 1e-5) }));
    },
  };
}

/** nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0): ONNX LRN's size, alpha, beta, bias. */
function lrnAttrs(c: LayerCall): Record<string, AttrValue> {
  return {
    size: getInt(c.args, "size"),
    alpha: getFloat(c.args, "alpha", 1e-4),
    beta: getFloat(c.args, "beta", 0.75),
    bias: getFloat(c.args, "k", 1),
  };
}

export const NORM_LAYERS: Readonly<Record<string, LayerSpec>> = {
  BatchNorm1d: norm("BatchNormalization", "num_features", "affine", true, true, []),
  BatchNorm2d: norm("BatchNormalization", "num_features", "affine", true, true, [224, 224]),
  BatchNorm3d: norm("BatchNormalization", "num_features", "affine", true, true, [16, 112, 112]),
  InstanceNorm1d: norm("InstanceNormalization", "num_features", "affine", false, false, [128]),
  InstanceNorm2d: norm("InstanceNormalization", "num_features", "affine", false, false, [224, 224]),
  InstanceNorm3d: norm("InstanceNormalization", "num_features", "affine", false, false, [16, 112, 112]),
  GroupNorm: norm("GroupNormalization", "num_channels", "affine", true, false),
  LayerNorm: {
    params: ["normalized_shape", "eps", "elementwise_affine", "bias"],
    defaults: { elementwise_affine: T },
    forward(c) {
      const dims = normalizedShape(c.args);
      const inputs = [c.x.value];
      if (getBool(c.args, "elementwise_affine", true))
        inputs.push(w(c, "weight", dims), ...(getBool(c.args, "bias", true) ? [w(c, "bias", dims)] : []));
      return one(op(c, "LayerNormalization", inputs, { axis: -dims.length }));
    },
    aloneInput: normalizedInput,
  },
  LocalResponseNorm: unary("LRN", ["size", "alpha", "beta", "k"], lrnAttrs),
  CrossMapLRN2d: unary("LRN", ["size", "alpha", "beta", "k"], lrnAttrs),
  SyncBatchNorm: norm("BatchNormalization", "num_features", "affine", true, true),
};
