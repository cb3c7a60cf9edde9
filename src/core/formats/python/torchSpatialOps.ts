/** Ops over a tensor's spatial dims: F.max_pool / avg_pool / adaptive pooling, interpolate, pad. */
import { arg, emit, first, tensorArg, type OpCall, type TorchOp } from "./torchOpKit";
import { NONE, indexValue, iterate, num, unknown, type PyValue } from "./values";

function pool(opType: "MaxPool" | "AveragePool", rank: number): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const tup = (v: PyValue | undefined, dflt: number[]): number[] | undefined => {
      if (!v || v.t === "none") return dflt;
      const n = num(v);
      if (n !== undefined) return new Array<number>(rank).fill(n);
      const xs = iterate(v)?.map(num);
      return xs && xs.every((q): q is number => q !== undefined) ? xs : undefined;
    };
    const k = tup(arg(c, 1, "kernel_size"), []);
    const s = tup(arg(c, 2, "stride"), k ?? []);
    const p = tup(arg(c, 3, "padding"), new Array<number>(rank).fill(0));
    const ceil = c.kwargs.get("ceil_mode");
    if (!x || !k || !s || !p || k.length !== rank) return unknown("pooling with non-constant arguments");
    return first(
      emit(c, opType, [x.value], {
        kernel_shape: k,
        strides: s,
        pads: [...p, ...p],
        ceil_mode: ceil?.t === "bool" && ceil.v ? 1 : 0,
      }),
    );
  };
}

function adaptive(kind: "Max" | "Avg"): TorchOp {
  return (c) => {
    const x = tensorArg(c, 0);
    const o = arg(c, 1, "output_size");
    const shape = x?.state.shape;
    if (!x || !o || !shape) return unknown("adaptive pooling of an unknown shape");
    const rank = shape.length - 2;
    const sizes = (iterate(o) ?? new Array<PyValue>(rank).fill(o)).map((v, i) => num(v) ?? shape[i + 2]);
    if (sizes.every((s) => s === 1))
      return first(emit(c, kind === "Max" ? "GlobalMaxPool" : "GlobalAveragePool", [x.value]));
    const ins = shape.slice(2);
    if (
      !ins.every((d): d is number => typeof d === "number") ||
      !sizes.every((d): d is number => typeof d === "number")
    )
      return unknown("adaptive pooling of a symbolic size");
    const strides = ins.map((d, i) => Math.floor(d / (sizes[i] as number)));
    const kernel = ins.map((d, i) => d - ((sizes[i] as number) - 1) * (strides[i] as number));
    return first(
      emit(c, kind === "Max" ? "MaxPool" : "AveragePool", [x.value], {
        kernel_shape: kernel,
        strides,
        pads: new Array<number>(2 * rank).fill(0),
      }),
    );
  };
}

function interpolate(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const shape = x?.state.shape;
  if (!x || !shape) return unknown("interpolate of an unknown shape");
  const rank = shape.length - 2;
  const size = c.kwargs.get("size") ?? c.args[1];
  const sf = c.kwargs.get("scale_factor") ?? c.args[2];
  const mode = c.kwargs.get("mode");
  const attrs = { mode: mode?.t === "str" && mode.v !== "nearest" ? "linear" : "nearest" };
  if (size && size.t !== "none") {
    const dims = (iterate(size) ?? new Array<PyValue>(rank).fill(size)).map(num);
    if (!dims.every((d): d is number => d !== undefined))
      return unknown("interpolate to a non-constant size");
    return first(
      emit(
        c,
        "Resize",
        [
          x.value,
          "",
          "",
          c.b.constInts([...shape.slice(0, 2).map((d) => (typeof d === "number" ? d : 1)), ...dims]),
        ],
        attrs,
      ),
    );
  }
  const scales = sf ? (iterate(sf) ?? new Array<PyValue>(rank).fill(sf)).map(num) : [];
  if (scales.length !== rank || !scales.every((d): d is number => d !== undefined))
    return unknown("interpolate with a non-constant scale");
  return first(emit(c, "Resize", [x.value, "", c.b.constInts([1, 1, ...scales])], attrs));
}

function pad(c: OpCall): PyValue {
  const x = tensorArg(c, 0);
  const amounts = iterate(arg(c, 1, "pad") ?? NONE);
  const p = amounts?.map(indexValue);
  const r = x?.state.shape?.length;
  if (!x || !p || r === undefined || !p.every((v): v is number => v !== undefined))
    return amounts?.find((v) => v.t === "unknown") ?? unknown("pad with non-constant amounts");
  // torch pads the last dims first: (left, right, top, bottom, …).
  const begin = new Array<number>(r).fill(0),
    end = new Array<number>(r).fill(0);
  for (let k = 0; k < p.length / 2; k++) {
    begin[r - 1 - k] = p[2 * k] ?? 0;
    end[r - 1 - k] = p[2 * k + 1] ?? 0;
  }
  return first(emit(c, "Pad", [x.value, c.b.constInts([...begin, ...end])]));
}

export const SPATIAL_FUNCTIONS: Readonly<Record<string, TorchOp>> = {
  max_pool1d: pool("MaxPool", 1),
  max_pool2d: pool("MaxPool", 2),
  max_pool3d: pool("MaxPool", 3),
  avg_pool1d: pool("AveragePool", 1),
  avg_pool2d: pool("AveragePool", 2),
  avg_pool3d: pool("AveragePool", 3),
  adaptive_avg_pool1d: adaptive("Avg"),
  adaptive_avg_pool2d: adaptive("Avg"),
  adaptive_avg_pool3d: adaptive("Avg"),
  adaptive_max_pool1d: adaptive("Max"),
  adaptive_max_pool2d: adaptive("Max"),
  adaptive_max_pool3d: adaptive("Max"),
  interpolate,
  upsample: interpolate,
  pad,
};
