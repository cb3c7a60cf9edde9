/**
 * Caffe layers that route or reshape their inputs without weights (BVLC caffe.proto and layer sources):
 * Concat, Slice, Split, Flatten, Reshape, Dropout, Softmax, Permute (the SSD fork's) and Crop, as
 * ONNX-style nodes. Returns undefined for a type it does not know.
 */
import type { AttrValue } from "../../ir/types";
import { type Net, UnknownSize, numeric } from "./caffeNet";
import type { TextMessage } from "./textProto";

export function shapeLayers(
  net: Net,
  l: TextMessage,
  type: string,
  name: string,
  b: string[],
): string[] | undefined {
  const x = b[0] ?? "";
  const xs = () => numeric(net.state(x)?.shape);
  const node = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outs = 1) =>
    net.node(name, type, op, inputs, attrs, outs);
  switch (type) {
    case "Concat": {
      const p = l.msg("concat_param");
      return node("Concat", b, { axis: p?.num("axis") ?? p?.num("concat_dim") ?? 1 });
    }
    case "Slice": {
      const p = l.msg("slice_param");
      const axis = p?.num("axis") ?? p?.num("slice_dim") ?? 1;
      const size = xs()?.[axis];
      const tops = l.all("top").length;
      const points = p?.nums("slice_point") ?? [];
      if (size === undefined)
        throw new UnknownSize(`layer "${name}" (line ${l.line}): the size it slices is unknown`);
      const cuts = points.length
        ? [0, ...points, size]
        : Array.from({ length: tops + 1 }, (_, i) => (i * size) / tops);
      return node("Split", [x, net.ints(cuts.slice(1).map((c, i) => c - (cuts[i] ?? 0)))], { axis }, tops);
    }
    case "Split":
      return l.all("top").map(() => node("Identity", [x])[0] ?? x);
    case "Flatten": {
      const p = l.msg("flatten_param");
      return node("Flatten", [x], { axis: p?.num("axis") ?? 1 });
    }
    case "Reshape":
      return node("Reshape", [x, net.ints(l.msg("reshape_param")?.msg("shape")?.nums("dim") ?? [])]);
    case "Dropout":
      return node("Dropout", [x]);
    case "Softmax":
      return node("Softmax", [x], { axis: l.msg("softmax_param")?.num("axis") ?? 1 });
    case "Permute":
      return node("Transpose", [x], { perm: l.msg("permute_param")?.nums("order") ?? [] });
    case "Crop": {
      const p = l.msg("crop_param");
      const axis = p?.num("axis") ?? 2;
      const ref = numeric(net.state(b[1] ?? "")?.shape);
      const shape = xs();
      if (!ref || !shape) throw new UnknownSize(`layer "${name}" (line ${l.line}): crop sizes unknown`);
      const offsets = p?.nums("offset") ?? [];
      const axes = ref.map((_, i) => i).filter((i) => i >= axis);
      const starts = axes.map((_a, i) => offsets[Math.min(i, offsets.length - 1)] ?? 0);
      return node("Slice", [
        x,
        net.ints(starts),
        net.ints(axes.map((a, i) => (starts[i] ?? 0) + (ref[a] ?? 0))),
        net.ints(axes),
      ]);
    }
    default:
      return undefined;
  }
}
