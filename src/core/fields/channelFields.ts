/**
 * Per-channel fields through ops that move channels without mixing them: a channel shuffle
 * (Reshape (N, g, C/g, H, W) → Transpose → Reshape (N, C, H, W)), a channel split or slice.
 * `channels` segments index the channel block, the non-spatial axes between the batch axis
 * and the first spatial one, flattened row-major: a reshape that only splits or merges that
 * block keeps the flat order, a transpose inside it permutes it.
 */
import type { Shape } from "../ir/types";
import {
  contextOf,
  unionFields,
  withoutChannels,
  type ChannelSegment,
  type ValueField,
} from "./receptiveField";

type AxesField = ValueField & { kind: "axes" };

// One entry per channel is built to permute; wider channel blocks fall back to the union.
const MAX_CHANNELS = 1 << 16;

/** First spatial axis of a field laid out batch, channel block, spatial axes; undefined otherwise. */
function spatialStart(f: AxesField): number | undefined {
  const s = f.axes.findIndex((a) => a !== null);
  if (s < 2 || f.axes.slice(s).some((a) => a === null)) return undefined;
  return s;
}

/** The segment index of every channel, or undefined when too many. */
function owners(segs: readonly ChannelSegment[]): number[] | undefined {
  const total = segs.reduce((a, c) => a + c.count, 0);
  if (total > MAX_CHANNELS) return undefined;
  return segs.flatMap((c, i) => new Array<number>(c.count).fill(i));
}

/** Segments of the channels `picked` (input channel indexes, in output order), runs merged. */
function pick(segs: readonly ChannelSegment[], picked: readonly number[]): ChannelSegment[] | undefined {
  const own = owners(segs);
  if (!own) return undefined;
  const out: { count: number; seg: number }[] = [];
  for (const c of picked) {
    const seg = own[c];
    if (seg === undefined) return undefined;
    const last = out[out.length - 1];
    if (last && last.seg === seg) last.count++;
    else out.push({ count: 1, seg });
  }
  return out.map(({ count, seg }) => {
    const s = segs[seg] as ChannelSegment;
    return { count, axes: s.axes, ...contextOf(s) };
  });
}

/**
 * `out` with these channel segments; its union field becomes theirs (a split that keeps one
 * branch's channels has that branch's field). No segments: `out` as it is, without channels.
 */
function withChannels(out: AxesField, channels: readonly ChannelSegment[] | undefined): ValueField {
  if (!channels) return withoutChannels(out);
  const union = unionFields(
    channels.map((c) => ({ kind: "axes", axes: c.axes, misaligned: false })),
    out.axes.length,
  );
  if (union?.kind !== "axes") return withoutChannels(out);
  const context = channels.some((c) => c.globalContext);
  return {
    kind: "axes",
    axes: union.axes,
    misaligned: out.misaligned || union.misaligned,
    ...(context ? { globalContext: true } : {}),
    ...(channels.length > 1 ? { channels } : {}),
  };
}

/**
 * Reshape from x to y that keeps the batch axis and the spatial axes and only splits or
 * merges the channel block: the flat channel order is unchanged, so are the segments.
 * `out` is the field computed for the output (spatial axes kept); returned with channels.
 */
export function reshapeChannels(
  input: ValueField | undefined,
  x: Shape,
  y: Shape,
  out: ValueField | undefined,
): ValueField | undefined {
  if (input?.kind !== "axes" || !input.channels || out?.kind !== "axes") return out;
  const s = spatialStart(input);
  if (s === undefined || s > x.length) return out;
  const spatial = x.length - s;
  const t = y.length - spatial;
  const same = (a: readonly unknown[], b: readonly unknown[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (t < 2 || x[0] !== y[0] || !same(x.slice(s), y.slice(t))) return out;
  if (out.axes.slice(0, t).some((a) => a !== null) || out.axes.slice(t).some((a) => a === null)) return out;
  const lead = new Array<null>(t).fill(null);
  return withChannels(
    out,
    input.channels.map((c) => ({ ...c, axes: [...lead, ...c.axes.slice(s)] })),
  );
}

/** Transpose that keeps batch and spatial axes in place and permutes the channel block. */
export function transposeChannels(
  input: ValueField | undefined,
  x: Shape,
  perm: readonly number[],
  out: ValueField | undefined,
): ValueField | undefined {
  if (input?.kind !== "axes" || !input.channels || out?.kind !== "axes") return out;
  const s = spatialStart(input);
  if (s === undefined || perm.length !== x.length || perm[0] !== 0 || perm.some((p, i) => i >= s && p !== i))
    return out;
  const dims = x.slice(1, s);
  if (!dims.every((d): d is number => typeof d === "number")) return out;
  // Row-major strides of the input block; output block axis k is input block axis perm[k+1]−1.
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, d) => a * d, 1));
  const outDims = perm.slice(1, s).map((p) => dims[p - 1] ?? 1);
  const total = dims.reduce((a, d) => a * d, 1);
  if (total > MAX_CHANNELS) return withChannels(out, undefined);
  if (input.channels.reduce((a, c) => a + c.count, 0) !== total) return withChannels(out, undefined);
  const picked: number[] = [];
  for (let o = 0; o < total; o++) {
    let rem = o;
    let flat = 0;
    for (let k = outDims.length - 1; k >= 0; k--) {
      const d = outDims[k] ?? 1;
      flat += (rem % d) * (strides[(perm[k + 1] ?? 1) - 1] ?? 0);
      rem = Math.floor(rem / d);
    }
    picked.push(flat);
  }
  return withChannels(out, pick(input.channels, picked));
}

/** Channels start, start+step, … (count of them) of a value whose channel block is axis 1 alone. */
export function sliceChannels(
  input: ValueField | undefined,
  start: number,
  step: number,
  count: number,
  out: ValueField | undefined,
): ValueField | undefined {
  if (out?.kind !== "axes") return out;
  if (input?.kind !== "axes" || !input.channels || spatialStart(input) !== 2)
    return withChannels(out, undefined);
  const picked = Array.from({ length: count }, (_, i) => start + i * step);
  return withChannels(out, pick(input.channels, picked));
}
