/** How a layer is described in hovers, hints and lenses (plain text and Markdown). */
import { humanCount, rfText, shapeText } from "../core/analysis/report";
import type { LayerRow, RFInfo } from "../core/analysis/result";

export function arrowShape(row: LayerRow | undefined): string {
  return `→ ${shapeText(row?.outputs[0]?.shape)}`;
}

export function rfSummary(rf: RFInfo): string {
  if (!rf) return "";
  if (rf.kind === "global") return "RF global";
  const t = rfText(rf);
  const context = rf.globalContext ? " · plus global context (a channel gate sees the whole input)" : "";
  return `RF ${t.size} · stride ${t.stride} · start ${t.start}${context}`;
}

function nums(attr: string | undefined): number[] {
  return (attr?.match(/-?\d+/g) ?? []).map(Number);
}

/** The output-size formula PyTorch documents, with this layer's numbers, per spatial axis. */
export function windowFormula(row: LayerRow): string[] {
  if (!/^(Conv|MaxPool|AveragePool|LpPool)$/.test(row.opType)) return [];
  const x = row.inputs[0]?.shape;
  const y = row.outputs[0]?.shape;
  if (!x || !y) return [];
  const k = nums(row.attrs["kernel_shape"]);
  const n = x.length - 2;
  const s = nums(row.attrs["strides"]);
  const d = nums(row.attrs["dilations"]);
  const p = nums(row.attrs["pads"]);
  const ceil = row.attrs["ceil_mode"] === "1";
  const axes = n === 1 ? ["L"] : n === 2 ? ["H", "W"] : ["D", "H", "W"];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const pb = p[i] ?? 0,
      pe = p[i + n] ?? pb,
      dil = d[i] ?? 1,
      kk = k[i] ?? 1,
      st = s[i] ?? 1;
    const pad = pb === pe ? `2·${pb}` : `${pb}+${pe}`;
    const [l, r] = ceil ? ["⌈", "⌉"] : ["⌊", "⌋"];
    lines.push(
      `${axes[i]}_out = ${l}(${x[i + 2]} + ${pad} − ${dil}·(${kk}−1) − 1)/${st}${r} + 1 = ${y[i + 2]}`,
    );
  }
  return lines;
}

export function layerMarkdown(rows: readonly LayerRow[]): string {
  const last = rows[rows.length - 1];
  const first = rows[0];
  if (!last || !first) return "";
  const params = rows.reduce((a, r) => a + r.params, 0);
  const macs = rows.reduce<number | null>((a, r) => (a === null || r.macs === null ? null : a + r.macs), 0);
  const out = [
    `**${last.layerType ?? last.opType}** \`${last.name}\` · ${shapeText(first.inputs[0]?.shape)} → ${shapeText(last.outputs[0]?.shape)}`,
    `params ${params.toLocaleString("en-US")} · MACs ${humanCount(macs)} · FLOPs ${humanCount(macs === null ? null : 2 * macs)}`,
  ];
  const rf = rfSummary(last.rf);
  if (rf) out.push(rf);
  const formula = rows.flatMap(windowFormula);
  if (formula.length) out.push("```\n" + formula.join("\n") + "\n```");
  const warnings = rows.flatMap((r) => r.warnings);
  if (warnings.length) out.push(`⚠ ${warnings.join("; ")}`);
  return out.join("\n\n");
}
