/**
 * Backward rules of the windowed ops: Conv, AveragePool, MaxPool and GlobalAveragePool, each
 * as transposed convolutions (and slices) over the forward window.
 */
import type { AttrValue, Node } from "../ir/types";
import { attrInt } from "../ops/dims";
import { windowOf, type Window } from "../ops/windowOps";
import { NoRule, knownShape, type GradEmitter, type GradRule } from "./backwardRuleKit";

/**
 * ConvTranspose back onto an input padded by `pads`. onnxruntime-web 1.30's WebGPU ConvTranspose
 * is wrong where an axis's begin pad exceeds its end pad (tools/gpu found it): then it runs
 * unpadded onto the whole padded extent and a Slice crops the padding off. Equal or
 * end-heavy pads (the usual ones) stay a single node.
 */
function transposeBack(
  e: Parameters<GradRule>[0]["e"],
  inputs: string[],
  attrs: Record<string, AttrValue>,
  x: readonly number[],
  pads: readonly number[],
): string {
  const n = x.length - 2;
  if (!pads.some((b, i) => i < n && b > (pads[i + n] ?? 0)))
    return e.node("ConvTranspose", inputs, { ...attrs, pads: [...pads] })[0] ?? "";
  const full = e.node("ConvTranspose", inputs, { ...attrs, pads: new Array<number>(2 * n).fill(0) })[0] ?? "";
  const axes = x.slice(2).map((_, i) => i + 2);
  const starts = axes.map((_, i) => pads[i] ?? 0);
  const ends = axes.map((_, i) => (pads[i] ?? 0) + (x[i + 2] ?? 0));
  return e.node("Slice", [full, e.constInts(starts), e.constInts(ends), e.constInts(axes)])[0] ?? "";
}

/**
 * A conv / pool node's window from the forward rules' helper (auto_pad, ceil_mode, defaults); a bad one has
 * no rule.
 */
function windowFor(node: Node, x: readonly number[], kernelFromWeight?: readonly number[]): Window {
  try {
    return windowOf(node, x.slice(2), kernelFromWeight);
  } catch (err) {
    throw new NoRule(`${node.opType}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Conv: the transposed convolution with the same weights, strides, pads (auto_pad resolved), dilations and
 * groups.
 */
export const conv: GradRule = ({ node, dy, e }) => {
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the conv input");
  const y = knownShape(e.shapeOf(node.outputs[0] ?? ""), "the conv output");
  const w = knownShape(e.shapeOf(node.inputs[1] ?? ""), "the conv weight");
  const { kernel: k, strides: s, dilations: d, padBegin, padEnd } = windowFor(node, x, w.slice(2));
  // output_padding restores the input size the forward stride rounded away.
  const outPad = x
    .slice(2)
    .map(
      (xi, i) =>
        xi -
        ((s[i] ?? 1) * ((y[i + 2] ?? 1) - 1) +
          (d[i] ?? 1) * ((k[i] ?? 1) - 1) +
          1 -
          (padBegin[i] ?? 0) -
          (padEnd[i] ?? 0)),
    );
  const group = attrInt(node, "group", 1);
  return [
    transposeBack(
      e,
      [dy, node.inputs[1] ?? ""],
      { kernel_shape: k, strides: s, dilations: d, group, output_padding: outPad },
      x,
      [...padBegin, ...padEnd],
    ),
  ];
};

/**
 * Average pooling spreads each gradient evenly over its window: dY divided by each window's
 * divisor, then a depthwise transposed conv with ones. The divisor is PyTorch's (and
 * onnxruntime's): the window clipped to the padded input (with ceil_mode the last window may
 * run past it), and to the input itself unless count_include_pad.
 */
export const averagePool: GradRule = ({ node, dy, e }) => {
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const y = knownShape(e.shapeOf(node.outputs[0] ?? ""), "the pool output");
  const { kernel: k, strides: s, dilations, padBegin, padEnd } = windowFor(node, x);
  if (dilations.some((v) => v !== 1)) throw new NoRule("AveragePool with dilations");
  const includePad = attrInt(node, "count_include_pad", 0) === 1;
  const ys = y.slice(2);
  // Per axis, each output position's share of its window; the divisor is their product.
  const counts = ys.map((yi, i) => {
    const xi = x[i + 2] ?? 1,
      ki = k[i] ?? 1,
      si = s[i] ?? 1,
      pb = padBegin[i] ?? 0;
    return Array.from({ length: yi }, (_, o) => {
      const start = o * si - pb;
      const end = Math.min(start + ki, xi + (padEnd[i] ?? 0));
      return includePad ? end - start : Math.min(end, xi) - Math.max(start, 0);
    });
  });
  const inverse = new Array<number>(ys.reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < inverse.length; flat++) {
    let rest = flat,
      divisor = 1;
    for (let i = ys.length - 1; i >= 0; i--) {
      divisor *= counts[i]?.[rest % (ys[i] ?? 1)] ?? 1;
      rest = Math.floor(rest / (ys[i] ?? 1));
    }
    inverse[flat] = 1 / divisor;
  }
  const scaled = e.node("Mul", [dy, e.constFloats(inverse, [1, 1, ...ys])])[0] ?? "";
  const c = x[1] ?? 1;
  const area = k.reduce((a, b) => a * b, 1);
  const weight = e.constFloats(new Array<number>(c * area).fill(1), [c, 1, ...k]);
  // The windows span `reach` from the padded start: crop what runs past the input, pad what falls short.
  const reach = ys.map((yi, i) => (s[i] ?? 1) * (yi - 1) + (k[i] ?? 1) - (padBegin[i] ?? 0));
  const endPad = reach.map((r, i) => Math.max(0, r - (x[i + 2] ?? 0)));
  const outPad = reach.map((r, i) => Math.max(0, (x[i + 2] ?? 0) - r));
  return [
    transposeBack(e, [scaled, weight], { kernel_shape: k, strides: s, group: c, output_padding: outPad }, x, [
      ...padBegin,
      ...endPad,
    ]),
  ];
};

/**
 * Concat of any number of values, at most 7 inputs a node: a WebGPU shader may bind 8 storage
 * buffers by default (maxStorageBuffersPerShaderStage), and onnxruntime-web's WebGPU Concat binds
 * every input and its output; with 9 inputs its pipeline was invalid (seen on SwiftShader).
 */
function concatChunks(e: GradEmitter, parts: readonly string[], axis: number): string {
  let acc = parts[0] ?? "";
  for (let i = 1; i < parts.length; i += 6)
    acc = e.node("Concat", [acc, ...parts.slice(i, i + 6)], { axis })[0] ?? "";
  return acc;
}

/**
 * Max pooling routes each gradient to its window's maximum (the forward "switches"),
 * the first one on ties in row-major window order, as PyTorch does (after a ReLU many windows
 * are all zero). Any kernel, strides, pads (asymmetric too), dilations, ceil_mode and number of
 * spatial axes, from ops onnxruntime-web's WebGPU EP runs: MaxPool's Indices output and MaxUnpool
 * do not run there (resnet18's 3×3 / 2 padded pool failed with "IsTensor() was false").
 *
 *   Xp  = Pad(X, −FLT_MAX): the pool's begin pads; at the end as far as the windows reach
 *         (with ceil_mode the last one may run past the pool's own end pad)
 *   P   = Concat on axis 2 of one strided Slice of Xp (as [N, C, 1, …]) per window offset o,
 *         row-major, each the size of Y: [N, C, K, …Y]   (K = the kernel's size)
 *   eq  = Cast(Equal(P, Y as [N, C, 1, …Y])) to 0/1 floats
 *   hit = Relu(eq − CumSum(eq, axis 2, exclusive)): 1 at each window's first maximum only
 *   dX  = ConvTranspose(hit · dY as [N, C·K, …Y], a one-hot kernel per offset, group C, the
 *         pool's strides and dilations; output_padding up to Xp's end), Xp's padding sliced off
 *
 * Only masks are multiplied, never X: 0 · −inf would be NaN. The masks are floats, not bools
 * combined with And / Or / Not: onnxruntime-web has no WebGPU And / Or, runs them on the CPU,
 * and the bool tensors passed between the two came back wrong (tools/gpu/gpuBench.ts found it).
 */
export const maxPool: GradRule = ({ node, dy, e }) => {
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const y = knownShape(e.shapeOf(node.outputs[0] ?? ""), "the pool output");
  const n = x.length - 2;
  const w = windowFor(node, x);
  if (n < 1 || y.length !== x.length) throw new NoRule("MaxPool without spatial axes");
  const [batch = 1, channels = 1] = x;
  const k = w.kernel,
    s = w.strides,
    d = w.dilations;
  const ys = y.slice(2);
  const size = k.reduce((a, b) => a * b, 1);
  // The extent the output's windows span, from the first window's start in the padded input.
  const span = ys.map((yi, i) => (yi - 1) * (s[i] ?? 1) + ((k[i] ?? 1) - 1) * (d[i] ?? 1) + 1);
  const padBegin = w.padBegin;
  // Pad the end only as far as windows reach: with ceil_mode the last one may run past the pool's pads.
  const padEnd = span.map((sp, i) => Math.max(0, sp - (x[i + 2] ?? 0) - (padBegin[i] ?? 0)));
  let xp = node.inputs[0] ?? "";
  if ([...padBegin, ...padEnd].some((p) => p > 0))
    // −FLT_MAX rather than −inf: finite in every backend (a shader literal included); below any activation.
    xp =
      e.node(
        "Pad",
        [xp, e.constInts([0, 0, ...padBegin, 0, 0, ...padEnd]), e.constFloats([-3.4028234663852886e38], [])],
        { mode: "constant" },
      )[0] ?? "";
  // [N, C, 1, …padded]: the slices stack on axis 2, offset-major within each channel (c·K + o).
  const padded = x.slice(2).map((xi, i) => xi + (padBegin[i] ?? 0) + (padEnd[i] ?? 0));
  const x5 = e.node("Reshape", [xp, e.constInts([batch, channels, 1, ...padded])])[0] ?? "";
  const axes = k.map((_, i) => i + 3);
  const slices: string[] = [];
  for (let o = 0; o < size; o++) {
    // Row-major window offset o = (o_1, …, o_n).
    const offset = k.map((_, i) => Math.floor(o / k.slice(i + 1).reduce((a, b) => a * b, 1)) % (k[i] ?? 1));
    const starts = offset.map((oi, i) => oi * (d[i] ?? 1));
    const ends = starts.map((st, i) => st + ((ys[i] ?? 1) - 1) * (s[i] ?? 1) + 1);
    slices.push(
      e.node("Slice", [x5, e.constInts(starts), e.constInts(ends), e.constInts(axes), e.constInts(s)])[0] ??
        "",
    );
  }
  const patches = concatChunks(e, slices, 2);
  const perWindow = e.constInts([batch, channels, 1, ...ys]);
  const y5 = e.node("Reshape", [node.outputs[0] ?? "", perWindow])[0] ?? "";
  const eq = e.node("Cast", [e.node("Equal", [patches, y5])[0] ?? ""], { to: 1 })[0] ?? "";
  // eq − (maxima at earlier offsets) is 1 at the first maximum, ≤ 0 elsewhere.
  const before = e.node("CumSum", [eq, e.constInts([2], [])], { exclusive: 1 })[0] ?? "";
  const hit = e.node("Relu", [e.node("Sub", [eq, before])[0] ?? ""])[0] ?? "";
  const routed = e.node("Mul", [hit, e.node("Reshape", [dy, perWindow])[0] ?? ""])[0] ?? "";
  const stacked = e.node("Reshape", [routed, e.constInts([batch, channels * size, ...ys])])[0] ?? "";
  // Weight [C·K, 1, …k] (ConvTranspose: [C_in, C_out / group, …]): input channel c·K + o of group c
  // puts its value at kernel position o.
  const weight = new Array<number>(channels * size * size).fill(0);
  for (let c = 0; c < channels; c++) for (let o = 0; o < size; o++) weight[(c * size + o) * size + o] = 1;
  // The transposed conv puts window position o of output y at y·s + o·d of Xp: its output spans
  // Xp, with output_padding where no window reached X's end. Xp's begin padding is then sliced
  // off rather than given as the ConvTranspose's pads: onnxruntime-web 1.30's WebGPU ConvTranspose
  // is wrong where an axis's begin pad exceeds its end pad (pads [1, 1, 0, 0]: off by 110 % of the
  // output's max on SwiftShader, CPU right), as resnet18's 112 → 56 pool would need.
  const outPad = span.map((sp, i) => Math.max(0, (padBegin[i] ?? 0) + (x[i + 2] ?? 0) - sp));
  const attrs: Record<string, AttrValue> = {
    kernel_shape: k,
    strides: s,
    group: channels,
    output_padding: outPad,
  };
  if (d.some((v) => v !== 1)) attrs["dilations"] = d;
  const full =
    e.node("ConvTranspose", [stacked, e.constFloats(weight, [channels * size, 1, ...k])], attrs)[0] ?? "";
  const exact = padBegin.every((p) => p === 0) && span.every((sp, i) => sp + (outPad[i] ?? 0) === x[i + 2]);
  if (exact) return [full];
  const ends = padBegin.map((b, i) => b + (x[i + 2] ?? 0));
  return [
    e.node("Slice", [full, e.constInts(padBegin), e.constInts(ends), e.constInts(k.map((_, i) => i + 2))])[0],
  ];
};

export const globalAveragePool: GradRule = ({ node, dy, e }) => {
  const x = knownShape(e.shapeOf(node.inputs[0] ?? ""), "the pool input");
  const area = x.slice(2).reduce((a, b) => a * b, 1);
  return [e.node("Expand", [e.node("Mul", [dy, e.constFloats([1 / area], [])])[0] ?? "", e.constInts(x)])[0]];
};
