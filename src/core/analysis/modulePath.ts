/**
 * PyTorch's TorchScript exporter names nodes after the module scopes they ran in:
 * `/layer1/layer1.0/conv1/Conv` is op Conv inside module `layer1.0.conv1`. A scope
 * segment is either a full path (`layer1.0`) or a child name (`conv1`); a module
 * called again gets a `_N` suffix (`relu_1`), which we fold back onto the module.
 */
export interface ModulePath {
  /** Dotted module path, or null when the name carries no scope. */
  readonly path: string | null;
  /** Every enclosing module path, outermost first (the path itself last). */
  readonly groups: readonly string[];
}

export function modulePathOf(nodeName: string, knownPaths?: Set<string>): ModulePath {
  if (!nodeName.startsWith("/")) return { path: null, groups: [] };
  const segments = nodeName.split("/").filter((s) => s !== "");
  segments.pop(); // the op's own name, e.g. "Conv" or "Relu_1"
  let path = "";
  const groups: string[] = [];
  for (const raw of segments) {
    let seg = raw;
    // `relu_1` is the second call of `relu` when `relu` itself is a known module here.
    const m = /^(.*)_(\d+)$/.exec(seg);
    if (m && m[1] && knownPaths?.has(path ? `${path}.${m[1]}` : m[1])) seg = m[1];
    path = joinScope(path, seg);
    groups.push(path);
  }
  return path ? { path, groups } : { path: null, groups: [] };
}

/**
 * Append a scope segment: a dotted segment may repeat the tail of the path
 * (`layer1` + `layer1.0`, `layer2.0.downsample` + `downsample.0`), so merge the overlap.
 */
function joinScope(path: string, seg: string): string {
  if (!path) return seg;
  const p = path.split(".");
  const s = seg.split(".");
  for (let k = Math.min(p.length, s.length - 1); k >= 1; k--) {
    if (p.slice(p.length - k).join(".") === s.slice(0, k).join("."))
      return [...p.slice(0, p.length - k), ...s].join(".");
  }
  return `${path}.${seg}`;
}
