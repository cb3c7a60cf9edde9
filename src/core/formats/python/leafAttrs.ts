/**
 * A torch.nn layer object's attributes as Python code sees them, for a layer subclass's own
 * forward (timm's Conv2dSame reads `self.stride[0]`, BatchNormAct2d `self.running_mean`,
 * `self.momentum`): what PyTorch's __init__ stores, not the constructor's arguments as written.
 * Convolutions hold their geometry as tuples (`_pair`), LayerNorm its normalized_shape, norms
 * their defaults, an absent bias or affine weight is None, and BatchNorm's running statistics
 * are buffers (None when not tracked).
 */
import type { GraphBuilder } from "./graphBuilder";
import type { LeafParams } from "./leafParams";
import { NONE, bool, float, int, tuple, type PyObject, type PyValue } from "./values";

const CONV = /^(Lazy)?Conv(Transpose)?([123])d$/;
const GEOMETRY = ["kernel_size", "stride", "padding", "dilation", "output_padding"];
const BATCH_NORM = /^(Lazy)?(Sync)?BatchNorm([123]d)?$/;
const INSTANCE_NORM = /^(Lazy)?InstanceNorm[123]d$/;
const RUNNING = new Set(["running_mean", "running_var"]);

/** Defaults PyTorch's __init__ stores that our layer table leaves to the layer's rule. */
function defaultsOf(type: string): Record<string, PyValue> {
  if (BATCH_NORM.test(type))
    return { eps: float(1e-5), momentum: float(0.1), affine: bool(true), track_running_stats: bool(true) };
  if (INSTANCE_NORM.test(type))
    return { eps: float(1e-5), momentum: float(0.1), affine: bool(false), track_running_stats: bool(false) };
  if (type === "GroupNorm") return { eps: float(1e-5), affine: bool(true) };
  if (type === "LayerNorm") return { eps: float(1e-5), elementwise_affine: bool(true) };
  return {};
}

/** The attributes a layer of `type` built with `values` (bound constructor arguments) shows Python. */
export function pythonLayerAttrs(type: string, values: ReadonlyMap<string, PyValue>): Map<string, PyValue> {
  const out = new Map<string, PyValue>(Object.entries(defaultsOf(type)));
  const rank = Number(CONV.exec(type)?.[3] ?? 0);
  for (const [k, v] of values) {
    // _ConvNd: kernel_size, stride, dilation, output_padding and a numeric padding become tuples.
    const spread = rank > 0 && GEOMETRY.includes(k) && (v.t === "int" || v.t === "bool");
    if (spread) out.set(k, tuple(Array.from({ length: rank }, () => (v.t === "int" ? v : int(Number(v.v))))));
    // LayerNorm: an int normalized_shape becomes a 1-tuple.
    else if (type === "LayerNorm" && k === "normalized_shape" && v.t === "int") out.set(k, tuple([v]));
    else out.set(k, v);
  }
  return out;
}

/**
 * A layer attribute that is not one of its parameters: a BatchNorm / InstanceNorm running
 * statistic (a buffer in forward's graph, None when the layer does not track them), or a bias or
 * affine weight the layer was built without (None). Undefined for other names.
 */
export function leafStateAttr(
  obj: PyObject,
  name: string,
  lp: LeafParams,
  b: GraphBuilder | undefined,
): PyValue | undefined {
  const type = obj.leaf?.type ?? "";
  if (!lp.ok) return undefined;
  const norm = BATCH_NORM.test(type) || INSTANCE_NORM.test(type);
  if (norm && RUNNING.has(name)) {
    const dims = lp.buffers?.get(name);
    if (!dims) return NONE;
    if (b && obj.path !== undefined) {
      const graphName = `${obj.path}.${name}`;
      b.weight(graphName, [...dims], "buffer");
      return b.tensor(graphName);
    }
    return undefined;
  }
  if (name === "bias" && lp.params.has("weight")) return NONE;
  if ((name === "weight" || name === "bias") && (norm || type === "GroupNorm" || type === "LayerNorm"))
    return NONE;
  return undefined;
}
