/**
 * Parameters as PyTorch registers them, for `sum(p.numel() for p in model.parameters())`.
 * While the code runs, the registry makes nn.Parameter, ParameterList and ParameterDict
 * values, and hands out a leaf layer's own parameters as tensors (`self.embed.weight`), so
 * that forward can use them and a tied weight keeps its identity. After the trace,
 * `accountParams` walks the module tree as `model.parameters()` does (each module object
 * once, each parameter once) and says which registered parameters forward never used.
 */
import type { ModelAnalysis, UnknownParams, UnusedParams } from "../../analysis/result";
import type { Tensor } from "../../ir/types";
import { builtin } from "./builtins";
import type { GraphBuilder } from "./graphBuilder";
import { leafStateAttr } from "./leafAttrs";
import { leafParams, type LeafParams } from "./leafParams";
import {
  NONE,
  describe,
  dictKey,
  iterate,
  unknown,
  type PyObject,
  type PyTensor,
  type PyValue,
} from "./values";

/** Where a parameter value comes from: made by nn.Parameter, or a leaf layer's own. */
type Origin =
  | { readonly kind: "made"; readonly dims: readonly number[] }
  | {
      readonly kind: "leaf";
      readonly owner: PyObject;
      readonly name: string;
      readonly dims: readonly number[];
    };

const numel = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

const sameDims = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export class ParamRegistry {
  private counter = 0;
  /** Parameter values handed out, by the name they have in the graph. */
  private readonly origins = new Map<string, Origin>();
  /** A leaf's own parameter read in __init__, one value per (module, name): identity kept. */
  private readonly leafRefs = new WeakMap<PyObject, Map<string, PyTensor>>();
  /** nn.Parameter of something that is not a tensor of constant size. */
  private readonly unknownParams = new WeakSet<object>();
  /** The list and dict values made by ParameterList / ParameterDict (a plain list registers nothing). */
  private readonly containers = new WeakSet<object>();
  private readonly ids = new WeakMap<PyObject, number>();
  private lastId = 0;

  /** nn.Parameter, nn.ParameterList, nn.ParameterDict; undefined for other torch.nn names. */
  nnMember(name: string, builder: () => GraphBuilder | undefined): PyValue | undefined {
    switch (name) {
      case "Parameter":
        return builtin(name, (a) => this.parameter(a.args[0] ?? a.kwargs.get("data") ?? NONE, builder()));
      case "ParameterList":
        return builtin(name, (a) => {
          const l: PyValue = {
            t: "list",
            items: iterate(a.args[0] ?? a.kwargs.get("values") ?? { t: "list", items: [] }) ?? [],
          };
          this.containers.add(l);
          return l;
        });
      case "ParameterDict":
        return builtin(name, (a) => {
          const d: PyValue = { t: "dict", entries: new Map() };
          const src = a.args[0] ?? a.kwargs.get("parameters");
          if (src?.t === "dict") for (const [k, v] of src.entries) d.entries.set(k, v);
          else
            for (const pair of iterate(src ?? NONE) ?? []) {
              const [key, value] = iterate(pair) ?? [];
              const k = key ? dictKey(key) : undefined;
              if (key && k) d.entries.set(k, { key, value: value ?? NONE });
            }
          this.containers.add(d);
          return d;
        });
      default:
        return undefined;
    }
  }

  private parameter(data: PyValue, b: GraphBuilder | undefined): PyValue {
    const dims = data.t === "tensor" ? data.state.shape : undefined;
    if (!dims?.every((d): d is number => typeof d === "number")) {
      const u = unknown(`nn.Parameter of ${data.t === "unknown" ? data.reason : describe(data)}`);
      this.unknownParams.add(u);
      return u;
    }
    const value = `param_${this.counter++}`;
    this.origins.set(value, { kind: "made", dims });
    b?.weight(value, [...dims], "parameter");
    return { t: "tensor", value, state: { dtype: "float32", shape: [...dims] } };
  }

  /** Parameters handed out in __init__ join each traced graph as parameters. */
  startTrace(b: GraphBuilder): void {
    for (const [value, o] of this.origins) b.weight(value, [...o.dims], "parameter");
  }

  /**
   * `layer.weight` on a leaf: the tensor assigned to it (a tied weight), else its own parameter.
   * In forward it is the tensor the layer's own call uses (same graph name, counted once);
   * a buffer or an absent parameter as leafAttrs.ts says; undefined for other names.
   */
  leafAttr(obj: PyObject, name: string, b: GraphBuilder | undefined): PyValue | undefined {
    const assigned = obj.attrs.get(name);
    if (assigned && (assigned.t === "tensor" || this.unknownParams.has(assigned))) return assigned;
    const lp = leafParams(obj);
    const dims = lp.ok ? lp.params.get(name) : undefined;
    if (!dims) return leafStateAttr(obj, name, lp, b);
    if (b && obj.path !== undefined) {
      const own = `${obj.path}.${name}`;
      // The layer's call may hold it transposed (a Linear on 3-D input multiplies by in × out).
      const have = b.initializers.get(own);
      const graphName = have && !sameDims(have.dims, dims) ? `${own}#attr` : own;
      b.weight(graphName, [...dims], "parameter");
      return b.tensor(graphName);
    }
    let refs = this.leafRefs.get(obj);
    if (!refs) this.leafRefs.set(obj, (refs = new Map()));
    const hit = refs.get(name);
    if (hit) return hit;
    const value = `leafparam_${this.counter++}`;
    this.origins.set(value, { kind: "leaf", owner: obj, name, dims });
    b?.weight(value, [...dims], "parameter");
    const t: PyTensor = { t: "tensor", value, state: { dtype: "float32", shape: [...dims] } };
    refs.set(name, t);
    return t;
  }

  private id(m: PyObject): number {
    let id = this.ids.get(m);
    if (id === undefined) this.ids.set(m, (id = ++this.lastId));
    return id;
  }

  /** Identity of a leaf's own parameter, as `model.parameters()` dedupes them. */
  private leafKey(owner: PyObject, name: string): string {
    return `leaf:${this.id(owner)}.${name}`;
  }

  /** A registered parameter value in a module attribute: its identity, size and graph names. */
  private paramOf(
    v: PyValue,
  ): { key: string; dims: readonly number[]; names: string[] } | "unknown" | undefined {
    if (this.unknownParams.has(v)) return "unknown";
    if (v.t !== "tensor") return undefined;
    const o = this.origins.get(v.value);
    if (!o) return undefined;
    if (o.kind === "made") return { key: v.value, dims: o.dims, names: [v.value] };
    return {
      key: this.leafKey(o.owner, o.name),
      dims: o.dims,
      names: [v.value, ...leafGraphNames(o.owner, o.name)],
    };
  }

  /**
   * Walk the module tree from the root as `model.parameters()` does. `used` tells whether the
   * traced graph consumed a parameter by one of its graph names; `traced` gives the parameters
   * a leaf's call in the trace made, for a leaf whose dry run failed.
   */
  account(
    root: PyObject,
    used: (graphName: string) => boolean,
    traced: (leaf: PyObject) => LeafParams | undefined = () => undefined,
  ): ParamAccount {
    const params = new Map<string, { count: number; names: Set<string>; path: string }>();
    const unknownParts: UnknownParams[] = [];
    const modules: { path: string; type: string; depth: number; keys: Set<string> }[] = [];
    const seen = new Set<PyObject>();
    const add = (
      key: string,
      dims: readonly number[],
      names: readonly string[],
      path: string,
      into: Set<string>[],
    ) => {
      const p = params.get(key) ?? { count: numel(dims), names: new Set<string>(), path };
      names.forEach((n) => p.names.add(n));
      params.set(key, p);
      into.forEach((s) => s.add(key));
    };
    const visit = (m: PyObject, path: string, depth: number, open: Set<string>[]) => {
      if (seen.has(m)) return;
      seen.add(m);
      if (m.opaque) {
        unknownParts.push({ path: path || m.cls.name, reason: m.opaque });
        return;
      }
      const keys = new Set<string>();
      const sets = [...open, keys];
      modules.push({ path, type: m.leaf?.type ?? m.cls.name, depth, keys });
      const at = (name: string) => (path ? `${path}.${name}` : name);
      const dry = m.leaf ? leafParams(m) : undefined;
      const lp = dry && !dry.ok ? (traced(m) ?? dry) : dry;
      if (lp && !lp.ok) unknownParts.push({ path: path || m.cls.name, reason: lp.reason });
      for (const [name, dims] of lp?.ok ? lp.params : []) {
        const assigned = m.attrs.get(name);
        // A parameter replaced by another tensor (a tied weight) is counted as that tensor, below.
        if (assigned && this.paramOf(assigned) !== undefined) continue;
        add(this.leafKey(m, name), dims, leafGraphNames(m, name), at(name), sets);
      }
      for (const [name, v] of m.attrs) {
        const values = this.containers.has(v)
          ? v.t === "dict"
            ? [...v.entries.values()].map((e) => e.value)
            : (iterate(v) ?? [])
          : [v];
        values.forEach((item, i) => {
          const p = this.paramOf(item);
          const where = values.length === 1 && item === v ? at(name) : at(`${name}.${i}`);
          if (p === "unknown")
            unknownParts.push({
              path: where,
              reason: item.t === "unknown" ? item.reason : "nn.Parameter of unknown size",
            });
          // The layer's own call names a tied parameter after the layer (head.weight): that use counts too.
          else if (p)
            add(
              p.key,
              p.dims,
              [...p.names, ...(lp?.ok && lp.params.has(name) ? leafGraphNames(m, name) : [])],
              where,
              sets,
            );
          // A value the analyser could not follow may be a module with parameters (a class from a
          // file it cannot read): the total must not read as exact. A layer's own arguments are not.
          else if (item.t === "unknown" && !m.leaf?.args.has(name))
            unknownParts.push({ path: where, reason: `${item.reason}; it may hold parameters` });
        });
      }
      for (const [name, child] of m.children ?? []) visit(child, at(name), depth + 1, sets);
    };
    visit(root, "", 0, []);
    return summarize(params, modules, unknownParts, used);
  }
}

function leafGraphNames(m: PyObject, name: string): string[] {
  return m.path === undefined ? [] : [`${m.path}.${name}`, `${m.path}.${name}#attr`];
}

export interface ParamAccount {
  /** Registered parameters whose size is known, each counted once. */
  readonly total: number;
  /** Parts whose parameters cannot be counted (total is then a lower bound). */
  readonly unknown: readonly UnknownParams[];
  /** Registered parameters forward never used, by the outermost module wholly unused. */
  readonly unused: readonly UnusedParams[];
  /** Every graph name a registered parameter can have. */
  readonly graphNames: ReadonlySet<string>;
}

function summarize(
  params: Map<string, { count: number; names: Set<string>; path: string }>,
  modules: readonly { path: string; type: string; depth: number; keys: Set<string> }[],
  unknownParts: UnknownParams[],
  used: (graphName: string) => boolean,
): ParamAccount {
  const isUsed = new Map([...params].map(([k, p]) => [k, [...p.names].some(used)]));
  const unused: UnusedParams[] = [];
  const covered = new Set<string>();
  // Modules come in pre-order: an outer module wholly unused is reported before its parts.
  let reportedDepth = Infinity;
  for (const m of modules) {
    if (m.depth <= reportedDepth) reportedDepth = Infinity;
    if (m.depth === 0 || reportedDepth < m.depth || m.keys.size === 0) continue;
    const keys = [...m.keys];
    if (keys.some((k) => isUsed.get(k) || covered.has(k))) continue;
    unused.push({
      path: m.path,
      type: m.type,
      params: keys.reduce((a, k) => a + (params.get(k)?.count ?? 0), 0),
    });
    keys.forEach((k) => covered.add(k));
    reportedDepth = m.depth;
  }
  // Parameters held directly by a module that forward otherwise uses (self.weight = nn.Parameter(…)).
  for (const [k, p] of params)
    if (!isUsed.get(k) && !covered.has(k)) unused.push({ path: p.path, type: "Parameter", params: p.count });
  return {
    total: [...params.values()].reduce((a, p) => a + p.count, 0),
    unknown: unknownParts,
    unused,
    graphNames: new Set([...params.values()].flatMap((p) => [...p.names])),
  };
}

/**
 * The analysis with PyTorch's parameter count: totals.params becomes every registered
 * parameter counted once (a lower bound when some are unknown, listed in paramsUnknown),
 * and the registered parameters forward never used are listed in notCalled.
 */
export function withRegisteredParams(
  a: ModelAnalysis,
  root: PyObject,
  registry: ParamRegistry,
  initializers: ReadonlyMap<string, Tensor>,
): ModelAnalysis {
  const consumed = new Set(a.layers.flatMap((l) => l.weights.map((w) => w.name)));
  const called = new Set(a.layers.filter((l) => l.layerType !== undefined).map((l) => l.name));
  // A leaf called in the trace made its parameters there, under its path (never one of another leaf).
  const traced = (leaf: PyObject): LeafParams | undefined => {
    if (leaf.path === undefined || !called.has(leaf.path)) return undefined;
    const prefix = `${leaf.path}.`;
    const params = new Map<string, readonly number[]>();
    for (const [name, t] of initializers)
      if (t.role === "parameter" && name.startsWith(prefix) && !name.endsWith("#attr"))
        params.set(name.slice(prefix.length), t.dims);
    return { ok: true, params };
  };
  const acc = registry.account(root, (n) => consumed.has(n), traced);
  const stray = a.layers.flatMap((l) =>
    l.weights.filter((w) => !acc.graphNames.has(w.name)).map((w) => numel(w.shape)),
  );
  const warnings = [...a.warnings];
  // Weights of modules kept in a plain list or made in forward: PyTorch does not register them either.
  if (stray.length)
    warnings.push(
      `${stray.reduce((x, y) => x + y, 0)} parameters used in forward belong to no registered module (a layer kept in a plain list or made in forward); model.parameters() and the total leave them out.`,
    );
  return {
    ...a,
    totals: { ...a.totals, params: acc.total, ...(acc.unknown.length ? { paramsUnknown: acc.unknown } : {}) },
    ...(acc.unused.length ? { notCalled: acc.unused } : {}),
    warnings,
  };
}
