/**
 * torch.nn layers that move values rather than compute them: padding, channel and pixel
 * shuffles, max-unpooling, fold/unfold, fractional max-pooling and upsampling. Each emits the
 * op PyTorch's ONNX exporter would (or a named op of the shared table), so shapes come from
 * the op table; invalid arguments that PyTorch rejects give a diagnostic and an unknown value.
 */
import type { AttrValue } from "../../ir/types";
import { F, I0, I1, one, op, reject, type LayerCall, type LayerSpec } from "./nnLayerKit";
import { ArgError, getBool, getInt, getTuple, isNoneOrMissing } from "./pyArgs";
import { NONE, num, tuple, unknown, type PyTensor, type PyValue } from "./values";

/** The input's shape with every dimension a number, or undefined. */
function numericShape(c: LayerCall): readonly number[] | undefined {
  const s = c.x.state.shape;
  return s?.every((d): d is number => typeof d === "number") ? s : undefined;
}

/** Rank check for layers that take a batched or an unbatched input ((N,) C, *spatial). */
function rankError(c: LayerCall, spatial: number): PyValue | undefined {
  const r = c.x.state.shape?.length;
  if (r === undefined) return unknown(`${c.type} of an input of unknown rank`);
  return r === spatial + 1 || r === spatial + 2
    ? undefined
    : reject(c, `${c.type} expects a ${spatial + 1}-D or ${spatial + 2}-D input but receives ${r}-D`);
}

/**
 * Reflection / replication / zero / constant / circular padding over the last `rank` axes.
 * PyTorch's padding tuple starts at the last axis: (left, right, top, bottom, front, back).
 */
function pad(rank: number, mode: "constant" | "reflect" | "edge" | "wrap", withValue = false): LayerSpec {
  return {
    params: withValue ? ["padding", "value"] : ["padding"],
    defaults: {},
    forward(c) {
      const bad = rankError(c, rank);
      if (bad) return bad;
      const shape = c.x.state.shape ?? [];
      const p = getTuple(c.args, "padding", 2 * rank);
      const r = shape.length;
      const begin = new Array<number>(r).fill(0),
        end = new Array<number>(r).fill(0);
      for (let i = 0; i < rank; i++) {
        const axis = r - 1 - i;
        begin[axis] = p[2 * i] ?? 0;
        end[axis] = p[2 * i + 1] ?? 0;
        const d = shape[axis];
        // Reflection reads inside the input (pad < size); circular wraps at most once (pad ≤ size).
        const limit = mode === "reflect" ? (d as number) - 1 : mode === "wrap" ? (d as number) : Infinity;
        if (typeof d === "number" && Math.max(begin[axis] ?? 0, end[axis] ?? 0) > limit)
          return reject(
            c,
            `${c.type} padding (${begin[axis]}, ${end[axis]}) is too large for input size ${d} at dimension ${axis}`,
          );
      }
      return one(op(c, "Pad", [c.x.value, c.b.constInts([...begin, ...end])], { mode }));
    },
  };
}

/** Reshape to (N, g, C/g, ...) → swap the two group axes → reshape back, as the exporter does. */
const channelShuffle: LayerSpec = {
  params: ["groups"],
  defaults: {},
  forward(c) {
    const g = getInt(c.args, "groups");
    const shape = numericShape(c);
    if (!shape || shape.length < 3) return unknown("ChannelShuffle needs a known input shape of rank ≥ 3");
    const [n = 1, ch = 0, ...rest] = shape;
    if (ch % g !== 0)
      return reject(c, `ChannelShuffle: number of channels ${ch} must be divisible by groups ${g}`);
    const split = op(c, "Reshape", [c.x.value, c.b.constInts([n, g, ch / g, ...rest])], {})[0] as PyTensor;
    const perm = [0, 2, 1, ...rest.map((_, i) => i + 3)];
    const swapped = op(c, "Transpose", [split.value], { perm })[0] as PyTensor;
    return one(op(c, "Reshape", [swapped.value, c.b.constInts(shape)], {}));
  },
};

/** PixelShuffle / PixelUnshuffle on a 4-D input: ONNX DepthToSpace (CRD) / SpaceToDepth. */
function pixelShuffle(toSpace: boolean): LayerSpec {
  const arg = toSpace ? "upscale_factor" : "downscale_factor";
  return {
    params: [arg],
    defaults: {},
    forward(c) {
      const r = getInt(c.args, arg);
      const shape = c.x.state.shape;
      if (shape?.length !== 4)
        return unknown(
          `${c.type} of a ${shape ? `${shape.length}-D` : "rank-unknown"} input is not followed (4-D only)`,
        );
      const [, ch, h, w] = shape;
      if (toSpace && typeof ch === "number" && ch % (r * r) !== 0)
        return reject(
          c,
          `${c.type} expects its channels ${ch} to be divisible by the square of upscale_factor ${r * r}`,
        );
      for (const d of toSpace ? [] : [h, w])
        if (typeof d === "number" && d % r !== 0)
          return reject(c, `${c.type} expects height and width to be divisible by downscale_factor ${r}`);
      return one(
        op(
          c,
          toSpace ? "DepthToSpace" : "SpaceToDepth",
          [c.x.value],
          toSpace ? { blocksize: r, mode: "CRD" } : { blocksize: r },
        ),
      );
    },
  };
}

/** The ints of a size argument (int, tuple, list or x.size()), last `n` of them. */
function sizesOf(v: PyValue | undefined, n: number): number[] | undefined {
  if (!v || v.t === "none") return undefined;
  const items = v.t === "tuple" || v.t === "list" ? v.items.map(num) : [num(v)];
  const xs = items.length === 1 && n > 1 ? new Array<number | undefined>(n).fill(items[0]) : items.slice(-n);
  return xs.length === n && xs.every((x): x is number => x !== undefined && Number.isInteger(x))
    ? xs
    : undefined;
}

/** MaxUnpool: (x, indices, output_size=None); the output size defaults to (in−1)·stride − 2·pad + kernel. */
function maxUnpool(rank: number): LayerSpec {
  return {
    params: ["kernel_size", "stride", "padding"],
    defaults: { stride: NONE, padding: I0 },
    forward(c) {
      const k = getTuple(c.args, "kernel_size", rank);
      const s = isNoneOrMissing(c.args, "stride") ? k : getTuple(c.args, "stride", rank);
      const p = getTuple(c.args, "padding", rank);
      const indices = c.rest[0] ?? c.kwargs.get("indices");
      if (indices?.t !== "tensor")
        return unknown(`${c.type} needs the indices of a max-pool (return_indices=True)`);
      const sizeArg = c.rest[1] ?? c.kwargs.get("output_size");
      const inputs = [c.x.value, indices.value];
      if (sizeArg && sizeArg.t !== "none") {
        const sizes = sizesOf(sizeArg, rank);
        if (!sizes) return unknown(`${c.type} output_size is not constant`);
        inputs.push(c.b.constInts(sizes));
      }
      return one(op(c, "MaxUnpool", inputs, { kernel_shape: k, strides: s, pads: [...p, ...p] }));
    },
  };
}

const unfold: LayerSpec = {
  params: ["kernel_size", "dilation", "padding", "stride"],
  defaults: { dilation: I1, padding: I0, stride: I1 },
  forward(c) {
    const p = getTuple(c.args, "padding", 2);
    const attrs = {
      kernel_shape: getTuple(c.args, "kernel_size", 2),
      dilations: getTuple(c.args, "dilation", 2),
      pads: [...p, ...p],
      strides: getTuple(c.args, "stride", 2),
    };
    return one(op(c, "Im2Col", [c.x.value], attrs));
  },
};

const fold: LayerSpec = {
  params: ["output_size", "kernel_size", "dilation", "padding", "stride"],
  defaults: { dilation: I1, padding: I0, stride: I1 },
  forward(c) {
    const p = getTuple(c.args, "padding", 2);
    const inputs = [
      c.x.value,
      c.b.constInts(getTuple(c.args, "output_size", 2)),
      c.b.constInts(getTuple(c.args, "kernel_size", 2)),
    ];
    return one(
      op(c, "Col2Im", inputs, {
        dilations: getTuple(c.args, "dilation", 2),
        pads: [...p, ...p],
        strides: getTuple(c.args, "stride", 2),
      }),
    );
  },
};

/** FractionalMaxPool: output_size, or ⌊input · output_ratio⌋ (PyTorch truncates). */
function fractionalMaxPool(rank: number): LayerSpec {
  return {
    params: ["kernel_size", "output_size", "output_ratio", "return_indices", "_random_samples"],
    defaults: { output_size: NONE, output_ratio: NONE, return_indices: F },
    forward(c) {
      const k = getTuple(c.args, "kernel_size", rank);
      const bad = rankError(c, rank);
      if (bad) return bad;
      const spatial = (c.x.state.shape ?? []).slice(-rank);
      let sizes: number[];
      if (!isNoneOrMissing(c.args, "output_size")) sizes = getTuple(c.args, "output_size", rank);
      else if (!isNoneOrMissing(c.args, "output_ratio")) {
        const ratio = getTuple(c.args, "output_ratio", rank);
        if (!spatial.every((d): d is number => typeof d === "number"))
          return unknown(`${c.type} output_ratio of an unknown input size`);
        sizes = spatial.map((d, i) => Math.trunc(d * (ratio[i] ?? 1)));
      } else throw new ArgError("FractionalMaxPool needs output_size or output_ratio");
      for (let i = 0; i < rank; i++) {
        const d = spatial[i];
        if (typeof d === "number" && (sizes[i] ?? 0) + (k[i] ?? 1) - 1 > d)
          return reject(
            c,
            `${c.type}: output size ${sizes[i]} plus kernel size ${k[i]} minus 1 is too large for input size ${d}`,
          );
      }
      const indices = getBool(c.args, "return_indices", false);
      const outs = op(
        c,
        "FractionalMaxPool",
        [c.x.value],
        { kernel_shape: k, output_size: sizes },
        { outputs: indices ? 2 : 1 },
      );
      return indices ? tuple(outs) : one(outs);
    },
  };
}

/** Upsample by size or scale_factor, as ONNX Resize: sizes are exact, scales give ⌊in · scale⌋. */
function upsample(fixedMode?: "nearest" | "bilinear"): LayerSpec {
  return {
    params: fixedMode
      ? ["size", "scale_factor"]
      : ["size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"],
    defaults: {},
    forward(c) {
      const shape = c.x.state.shape;
      if (!shape || shape.length < 3) return unknown(`${c.type} needs an input of known rank ≥ 3`);
      const rank = shape.length - 2;
      const modeV = c.args.get("mode");
      const mode = fixedMode ?? (modeV?.t === "str" ? modeV.v : "nearest");
      const attrs: Record<string, AttrValue> = {
        mode: mode.startsWith("nearest") ? "nearest" : mode === "bicubic" ? "cubic" : "linear",
      };
      if (fixedMode === "bilinear" || getBool(c.args, "align_corners", false))
        attrs["coordinate_transformation_mode"] = "align_corners";
      if (!isNoneOrMissing(c.args, "size")) {
        const sizes = sizesOf(c.args.get("size"), rank);
        const lead = shape.slice(0, 2);
        if (!sizes || !lead.every((d): d is number => typeof d === "number"))
          return unknown(`${c.type} size is not constant`);
        return one(op(c, "Resize", [c.x.value, "", "", c.b.constInts([...lead, ...sizes])], attrs));
      }
      if (isNoneOrMissing(c.args, "scale_factor"))
        return reject(c, `${c.type}: either size or scale_factor should be defined`);
      const s = getTuple(c.args, "scale_factor", rank);
      return one(op(c, "Resize", [c.x.value, "", c.b.constFloats([1, 1, ...s])], attrs));
    },
  };
}

export const RESHAPE_LAYERS: Readonly<Record<string, LayerSpec>> = {
  ReflectionPad1d: pad(1, "reflect"),
  ReflectionPad2d: pad(2, "reflect"),
  ReflectionPad3d: pad(3, "reflect"),
  ReplicationPad1d: pad(1, "edge"),
  ReplicationPad2d: pad(2, "edge"),
  ReplicationPad3d: pad(3, "edge"),
  ZeroPad1d: pad(1, "constant"),
  ZeroPad2d: pad(2, "constant"),
  ZeroPad3d: pad(3, "constant"),
  ConstantPad1d: pad(1, "constant", true),
  ConstantPad2d: pad(2, "constant", true),
  ConstantPad3d: pad(3, "constant", true),
  CircularPad1d: pad(1, "wrap"),
  CircularPad2d: pad(2, "wrap"),
  CircularPad3d: pad(3, "wrap"),
  ChannelShuffle: channelShuffle,
  PixelShuffle: pixelShuffle(true),
  PixelUnshuffle: pixelShuffle(false),
  MaxUnpool1d: maxUnpool(1),
  MaxUnpool2d: maxUnpool(2),
  MaxUnpool3d: maxUnpool(3),
  Unfold: unfold,
  Fold: fold,
  FractionalMaxPool2d: fractionalMaxPool(2),
  FractionalMaxPool3d: fractionalMaxPool(3),
  Upsample: upsample(),
  UpsamplingNearest2d: upsample("nearest"),
  UpsamplingBilinear2d: upsample("bilinear"),
};
