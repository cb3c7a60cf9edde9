/**
 * Caffe layers beyond the core CNN set, each as ONNX-style nodes with Caffe's semantics
 * (BVLC caffe.proto and layer sources; the SSD fork's Normalize, ShuffleNet's ShuffleChannel,
 * SENet's Axpy, PSPNet's Interp, the common Upsample, SegNet's and PSPNet's BN): element-wise math,
 * reductions, tiling, resizing. Returns undefined for a type it does not know.
 */
import type { AttrValue } from "../../ir/types";
import { type Net, UnknownSize, knownShape, numeric, unsupportedVariant } from "./caffeNet";
import type { TextMessage } from "./textProto";

export function moreLayers(
  net: Net,
  l: TextMessage,
  type: string,
  name: string,
  b: string[],
): string[] | undefined {
  const x = b[0] ?? "";
  const node = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}) =>
    net.node(name, type, op, inputs, attrs);
  const one = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}) =>
    node(op, inputs, attrs)[0] ?? "";
  const scalar = (suffix: string, v: number) => net.floats(`${name}.${suffix}`, [v]);
  const shape = () => knownShape(net, l, name, x);
  const unsupported = (what: string): never => unsupportedVariant(l, type, name, what);
  /** shift + scale·x, the inner term of Power, Exp and Log. */
  const affine = (p: TextMessage | undefined) => {
    const scale = p?.num("scale") ?? 1,
      shift = p?.num("shift") ?? 0;
    let y = x;
    if (scale !== 1) y = one("Mul", [y, scalar("scale", scale)]);
    if (shift !== 0) y = one("Add", [y, scalar("shift", shift)]);
    return y;
  };
  switch (type) {
    case "Power": {
      // y = (shift + scale·x) ^ power
      const p = l.msg("power_param");
      const power = p?.num("power") ?? 1;
      const inner = affine(p);
      return [power === 1 ? one("Identity", [inner]) : one("Pow", [inner, scalar("power", power)])];
    }
    case "Exp": {
      // y = base ^ (shift + scale·x); base −1 is e.
      const p = l.msg("exp_param");
      const base = p?.num("base") ?? -1;
      const inner = affine(p);
      return [base === -1 ? one("Exp", [inner]) : one("Pow", [scalar("base", base), inner])];
    }
    case "Log": {
      // y = log_base(shift + scale·x); base −1 is e.
      const p = l.msg("log_param");
      const base = p?.num("base") ?? -1;
      const ln = one("Log", [affine(p)]);
      return [base === -1 ? ln : one("Div", [ln, scalar("ln_base", Math.log(base))])];
    }
    case "Threshold": {
      // y = 1 where x > threshold, else 0.
      const t = l.msg("threshold_param")?.num("threshold") ?? 0;
      return [one("Cast", [one("Greater", [x, scalar("threshold", t)])], { to: 1 })];
    }
    case "ArgMax": {
      const p = l.msg("argmax_param");
      if ((p?.num("top_k") ?? 1) !== 1 || p?.first("out_max_val") === true)
        unsupported("with top_k > 1 or out_max_val");
      const axis = p?.num("axis");
      if (axis !== undefined) return [one("Cast", [one("ArgMax", [x], { axis, keepdims: 1 })], { to: 1 })];
      // Without an axis: over each sample's values, shaped N × 1 × top_k.
      const flat = one("Flatten", [x], { axis: 1 });
      const arg = one("Cast", [one("ArgMax", [flat], { axis: 1, keepdims: 1 })], { to: 1 });
      return [one("Unsqueeze", [arg, net.ints([2])])];
    }
    case "Reduction": {
      // Reduces every axis from `axis` (default 0) on: SUM, ASUM, SUMSQ, MEAN, times coeff.
      const p = l.msg("reduction_param");
      const rank = shape().length;
      const axis = ((p?.num("axis") ?? 0) + rank) % rank;
      const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
      const opName = String(p?.first("operation") ?? "SUM");
      const op = {
        SUM: "ReduceSum",
        "1": "ReduceSum",
        ASUM: "ReduceL1",
        "2": "ReduceL1",
        SUMSQ: "ReduceSumSquare",
        "3": "ReduceSumSquare",
        MEAN: "ReduceMean",
        "4": "ReduceMean",
      }[opName];
      if (!op) return unsupported(`operation ${opName}`);
      let y = one(op, [x, net.ints(axes)], { keepdims: 0 });
      const coeff = p?.num("coeff") ?? 1;
      if (coeff !== 1) y = one("Mul", [y, scalar("coeff", coeff)]);
      return [y];
    }
    case "Tile": {
      const p = l.msg("tile_param");
      const rank = shape().length;
      const axis = ((p?.num("axis") ?? 1) + rank) % rank;
      const repeats = Array.from({ length: rank }, (_, i) => (i === axis ? (p?.num("tiles") ?? 1) : 1));
      return [one("Tile", [x, net.ints(repeats)])];
    }
    case "Normalize": {
      // SSD: x / sqrt(Σx² + eps) over the channels (across_spatial: false) or the whole sample, times a
      // scale.
      const p = l.msg("norm_param");
      const [, c = 0] = shape();
      const across = p?.first("across_spatial") !== false;
      const axes = across ? [1, 2, 3] : [1];
      const norm = one("Sqrt", [
        one("Add", [
          one("ReduceSumSquare", [x, net.ints(axes)], { keepdims: 1 }),
          scalar("eps", p?.num("eps") ?? 1e-10),
        ]),
      ]);
      const shared = p?.first("channel_shared") !== false;
      return [one("Mul", [one("Div", [x, norm]), net.weight(`${name}.scale`, shared ? [1] : [c, 1, 1])])];
    }
    case "ShuffleChannel": {
      // ShuffleNet: channels viewed as group × (C/group), transposed.
      const [n = 1, c = 0, h = 1, w = 1] = shape();
      const g = l.msg("shuffle_channel_param")?.num("group") ?? 1;
      const split = one("Reshape", [x, net.ints([n, g, c / g, h, w])]);
      const moved = one("Transpose", [split], { perm: [0, 2, 1, 3, 4] });
      return [one("Reshape", [moved, net.ints([n, c, h, w])])];
    }
    case "Axpy": {
      // SENet's fused a·x + y, a per channel (N×C×1×1).
      const [a = "", xx = "", y = ""] = b;
      return [one("Add", [one("Mul", [a, xx]), y])];
    }
    case "BN": {
      // The fork layer "BN": a learned scale and shift per channel in every fork (blobs [1, C, 1, 1]).
      // SegNet's and ENet's (caffe-segnet bn_layer.cpp: bn_param { scale_filler shift_filler bn_mode })
      // stores nothing else and, in bn_mode INFERENCE, computes scale·x + shift; the other family
      // (yjxiong's, PSPNet's: bn_param { slope_filler bias_filler frozen momentum eps }) also stores a
      // running mean and variance: statistics, as BatchNorm's, not learned.
      const p = l.msg("bn_param");
      const [, c = 0] = shape();
      const segnet = ["scale_filler", "shift_filler", "bn_mode"].some((f) => p?.first(f) !== undefined);
      const weights = [net.weight(`${name}.scale`, [c]), net.weight(`${name}.shift`, [c])];
      const fill = (v: number) => new Array<number>(c).fill(v);
      const stats = segnet
        ? [net.floats(`${name}.zero`, fill(0)), net.floats(`${name}.one`, fill(1))]
        : [net.weight(`${name}.mean`, [c], "buffer"), net.weight(`${name}.variance`, [c], "buffer")];
      return node("BatchNormalization", [x, ...weights, ...stats], {
        epsilon: segnet ? 0 : (p?.num("eps") ?? 1e-5),
      });
    }
    case "Python": {
      // A Python layer between others (py-faster-rcnn's and R-FCN's proposal layer): its Python code
      // shapes its tops (data layers, with no bottoms, are read as inputs instead).
      const p = l.msg("python_param");
      return unsupported(
        `${p?.str("module") ?? "?"}.${p?.str("layer") ?? "?"} (its tops are shaped by Python code)`,
      );
    }
    case "Upsample": {
      if (b.length > 1) unsupported("with a pooling mask (SegNet's unpooling)");
      const p = l.msg("upsample_param");
      const s = p?.num("scale") ?? 2;
      const sh = p?.num("scale_h") ?? s,
        sw = p?.num("scale_w") ?? s;
      return [one("Resize", [x, "", net.floats(`${name}.scales`, [1, 1, sh, sw])], { mode: "nearest" })];
    }
    case "Interp": {
      // PSPNet / DeepLab: bilinear with aligned corners to height × width, or by zoom / shrink factors.
      const p = l.msg("interp_param");
      const [n = 1, c = 0, h = 0, w = 0] = shape();
      const hIn = h + (p?.num("pad_beg") ?? 0) + (p?.num("pad_end") ?? 0);
      const wIn = w + (p?.num("pad_beg") ?? 0) + (p?.num("pad_end") ?? 0);
      const zoom = p?.num("zoom_factor"),
        shrink = p?.num("shrink_factor");
      let [ho, wo] = [hIn, wIn];
      if (shrink !== undefined)
        [ho, wo] = [Math.floor((ho - 1) / shrink) + 1, Math.floor((wo - 1) / shrink) + 1];
      if (zoom !== undefined) [ho, wo] = [ho + (ho - 1) * (zoom - 1), wo + (wo - 1) * (zoom - 1)];
      const hh = p?.num("height"),
        ww = p?.num("width");
      if (hh !== undefined && ww !== undefined) [ho, wo] = [hh, ww];
      if (b.length > 1) {
        const ref = numeric(net.state(b[1] ?? "")?.shape);
        if (!ref)
          throw new UnknownSize(
            `layer "${name}" (line ${l.line}): the size of its reference input is unknown`,
          );
        [ho, wo] = [ref[2] ?? ho, ref[3] ?? wo];
      }
      return [
        one("Resize", [x, "", "", net.ints([n, c, ho, wo])], {
          mode: "linear",
          coordinate_transformation_mode: "align_corners",
        }),
      ];
    }
    default:
      return undefined;
  }
}
