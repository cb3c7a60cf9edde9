/**
 * Ops that rearrange windows rather than reduce them: MaxUnpool, Col2Im (ONNX, torch's fold),
 * Im2Col (torch's unfold, not an ONNX op), FractionalMaxPool (random windows, not an ONNX op),
 * and a few elementwise ops the source readers name after PyTorch (RMSNormalization, Threshold).
 * None of them multiplies: MACs are 0 (fixtures README).
 */
import { applyWindow, mapAxes, transposedWindow } from "../fields/receptiveField";
import type { Dim } from "../ir/types";
import { attrInts, constInts, dtypeOf, isNum, shapeOf } from "./dims";
import { isRuntimeValue, operandLength, runtimeReason, runtimeShaped, unknownDims } from "./runtimeDims";
import { ShapeError, type OpContext, type OpRule } from "./types";

interface Spatial {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

/** kernel_shape (or a constant input), strides, dilations and pads over n spatial axes. */
function spatialAttrs(ctx: OpContext, n: number, kernel?: number[]): Spatial {
  const k = kernel ?? attrInts(ctx.node, "kernel_shape");
  if (!k || k.length !== n)
    throw new ShapeError(`${ctx.node.opType} kernel ${JSON.stringify(k)} does not fit ${n} spatial axes`);
  const strides = attrInts(ctx.node, "strides") ?? new Array<number>(n).fill(1);
  const dilations = attrInts(ctx.node, "dilations") ?? new Array<number>(n).fill(1);
  const pads = attrInts(ctx.node, "pads") ?? new Array<number>(2 * n).fill(0);
  return { kernel: k, strides, dilations, pads };
}

/** Sliding-window positions along each axis (what Im2Col's L counts and Col2Im expects). */
function blocks(spatial: readonly Dim[], s: Spatial): Dim[] {
  return spatial.map((d, i) => {
    const ext = (s.dilations[i] ?? 1) * ((s.kernel[i] ?? 1) - 1) + 1;
    if (!isNum(d)) return "?";
    const out =
      Math.floor((d + (s.pads[i] ?? 0) + (s.pads[i + spatial.length] ?? 0) - ext) / (s.strides[i] ?? 1)) + 1;
    if (out <= 0) throw new ShapeError(`window ${ext} is larger than the padded input ${d} along axis ${i}`);
    return out;
  });
}

function product(ds: readonly Dim[]): Dim {
  return ds.every(isNum) ? ds.reduce<number>((a, d) => a * (d as number), 1) : "?";
}

/** The field of these outputs is not a window of input positions one can state: unknown, with the reason. */
function noField(why: string): OpRule["rf"] {
  return () => {
    throw new ShapeError(why);
  };
}

const maxUnpool: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const s = spatialAttrs(ctx, x.length - 2);
    // output_shape: the full shape (ONNX), or only the spatial sizes (what torch's output_size keeps).
    const n = x.length - 2;
    if (isRuntimeValue(ctx, 2))
      return [runtimeShaped(ctx, [x[0], x[1], ...unknownDims(n)], runtimeReason(ctx, "output_shape", 2))];
    const given = constInts(ctx, 2)?.slice(-n);
    if (given && given.length !== n)
      throw new ShapeError(`MaxUnpool output_shape ${JSON.stringify(given)} does not match rank ${x.length}`);
    const spatial = x.slice(2).map((d, i): Dim => {
      if (given) return given[i] ?? "?";
      return isNum(d)
        ? (d - 1) * (s.strides[i] ?? 1) - (s.pads[i] ?? 0) - (s.pads[i + n] ?? 0) + (s.kernel[i] ?? 1)
        : "?";
    });
    return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? 1, x[1] ?? "?", ...spatial] }];
  },
  // Output o receives input i when i·stride − pad + j = o for a kernel offset j: a transposed window.
  rf: (ctx) => {
    const f = ctx.fields[0];
    const x = ctx.inputs[0]?.shape;
    if (!f || f.kind === "global" || !x) return f;
    const s = spatialAttrs(ctx, x.length - 2);
    return mapAxes(
      f,
      (a, axis) =>
        a && axis >= 2
          ? applyWindow(
              a,
              transposedWindow(s.kernel[axis - 2] ?? 1, s.strides[axis - 2] ?? 1, s.pads[axis - 2] ?? 0, 1),
            )
          : a,
      true,
    );
  },
};

/** torch unfold: [N,] C, *spatial → [N,] C·∏kernel, L (L = window positions). */
const im2col: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const n = attrInts(ctx.node, "kernel_shape")?.length ?? 2;
    if (x.length !== n + 1 && x.length !== n + 2)
      throw new ShapeError(`Unfold needs a ${n + 1}-D or ${n + 2}-D input, got ${x.length}-D`);
    const s = spatialAttrs(ctx, n);
    const c = x[x.length - n - 1];
    const cols: Dim = isNum(c) ? c * s.kernel.reduce((a, k) => a * k, 1) : "?";
    return [
      {
        dtype: dtypeOf(ctx),
        shape: [...x.slice(0, x.length - n - 1), cols, product(blocks(x.slice(-n), s))],
      },
    ];
  },
  rf: noField("the field of Unfold's columns is not followed"),
};

/** ONNX Col2Im (torch fold): [N,] C·∏block, L → [N,] C, *image_shape. */
const col2im: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const image = constInts(ctx, 1);
    const block = constInts(ctx, 2);
    if (!image || !block) {
      const n = image?.length ?? operandLength(ctx, 1);
      const per = block?.reduce((a, k) => a * k, 1);
      const cols = x[x.length - 2];
      const lead = x.slice(0, x.length - 2);
      const c = isNum(cols) && per ? cols / per : undefined;
      const why = runtimeReason(ctx, image ? "block_shape" : "image_shape", image ? 2 : 1);
      return [
        runtimeShaped(ctx, n === undefined ? undefined : [...lead, c, ...(image ?? unknownDims(n))], why),
      ];
    }
    if (image.length !== block.length)
      throw new ShapeError("Col2Im image_shape / block_shape are not constant");
    if (x.length !== 2 && x.length !== 3)
      throw new ShapeError(`Fold needs a 2-D or 3-D input, got ${x.length}-D`);
    const s = spatialAttrs(ctx, block.length, block);
    const [cols, l] = x.slice(-2);
    const per = block.reduce((a, k) => a * k, 1);
    if (isNum(cols) && cols % per !== 0)
      throw new ShapeError(`Fold expects its channel size ${cols} to be divisible by the kernel size ${per}`);
    const want = product(blocks(image, s));
    if (isNum(l) && isNum(want) && l !== want)
      throw new ShapeError(`Fold expects ${want} blocks but receives ${l}`);
    return [
      { dtype: dtypeOf(ctx), shape: [...x.slice(0, x.length - 2), isNum(cols) ? cols / per : "?", ...image] },
    ];
  },
  rf: noField("the field of Fold's sums of overlapping blocks is not followed"),
};

/** Fractional max-pooling: output_size given (from output_size or output_ratio); windows are random. */
const fractionalMaxPool: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const size = attrInts(ctx.node, "output_size");
    if (!size || size.length > x.length) throw new ShapeError("FractionalMaxPool output_size is not known");
    const shape = [...x.slice(0, x.length - size.length), ...size];
    return ctx.node.outputs.map((_, i) => ({ dtype: i === 0 ? dtypeOf(ctx) : "int64", shape }));
  },
  rf: noField("fractional max-pooling windows are random"),
};

const sameShape: OpRule = {
  infer: (ctx) => [{ dtype: dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
  rf: "elementwise",
};

export const UNPOOL_OPS: Readonly<Record<string, OpRule>> = {
  MaxUnpool: maxUnpool,
  Col2Im: col2im,
  // Not ONNX ops: the source readers name these PyTorch layers so.
  Im2Col: im2col,
  FractionalMaxPool: fractionalMaxPool,
  RMSNormalization: sameShape,
  Threshold: sameShape,
};
