/** Node attributes as short display strings for the details pane. */
import type { AttrValue, Node } from "../ir/types";

function formatAttr(v: AttrValue): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.slice(0, 16).join(", ")}${v.length > 16 ? ", …" : ""}]`;
  if ("dims" in v) return `tensor ${v.dtype}[${v.dims.join("×")}]`;
  if ("nodeCount" in v) return `graph (${v.nodeCount} nodes)`;
  return "…";
}

export function attrSummary(node: Node): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.attrs)) out[k] = formatAttr(v);
  return out;
}
