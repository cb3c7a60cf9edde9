/**
 * torchvision's transforms as shapes: how each changes a sample (a PIL image's channels and size,
 * or a tensor's shape) — Resize as torchvision computes it, the crops' fixed sizes, ToTensor —
 * and why a sample's size stops being known (Lambda, a Resize of images whose size is not known).
 */
import type { DType } from "../../ir/types";
import { builtin } from "./builtins";
import { iterate, num, unknown, type CallArgs, type PyValue } from "./values";

/** An image before ToTensor (a PIL image: channels and size) or a tensor (its shape without the batch). */
export type Sample =
  | {
      readonly pil: true;
      readonly c: number;
      readonly h?: number;
      readonly w?: number;
      /** Why the size is not known (a Resize that keeps an aspect ratio not known). */
      readonly unsized?: string;
    }
  | { readonly pil: false; readonly shape: readonly number[]; readonly dtype: DType }
  | { readonly why: string };

export type Transform = (s: Sample) => Sample;

const transforms = new WeakMap<object, Transform>();

function transformValue(name: string, f: Transform): PyValue {
  const v = builtin(`transforms.${name}`, () => unknown(`transforms.${name} on an image is not followed`));
  transforms.set(v, f);
  return v;
}

/** A transform argument (none = the image as it is). */
export function transformOf(v: PyValue | undefined): Transform {
  if (!v || v.t === "none") return (s) => s;
  const f = typeof v === "object" ? transforms.get(v) : undefined;
  if (f) return f;
  const why = v.t === "unknown" ? v.reason : "a transform that is not torchvision's";
  return () => ({ why: `the dataset's transform is not known (${why})` });
}

/** `224` or `(224, 160)` or `[224]` → [h, w]. */
function sizeOf(v: PyValue | undefined): [number, number] | undefined {
  const n = v ? num(v) : undefined;
  if (n !== undefined && Number.isInteger(n)) return [n, n];
  const items = v ? iterate(v)?.map(num) : undefined;
  if (items?.length === 1 && items[0] !== undefined) return [items[0], items[0]];
  const [h, w] = items ?? [];
  return items?.length === 2 && h !== undefined && w !== undefined ? [h, w] : undefined;
}

const onImage =
  (name: string, f: (s: Extract<Sample, { pil: true }>) => Sample): Transform =>
  (s) =>
    "why" in s ? s : s.pil ? f(s) : { why: `transforms.${name} after ToTensor is not followed` };

const sized = (name: string, a: CallArgs, k = "size"): Transform => {
  const hw = sizeOf(a.args[0] ?? a.kwargs.get(k));
  if (!hw) return () => ({ why: `transforms.${name} of a size that is not known` });
  return (s) =>
    "why" in s ? s : s.pil ? { ...s, h: hw[0], w: hw[1] } : { ...s, shape: [s.shape[0] ?? 1, ...hw] };
};

/** Resize(int): the shorter side to `size`, the longer as torchvision computes it (int of the ratio). */
function resize(a: CallArgs): Transform {
  const size = a.args[0] ?? a.kwargs.get("size");
  const n = size ? num(size) : undefined;
  const one = size && n === undefined ? iterate(size) : undefined;
  if (n === undefined && one?.length !== 1) return sized("Resize", a);
  const short = n ?? num(one?.[0] ?? { t: "none" });
  return onImage("Resize", (s) => {
    if (short === undefined) return { why: "transforms.Resize of a size that is not known" };
    if (s.h === undefined || s.w === undefined)
      return {
        ...s,
        unsized: `transforms.Resize(${short}) keeps the aspect ratio of images whose size is not known`,
      };
    const [h, w] = [s.h, s.w];
    const long = Math.floor((short * Math.max(h, w)) / Math.min(h, w));
    return { ...s, h: h <= w ? short : long, w: h <= w ? long : short };
  });
}

function pad(a: CallArgs): Transform {
  const p = a.args[0] ?? a.kwargs.get("padding");
  const items = p ? (num(p) !== undefined ? [num(p)] : iterate(p)?.map(num)) : undefined;
  if (!items?.every((x): x is number => x !== undefined) || ![1, 2, 4].includes(items.length))
    return () => ({ why: "transforms.Pad of a padding that is not known" });
  const [l, t, r, b] =
    items.length === 1
      ? [items[0], items[0], items[0], items[0]]
      : items.length === 2
        ? [items[0], items[1], items[0], items[1]]
        : items;
  return onImage("Pad", (s) =>
    s.h === undefined || s.w === undefined
      ? s
      : { ...s, h: s.h + (t ?? 0) + (b ?? 0), w: s.w + (l ?? 0) + (r ?? 0) },
  );
}

const SAME = (s: Sample): Sample => s;

/** Transforms that keep the image's size and channels (flips, colour, rotations without expand). */
const KEEP_SHAPE = [
  "RandomHorizontalFlip",
  "RandomVerticalFlip",
  "ColorJitter",
  "RandomGrayscale",
  "GaussianBlur",
  "RandomInvert",
  "RandomPosterize",
  "RandomSolarize",
  "RandomAdjustSharpness",
  "RandomAutocontrast",
  "RandomEqualize",
  "AutoAugment",
  "RandAugment",
  "TrivialAugmentWide",
  "AugMix",
  "RandomPerspective",
  "RandomAffine",
];

export function transformMember(n: string): PyValue | undefined {
  const make = (f: (a: CallArgs) => Transform) => builtin(`transforms.${n}`, (a) => transformValue(n, f(a)));
  if (KEEP_SHAPE.includes(n)) return make(() => SAME);
  switch (n) {
    case "Compose":
      return make((a) => {
        const steps = iterate(a.args[0] ?? a.kwargs.get("transforms") ?? { t: "none" });
        if (!steps) return () => ({ why: "transforms.Compose of a list that is not known" });
        const fs = steps.map(transformOf);
        return (s) => fs.reduce((acc, f) => f(acc), s);
      });
    case "ToTensor":
      return make(() => onImage(n, (s) => tensorOf(s, "float32")));
    case "PILToTensor":
      return make(() => onImage(n, (s) => tensorOf(s, "uint8")));
    case "Normalize":
    case "RandomErasing":
    case "ConvertImageDtype":
      return make(() => (s) => ("why" in s || !s.pil ? s : { why: `transforms.${n} of a PIL image fails` }));
    case "Resize":
      return make(resize);
    case "CenterCrop":
    case "RandomCrop":
    case "RandomResizedCrop":
      return make((a) => sized(n, a));
    case "Pad":
      return make(pad);
    case "Grayscale":
      return make((a) => {
        const c = num(a.args[0] ?? a.kwargs.get("num_output_channels") ?? { t: "int", v: 1 });
        return onImage(n, (s) =>
          c === 1 || c === 3 ? { ...s, c } : { why: "Grayscale channels not known" },
        );
      });
    case "RandomRotation":
      return make((a) =>
        a.kwargs.get("expand")?.t === "bool" && (a.kwargs.get("expand") as { v: boolean }).v
          ? () => ({ why: "RandomRotation(expand=True) changes the size" })
          : SAME,
      );
    default:
      return /^[A-Z]/.test(n) ? make(() => () => ({ why: `transforms.${n} is not followed` })) : undefined;
  }
}

function tensorOf(s: Extract<Sample, { pil: true }>, dtype: DType): Sample {
  if (s.h === undefined || s.w === undefined)
    return {
      why: s.unsized ?? "the images' size is not known (no transform resizes or crops them to a fixed size)",
    };
  return { pil: false, shape: [s.c, s.h, s.w], dtype };
}
