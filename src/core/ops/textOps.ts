/**
 * String, optional and random ops of the default domain, and the ai.onnx.ml ops exported vision
 * pipelines carry: shapes only (no MACs), with symbols where the data decides a size.
 */
import type { Dim } from "../ir/types";
import { dtypeBytes, dtypeFromOnnx } from "../ir/dtype";
import { attrInt, attrInts, attrStr, broadcast, dtypeOf, shapeOf } from "./dims";
import { runtimeShaped } from "./runtimeDims";
import { ShapeError, type OpRule, type ValueState } from "./types";

const sameShape = (dtype?: ValueState["dtype"]): OpRule => ({
  infer: (ctx) => [{ dtype: dtype ?? dtypeOf(ctx), shape: shapeOf(ctx, 0) }],
  rf: "elementwise",
});

/** Optional(x), OptionalGetElement(x): the tensor itself when it is one. */
const passThrough: OpRule = {
  infer: (ctx) => [ctx.inputs[0] ?? { dtype: "unknown", shape: undefined }],
  rf: "elementwise",
};

/** StringSplit: the pieces, padded to the longest split (data-dependent), and the count per string. */
const stringSplit: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const max = attrInt(ctx.node, "maxsplit", 0);
    const why = "StringSplit: how many pieces the longest string splits into depends on the data";
    const pieces = runtimeShaped(ctx, [...x, undefined], why, 0, "string");
    const counts: ValueState = { dtype: "int64", shape: x };
    return [pieces, counts].slice(0, ctx.node.outputs.length).map((s, i) =>
      // With maxsplit the pieces axis is at most maxsplit + 1, still data-dependent below that.
      i === 0 && max > 0 ? { ...s, reason: `${why} (at most ${max + 1})` } : s,
    );
  },
  rf: "none",
};

/** StringNormalizer: removing stop words changes the count; without stop words the shape stays. */
const stringNormalizer: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const stop = ctx.node.attrs["stopwords"];
    if (!Array.isArray(stop) || stop.length === 0) return [{ dtype: "string", shape: x }];
    const why = "StringNormalizer: how many strings are stop words depends on the data";
    return [
      runtimeShaped(
        ctx,
        x.map((d, i) => (i === x.length - 1 ? undefined : d)),
        why,
        0,
        "string",
      ),
    ];
  },
  rf: "none",
};

/** TfIdfVectorizer: one column per n-gram index. */
const tfIdf: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const width = Math.max(-1, ...(attrInts(ctx.node, "ngram_indexes") ?? [])) + 1;
    return [{ dtype: "float32", shape: x.length === 1 ? [width] : [x[0] ?? "?", width] }];
  },
  rf: "none",
};

/** Multinomial: sample_size draws per batch row. */
const multinomial: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const dtype = dtypeFromOnnx(attrInt(ctx.node, "dtype", 6));
    return [{ dtype, shape: [x[0] ?? "?", attrInt(ctx.node, "sample_size", 1)] }];
  },
  rf: "none",
};

/** ImageDecoder: an encoded image of data-dependent size → [H, W, C]. */
const imageDecoder: OpRule = {
  infer(ctx) {
    const channels = attrStr(ctx.node, "pixel_format", "RGB") === "Grayscale" ? 1 : 3;
    const why = "ImageDecoder: the image's size is in its encoded bytes";
    return [runtimeShaped(ctx, [undefined, undefined, channels], why, 0, "uint8")];
  },
  rf: "none",
};

/** BitCast: same bytes, another type; a wider type eats the last axis, a narrower one adds it. */
const bitCast: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const to = dtypeFromOnnx(attrInt(ctx.node, "to", 1));
    const from = dtypeBytes(dtypeOf(ctx));
    const size = dtypeBytes(to);
    if (!from || !size) throw new ShapeError(`BitCast between ${dtypeOf(ctx)} and ${to}`);
    if (from === size) return [{ dtype: to, shape: x }];
    if (from > size) return [{ dtype: to, shape: [...x, from / size] }];
    const last = x[x.length - 1];
    if (last !== size / from) throw new ShapeError(`BitCast to ${to} needs a last axis of ${size / from}`);
    return [{ dtype: to, shape: x.slice(0, -1) }];
  },
  rf: "elementwise",
};

export const TEXT_OPS: Readonly<Record<string, OpRule>> = {
  RegexFullMatch: sameShape("bool"),
  StringConcat: {
    infer: (ctx) => [{ dtype: "string", shape: broadcast([shapeOf(ctx, 0), shapeOf(ctx, 1)]) as Dim[] }],
    rf: "elementwise",
  },
  StringSplit: stringSplit,
  StringNormalizer: stringNormalizer,
  TfIdfVectorizer: tfIdf,
  Optional: passThrough,
  OptionalGetElement: passThrough,
  OptionalHasElement: { infer: () => [{ dtype: "bool", shape: [] }], rf: "none", shapeFreeInputs: true },
  Multinomial: multinomial,
  ImageDecoder: imageDecoder,
  BitCast: bitCast,
};

/** ai.onnx.ml ops seen in exported vision pipelines (pre/post-processing). */
export const ML_OPS: Readonly<Record<string, OpRule>> = {
  Binarizer: sameShape(),
  // TreeEnsemble (ai.onnx.ml 5): X [N, F] → Y [N, n_targets].
  TreeEnsemble: {
    infer(ctx) {
      const x = shapeOf(ctx, 0);
      const targets = attrInt(ctx.node, "n_targets", 0);
      if (targets <= 0) throw new ShapeError("TreeEnsemble needs n_targets");
      return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? "?", targets] }];
    },
    rf: "none",
  },
  Normalizer: sameShape("float32"),
  Scaler: sameShape("float32"),
  LabelEncoder: {
    infer(ctx) {
      const a = ctx.node.attrs;
      const dtype: ValueState["dtype"] =
        "values_strings" in a
          ? "string"
          : "values_int64s" in a
            ? "int64"
            : "values_floats" in a
              ? "float32"
              : dtypeOf(ctx);
      return [{ dtype, shape: shapeOf(ctx, 0) }];
    },
    rf: "none",
  },
  ArrayFeatureExtractor: {
    infer(ctx) {
      const x = shapeOf(ctx, 0);
      const idx = shapeOf(ctx, 1);
      const n: Dim = idx.length === 0 ? 1 : (idx[idx.length - 1] ?? "?");
      return [{ dtype: dtypeOf(ctx), shape: x.length <= 1 ? [1, n] : [...x.slice(0, -1), n] }];
    },
    rf: "none",
  },
};
